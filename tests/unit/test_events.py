"""Routing subscription events: which ones reconcile a group, and which are acknowledged untouched."""

from __future__ import annotations

import pytest

from shared.config import GovernanceConfig
from shared.events import Ignored, MalformedEvent, ReconcileRequest, ResourceEvent, route_event
from shared.model import GroupRef

SUB = "11111111-1111-1111-1111-111111111111"


def event(operation: str, uri: str, event_type: str = "Microsoft.Resources.ResourceWriteSuccess") -> ResourceEvent:
    return ResourceEvent.from_fields(
        id="e1", event_type=event_type, subject=uri, data={"operationName": operation, "resourceUri": uri}
    )


@pytest.mark.parametrize(
    ("operation", "uri"),
    [
        (
            "Microsoft.Resources/subscriptions/resourceGroups/write",
            f"/subscriptions/{SUB}/resourceGroups/dp-sales-orders-rg",
        ),
        (
            "MICROSOFT.RESOURCES/SUBSCRIPTIONS/RESOURCEGROUPS/DELETE",
            f"/subscriptions/{SUB}/resourcegroups/dp-sales-orders-rg",
        ),
        (
            "Microsoft.Storage/storageAccounts/write",
            f"/subscriptions/{SUB}/resourcegroups/dp-sales-orders-rg/providers/Microsoft.Storage/storageAccounts/st1",
        ),
    ],
)
def test_group_and_resource_writes_reconcile_the_group(config: GovernanceConfig, operation: str, uri: str) -> None:
    decision = route_event(config, event(operation, uri))
    assert isinstance(decision, ReconcileRequest)
    assert decision.group == GroupRef(SUB, "DP-SALES-ORDERS-RG")


@pytest.mark.parametrize(
    "operation",
    [
        "Microsoft.Resources/tags/write",
        "microsoft.authorization/roleassignments/write",
        "Microsoft.Authorization/policyAssignments/write",
        "Microsoft.Resources/deployments/write",
    ],
)
def test_the_apps_own_writes_are_acknowledged_without_reconciling(config: GovernanceConfig, operation: str) -> None:
    uri = f"/subscriptions/{SUB}/resourceGroups/dp-sales-orders-rg/providers/{operation.rsplit('/', 1)[0]}/x"
    assert isinstance(route_event(config, event(operation, uri)), Ignored)


def test_events_outside_configured_landing_zones_are_ignored(config: GovernanceConfig) -> None:
    uri = "/subscriptions/99999999-9999-9999-9999-999999999999/resourceGroups/dp-sales-orders-rg"
    decision = route_event(config, event("Microsoft.Resources/subscriptions/resourceGroups/write", uri))
    assert decision == Ignored("subscription 99999999-9999-9999-9999-999999999999 is not a configured landing zone")


def test_failure_events_and_subscription_level_events_are_ignored(config: GovernanceConfig) -> None:
    uri = f"/subscriptions/{SUB}/resourceGroups/dp-sales-orders-rg"
    failed = event(
        "Microsoft.Resources/subscriptions/resourceGroups/write",
        uri,
        "Microsoft.Resources.ResourceWriteFailure",
    )
    assert isinstance(route_event(config, failed), Ignored)
    subscription_level = event("Microsoft.Resources/tags/write", f"/subscriptions/{SUB}")
    assert isinstance(route_event(config, subscription_level), Ignored)


def test_resource_events_in_groups_that_cannot_be_data_products_are_ignored(config: GovernanceConfig) -> None:
    strict = config.model_copy(update={"recognition": config.recognition.model_copy(update={"use_tags": False})})
    uri = f"/subscriptions/{SUB}/resourceGroups/shared-network-rg/providers/Microsoft.Network/virtualNetworks/v"
    assert isinstance(route_event(strict, event("Microsoft.Network/virtualNetworks/write", uri)), Ignored)
    assert isinstance(route_event(config, event("Microsoft.Network/virtualNetworks/write", uri)), ReconcileRequest)


@pytest.mark.parametrize("group", ["lz-emea-reporting-rg", "dp-sales-orders-rg-viz"])
def test_events_about_visualization_groups_are_ignored(config: GovernanceConfig, group: str) -> None:
    uri = f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.PowerBIDedicated/capacities/c1"
    decision = route_event(config, event("Microsoft.PowerBIDedicated/capacities/write", uri))
    assert decision == Ignored(f"{group} is a visualization group (governed with its products)")


def test_event_without_data_is_malformed() -> None:
    with pytest.raises(MalformedEvent, match="no data object"):
        ResourceEvent.from_fields(
            id="e1", event_type="Microsoft.Resources.ResourceWriteSuccess", subject="/x", data=None
        )
    with pytest.raises(MalformedEvent, match="no id or no type"):
        ResourceEvent.from_fields(id="", event_type="", subject="/x", data={})


def test_resource_uri_falls_back_to_subject(config: GovernanceConfig) -> None:
    uri = f"/subscriptions/{SUB}/resourceGroups/dp-sales-orders-rg"
    parsed = ResourceEvent.from_fields(
        id="e1",
        event_type="Microsoft.Resources.ResourceWriteSuccess",
        subject=uri,
        data={"operationName": "Microsoft.Resources/subscriptions/resourceGroups/write"},
    )
    assert isinstance(route_event(config, parsed), ReconcileRequest)


@pytest.mark.parametrize("group", ["..", ".", "dp-x-rg.", "a*b"])
def test_events_naming_malformed_groups_are_ignored(config: GovernanceConfig, group: str) -> None:
    uri = f"/subscriptions/{SUB}/resourceGroups/{group}"
    decision = route_event(config, event("Microsoft.Resources/subscriptions/resourceGroups/write", uri))
    assert decision == Ignored(f"malformed resource group name in {uri!r}")


APP = "aaaaaaaa-0000-0000-0000-000000000001"
TEAM = "bbbbbbbb-0000-0000-0000-000000000002"
OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def tag_event(caller: str | None) -> ResourceEvent:
    uri = f"/subscriptions/{SUB}/resourceGroups/dp-sales-orders-rg/providers/Microsoft.Resources/tags/default"
    data: dict[str, object] = {"operationName": "Microsoft.Resources/tags/write", "resourceUri": uri}
    if caller is not None:
        data["claims"] = {OID: caller.upper()}
    return ResourceEvent.from_fields(
        id="e1", event_type="Microsoft.Resources.ResourceWriteSuccess", subject=uri, data=data
    )


def test_a_tag_change_by_someone_else_reconciles_the_group_at_once(config: GovernanceConfig) -> None:
    decision = route_event(config, tag_event(TEAM), own_object_id=APP)
    assert isinstance(decision, ReconcileRequest)
    assert decision.group == GroupRef(SUB, "dp-sales-orders-rg")


def test_the_apps_own_tag_write_is_recognised_by_its_object_id(config: GovernanceConfig) -> None:
    assert route_event(config, tag_event(APP), own_object_id=APP) == Ignored(
        "Microsoft.Resources/tags/write: the app's own tag write"
    )


@pytest.mark.parametrize(("caller", "own"), [(TEAM, None), (None, APP)])
def test_tag_events_are_left_to_the_timer_when_the_caller_cannot_be_told_apart(
    config: GovernanceConfig, caller: str | None, own: str | None
) -> None:
    assert isinstance(route_event(config, tag_event(caller), own_object_id=own), Ignored)


def test_tag_changes_on_resources_inside_the_group_are_not_governed(config: GovernanceConfig) -> None:
    uri = f"/subscriptions/{SUB}/resourceGroups/dp-sales-orders-rg/providers/Microsoft.Storage/storageAccounts/st/providers/Microsoft.Resources/tags/default"
    event = ResourceEvent.from_fields(
        id="e1",
        event_type="Microsoft.Resources.ResourceWriteSuccess",
        subject=uri,
        data={"operationName": "Microsoft.Resources/tags/write", "resourceUri": uri, "claims": {OID: TEAM}},
    )
    assert isinstance(route_event(config, event, own_object_id=APP), Ignored)


def assignment_event(operation: str, caller: str | None) -> ResourceEvent:
    scope = f"/subscriptions/{SUB}/resourceGroups/dp-sales-orders-dev-rg/providers/Microsoft.MachineLearningServices/workspaces/mlw"
    uri = f"{scope}/providers/Microsoft.Authorization/roleAssignments/0b0e7a11-0000-4000-8000-000000000001"
    data: dict[str, object] = {"operationName": operation, "resourceUri": uri}
    if caller is not None:
        data["claims"] = {OID: caller}
    return ResourceEvent.from_fields(
        id="e1", event_type="Microsoft.Resources.ResourceDeleteSuccess", subject=uri, data=data
    )


def test_a_grant_deleted_by_someone_else_reconciles_its_group_at_once(config: GovernanceConfig) -> None:
    decision = route_event(
        config, assignment_event("Microsoft.Authorization/roleAssignments/delete", TEAM), own_object_id=APP
    )
    assert decision == ReconcileRequest(
        GroupRef(SUB, "dp-sales-orders-dev-rg"),
        "roleassignment changed by another identity: Microsoft.Authorization/roleAssignments/delete",
    )


@pytest.mark.parametrize(
    ("operation", "what"),
    [
        ("Microsoft.Authorization/roleAssignments/write", "roleassignment"),
        ("Microsoft.Authorization/policyAssignments/write", "policyassignment"),
    ],
)
def test_the_apps_own_grants_and_policy_assignments_are_acknowledged_by_object_id(
    config: GovernanceConfig, operation: str, what: str
) -> None:
    decision = route_event(config, assignment_event(operation, APP), own_object_id=APP)
    assert decision == Ignored(f"{operation}: the app's own {what} write")


def test_a_name_that_rules_a_group_out_is_ignored_even_with_tag_recognition(config: GovernanceConfig) -> None:
    uri = f"/subscriptions/{SUB}/resourceGroups/dp-hr-payroll-rg/providers/Microsoft.Storage/storageAccounts/st"

    assert config.recognition.use_tags
    assert route_event(config, event("Microsoft.Storage/storageAccounts/write", uri), own_object_id=APP) == Ignored(
        "resource group dp-hr-payroll-rg cannot be a data product"
    )


@pytest.mark.parametrize(
    ("operation", "uri", "own", "screened"),
    [
        ("Microsoft.Storage/storageAccounts/write", "team-x/providers/Microsoft.Storage/storageAccounts/st", APP, True),
        (
            "Microsoft.Storage/storageAccounts/delete",
            "team-x/providers/Microsoft.Storage/storageAccounts/st",
            APP,
            True,
        ),
        (
            "Microsoft.Storage/storageAccounts/write",
            "team-x/providers/Microsoft.Storage/storageAccounts/st",
            None,
            False,
        ),
        (
            "Microsoft.Storage/storageAccounts/write",
            "dp-sales-orders-rg/providers/Microsoft.Storage/storageAccounts/st",
            APP,
            False,
        ),
        ("Microsoft.Resources/subscriptions/resourceGroups/write", "team-x", APP, False),
    ],
)
def test_only_resource_writes_in_groups_only_tags_could_make_products_are_screened(
    config: GovernanceConfig, operation: str, uri: str, own: str | None, screened: bool
) -> None:
    """A resource write cannot change the group's tags; its own write, delete or tags change can."""
    decision = route_event(config, event(operation, f"/subscriptions/{SUB}/resourceGroups/{uri}"), own_object_id=own)

    assert isinstance(decision, ReconcileRequest)
    assert decision.screened is screened


def test_a_tag_change_on_a_group_only_tags_could_make_a_product_is_never_screened(config: GovernanceConfig) -> None:
    uri = f"/subscriptions/{SUB}/resourceGroups/team-x/providers/Microsoft.Resources/tags/default"
    data = {"operationName": "Microsoft.Resources/tags/write", "resourceUri": uri, "claims": {OID: TEAM}}
    tagged = ResourceEvent.from_fields(
        id="e1", event_type="Microsoft.Resources.ResourceWriteSuccess", subject=uri, data=data
    )

    assert route_event(config, tagged, own_object_id=APP) == ReconcileRequest(
        GroupRef(SUB, "team-x"), "tag changed by another identity: Microsoft.Resources/tags/write", screened=False
    )
