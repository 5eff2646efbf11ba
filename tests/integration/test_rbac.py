"""RBAC and visualization groups end to end: grants from config only, through events, HTTP and timer.

Groups, ML workspaces and hand deletions go through the official SDKs against the emulator; the
emulator's Event Grid delivers to the local host; the app grants through azure-mgmt-authorization.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from azure.identity.aio import ManagedIdentityCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from shared.config import load_config
from shared.engine import open_engine
from shared.model import GroupRef
from shared.settings import Settings
from tests.integration.conftest import EMEA, EXAMPLE_CONFIG, TEAM_CLIENT_ID, LocalAzure
from tests.integration.support import governed, tags_of

SCIENTISTS = "33333333-3333-4333-8333-333333333333"
AUTHORS = "44444444-4444-4444-8444-444444444444"
GATEWAY = "55555555-5555-4555-8555-555555555555"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
ML_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
ML_API = "2024-04-01"


@pytest.fixture
async def team_authorization(app_environment: dict[str, str]) -> AsyncIterator[AuthorizationManagementClient]:
    async with (
        ManagedIdentityCredential(client_id=TEAM_CLIENT_ID) as credential,
        AuthorizationManagementClient(credential, EMEA, base_url=app_environment["DPGOV_ARM_ENDPOINT"]) as client,
    ):
        yield client


CONFIGURED = {SCIENTISTS, AUTHORS, GATEWAY}


async def grants_at(client: AuthorizationManagementClient, scope: str) -> set[tuple[str, str]]:
    """(principal, role guid) of the assignments made exactly at ``scope`` to the config's principals.

    (The identities of policy assignments and Purview get grants of their own; test_policy covers them.)
    """
    found = set()
    async for item in client.role_assignments.list_for_scope(scope, filter="atScope()"):
        if (item.scope or "").lower() == scope.lower() and str(item.principal_id) in CONFIGURED:
            found.add((str(item.principal_id), str(item.role_definition_id).rsplit("/", 1)[-1]))
    return found


async def create_workspace(arm: ResourceManagementClient, group: str, name: str = "mlw") -> str:
    workspace = (
        f"/subscriptions/{EMEA}/resourceGroups/{group}/providers/Microsoft.MachineLearningServices/workspaces/{name}"
    )
    poller = await arm.resources.begin_create_or_update_by_id(
        workspace,
        {"location": "westeurope", "identity": {"type": "SystemAssigned"}, "properties": {}},
        api_version=ML_API,
    )
    await poller.result()
    return workspace


def scope_of(group: str) -> str:
    return f"/subscriptions/{EMEA}/resourceGroups/{group}"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [("dev", {(SCIENTISTS, ML_DATA_SCIENTIST)}), ("tst", {(SCIENTISTS, READER)}), ("prd", set())],
)
async def test_an_ml_workspace_is_granted_by_its_own_event_by_the_dev_test_prod_rule(
    azure: LocalAzure,
    arm: ResourceManagementClient,
    authorization: AuthorizationManagementClient,
    environment: str,
    expected: set[tuple[str, str]],
) -> None:
    group = f"dp-sales-churn-{environment}-rg"
    await arm.resource_groups.create_or_update(group, {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)

    workspace = await create_workspace(arm, group)
    azure.control.wait_for_deliveries_idle(timeout=15)

    assert await grants_at(authorization, workspace) == expected
    ml_writes = [
        d for d in azure.control.deliveries() if d.operation_name.startswith("Microsoft.MachineLearningServices")
    ]
    assert [(d.attempts, d.outcome) for d in ml_writes] == [(1, "delivered")], "granted within its own event"


async def test_the_landing_zone_group_exists_with_the_gateway_and_orders_gets_its_own_cross_charged_group(
    azure: LocalAzure, arm: ResourceManagementClient, authorization: AuthorizationManagementClient
) -> None:
    await arm.resource_groups.create_or_update("dp-sales-orders-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)

    landing_zone = await arm.resource_groups.get("lz-emea-reporting-rg")
    dedicated = await arm.resource_groups.get("dp-sales-orders-viz-rg")

    assert dict(landing_zone.tags or {}) == {"ManagedBy": "dpgov", "LandingZone": "lz-emea"}
    assert landing_zone.location == "westeurope"
    assert dict(dedicated.tags or {}) == governed("sales", "orders")
    assert await grants_at(authorization, scope_of("lz-emea-reporting-rg")) == {(GATEWAY, READER)}
    assert await grants_at(authorization, scope_of("dp-sales-orders-viz-rg")) == {(AUTHORS, CONTRIBUTOR)}
    assert await grants_at(authorization, scope_of("dp-sales-orders-rg")) == {(AUTHORS, READER)}


async def test_duplicate_and_racing_events_make_no_duplicate_assignment(
    azure: LocalAzure, arm: ResourceManagementClient, authorization: AuthorizationManagementClient
) -> None:
    azure.control.set_delivery(duplicates=2)
    await arm.resource_groups.create_or_update("dp-sales-churn-dev-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=20)
    workspace = await create_workspace(arm, "dp-sales-churn-dev-rg")
    azure.control.wait_for_deliveries_idle(timeout=20)

    listed = [a async for a in authorization.role_assignments.list_for_scope(workspace, filter="atScope()")]

    assert [(a.principal_id, str(a.role_definition_id).rsplit("/", 1)[-1]) for a in listed if a.scope == workspace] == [
        (SCIENTISTS, ML_DATA_SCIENTIST)
    ]
    assert all(d.outcome == "delivered" for d in azure.control.deliveries())


async def test_a_hand_deleted_grant_is_restored_by_its_own_event(
    azure: LocalAzure,
    arm: ResourceManagementClient,
    authorization: AuthorizationManagementClient,
    team_authorization: AuthorizationManagementClient,
) -> None:
    await arm.resource_groups.create_or_update("dp-sales-leads-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)
    scope = scope_of("dp-sales-leads-rg")
    (granted,) = [
        a
        async for a in authorization.role_assignments.list_for_scope(scope, filter="atScope()")
        if a.scope == scope and a.principal_id == AUTHORS
    ]

    await team_authorization.role_assignments.delete(scope, str(granted.name))
    azure.control.wait_for_deliveries_idle(timeout=15)

    assert await grants_at(authorization, scope) == {(AUTHORS, READER)}


async def test_removing_a_binding_from_config_removes_only_the_apps_assignment(
    azure: LocalAzure, arm: ResourceManagementClient, authorization: AuthorizationManagementClient
) -> None:
    await arm.resource_groups.create_or_update("dp-sales-leads-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)
    scope = scope_of("dp-sales-leads-rg")
    from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

    theirs = RoleAssignmentCreateParameters(
        role_definition_id=f"/subscriptions/{EMEA}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}",
        principal_id=AUTHORS,
        principal_type="Group",
    )
    await authorization.role_assignments.create(scope, "0b0e7a11-0000-4000-8000-00000000beef", theirs)
    config = load_config(EXAMPLE_CONFIG)
    sales = config.domains["sales"]
    trimmed = sales.model_copy(
        update={"role_bindings": [b for b in sales.role_bindings if b.name != "report-authors-read"]}
    )
    narrowed = config.model_copy(update={"domains": {**config.domains, "sales": trimmed}})

    async with open_engine(Settings.from_environment(), narrowed) as engine:
        report = await engine.reconciler.reconcile_group(GroupRef(EMEA, "dp-sales-leads-rg"))

    assert [a["kind"] for a in report.plan.to_list() if a["aspect"] == "rbac"] == ["delete_role_assignment"]
    assert await grants_at(authorization, scope) == {(AUTHORS, CONTRIBUTOR)}, "theirs stays; the app's is gone"


async def test_dry_run_writes_nothing_and_a_compliant_estate_writes_nothing(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}, "dp-sales-churn-dev-rg": {}})

    planned = azure.sync_all(dryRun="true").json()["report"]
    assert (azure.control.request_summary().writes, azure.control.request_summary().purview_writes) == (0, 0)
    first = azure.sync_all()
    azure.control.wait_for_deliveries_idle(timeout=30)  # the events of the app's own writes
    azure.control.clear_requests()
    second = azure.sync_all()

    kinds = {action["kind"] for group in planned["groups"] for action in group["plan"]}
    assert kinds == {
        "merge_tags",
        "create_group",
        "create_role_assignment",
        "put_policy_assignment",
        "grant_policy_identity",
        "remediate",
        "put_collection",
        "grant_stewards",
        "put_entity",
        "create_domain",
        "create_product",
    }
    assert first.status_code == 200
    assert second.json()["report"]["summary"]["compliant"] == 2
    summary = azure.control.request_summary()
    assert (summary.writes, summary.deletes, summary.purview_writes, summary.catalog_writes) == (0, 0, 0, 0)
    assert await tags_of(arm, "dp-sales-orders-viz-rg") == governed("sales", "orders")
