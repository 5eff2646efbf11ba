"""Reconcile-all through Resource Graph: one query finds the groups, ARM confirms a drifted one before any write.

The engine runs in this process with ``DPGOV_RESOURCE_GRAPH_MIN_ZONES`` at 1, so the example
config's two landing zones are listed with one Resource Graph query. No Event Grid subscription is
made: nothing but the reconcile under test touches the groups.
"""

from __future__ import annotations

import dataclasses

import pytest
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignment, RoleAssignmentCreateParameters
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource

from emulator.client import EmulatorControl
from shared.azure.clients import ArmClients
from shared.azure.resource_graph import ResourceGraph
from shared.engine import open_engine
from shared.report import EstateReport
from shared.settings import Settings
from tests.integration.conftest import AMER, EMEA
from tests.integration.support import governed, group_reads, tag_writes, tags_of

ORDERS, LEADS, INVOICES = "dp-sales-orders-rg", "dp-sales-leads-rg", "dp-sales-invoices-rg"
# What Resource Graph replaces: per subscription, the list of its groups, role and policy assignments.
SUBSCRIPTION_LISTS = ("ResourceGroups_List", "RoleAssignments_ListForSubscription", "PolicyAssignments_List")
POLICY_ASSIGNMENT = "dpgov-sales-baseline"


def graph_settings() -> Settings:
    return dataclasses.replace(Settings.from_environment(), resource_graph_min_zones=1)


async def reconcile_all(settings: Settings) -> EstateReport:
    async with open_engine(settings) as engine:
        return await engine.reconciler.reconcile_all()


def outcomes(report: EstateReport) -> dict[str, str]:
    return {group.group.name: group.outcome.value for group in report.groups}


def product_outcomes(report: EstateReport) -> dict[str, str]:
    """Outcomes of the groups that are data products (not the visualization groups the app made)."""
    return {name: outcome for name, outcome in outcomes(report).items() if outcome != "unclassified"}


async def set_cost_center(team_arm: ResourceManagementClient, group: str, value: str) -> None:
    edit = TagsPatchResource(operation="Merge", properties=Tags(tags={"CostCenter": value}))
    await (await team_arm.tags.begin_update_at_scope(f"/subscriptions/{EMEA}/resourceGroups/{group}", edit)).result()


@pytest.fixture
async def governed_estate(blank_azure: EmulatorControl) -> EmulatorControl:
    """Three products of lz-emea, governed once (their ledger records written), and the log cleared."""
    blank_azure.seed_groups(EMEA, {ORDERS: {}, LEADS: {}, INVOICES: {}})
    first = await reconcile_all(graph_settings())
    assert product_outcomes(first) == dict.fromkeys((ORDERS, LEADS, INVOICES), "changed")
    blank_azure.clear_requests()
    return blank_azure


async def test_reconcile_all_lists_every_landing_zone_with_one_resource_graph_page_and_converges(
    blank_azure: EmulatorControl, arm: ResourceManagementClient
) -> None:
    drifted = {**governed("sales", "orders"), "CostCenter": "CC-0000", "team": "orders"}
    blank_azure.seed_groups(EMEA, {ORDERS: drifted, "netops-rg": {"owner": "netops"}})
    blank_azure.seed_groups(AMER, {"dp-finance-ledger-rg": {}})

    report = await reconcile_all(graph_settings())

    summary = blank_azure.request_summary()
    assert summary.by_operation.get("Resources") == 3, "one page each of groups, role and policy assignments"
    assert [summary.by_operation.get(listing, 0) for listing in SUBSCRIPTION_LISTS] == [0, 0, 0]
    assert outcomes(report) == {ORDERS: "changed", "netops-rg": "unclassified", "dp-finance-ledger-rg": "changed"}
    assert await tags_of(arm, ORDERS) == {**governed("sales", "orders"), "team": "orders"}
    blank_azure.clear_requests()

    with_lists = await reconcile_all(Settings.from_environment())  # the default: a list per subscription
    listed = blank_azure.request_summary().by_operation
    blank_azure.clear_requests()
    with_graph = await reconcile_all(graph_settings())
    queried = blank_azure.request_summary().by_operation

    assert [listed.get(listing, 0) for listing in SUBSCRIPTION_LISTS] == [2, 2, 2]
    assert ([queried.get(listing, 0) for listing in SUBSCRIPTION_LISTS], queried.get("Resources")) == ([0, 0, 0], 3)

    made = {"dp-sales-orders-viz-rg", "lz-emea-reporting-rg", "lz-amer-reporting-rg"}  # visualization groups
    expected = {ORDERS: "compliant", "netops-rg": "unclassified", "dp-finance-ledger-rg": "compliant"}
    assert outcomes(with_lists) == outcomes(with_graph) == expected | dict.fromkeys(made, "unclassified")
    assert blank_azure.request_summary().writes == 0, "both find nothing left to do"


async def test_a_group_resource_graph_shows_drifted_is_read_from_arm_and_planned_from_that_read(
    governed_estate: EmulatorControl, team_arm: ResourceManagementClient, arm: ResourceManagementClient
) -> None:
    await set_cost_center(team_arm, ORDERS, "CC-9999")  # drifted, then repaired by hand: stale in the snapshot
    await set_cost_center(team_arm, INVOICES, "CC-9999")  # drifted, and still drifted in ARM
    governed_estate.set_resource_graph_lag(3600)
    await set_cost_center(team_arm, ORDERS, governed("sales", "orders")["CostCenter"])
    governed_estate.clear_requests()

    report = await reconcile_all(graph_settings())

    assert product_outcomes(report) == {ORDERS: "compliant", LEADS: "compliant", INVOICES: "changed"}
    assert (group_reads(governed_estate, ORDERS), group_reads(governed_estate, INVOICES)) == (1, 1)
    assert group_reads(governed_estate, LEADS) == 0, "a group that looks compliant costs no ARM read"
    assert [path.split("/")[4] for path in tag_writes(governed_estate)] == [INVOICES]
    assert await tags_of(arm, INVOICES) == governed("sales", "invoices")


async def test_a_group_created_after_the_snapshot_is_left_to_its_event(
    governed_estate: EmulatorControl, arm: ResourceManagementClient
) -> None:
    governed_estate.set_resource_graph_lag(3600)
    await arm.resource_groups.create_or_update("dp-sales-latest-rg", {"location": "westeurope"})
    governed_estate.clear_requests()

    report = await reconcile_all(graph_settings())

    assert product_outcomes(report) == {ORDERS: "compliant", LEADS: "compliant", INVOICES: "compliant"}
    assert "dp-sales-latest-rg" not in outcomes(report)
    assert group_reads(governed_estate, "dp-sales-latest-rg") == 0
    assert await tags_of(arm, "dp-sales-latest-rg") == {}
    assert governed_estate.request_summary().writes == 0


def invoices_scope() -> str:
    return f"/subscriptions/{EMEA}/resourceGroups/{INVOICES}"


async def app_grants(authorization: AuthorizationManagementClient) -> list[RoleAssignment]:
    """The role assignments the app made exactly at the invoices group, by name."""
    listed = authorization.role_assignments.list_for_scope(invoices_scope(), filter="atScope()")
    found = [a async for a in listed if (a.description or "").startswith("dpgov:")]
    return sorted(found, key=lambda a: str(a.name))


def assignment_reads(control: EmulatorControl, group: str) -> int:
    """Role or policy assignment lists ARM answered at this group, since the log was last cleared."""
    return sum(
        1
        for entry in control.requests_log()
        if entry.method == "GET"
        and f"/resourcegroups/{group.lower()}/providers/microsoft.authorization/" in entry.path.lower()
        and entry.path.lower().rsplit("/", 1)[-1] in {"roleassignments", "policyassignments"}
    )


async def test_assignments_deleted_by_hand_are_found_by_resource_graph_confirmed_from_arm_and_restored(
    governed_estate: EmulatorControl, authorization: AuthorizationManagementClient, policy: PolicyClient
) -> None:
    grants = await app_grants(authorization)
    gone = grants[0]
    await authorization.role_assignments.delete(invoices_scope(), str(gone.name))
    await policy.policy_assignments.delete(invoices_scope(), POLICY_ASSIGNMENT)
    governed_estate.clear_requests()

    report = await reconcile_all(graph_settings())

    assert product_outcomes(report) == {ORDERS: "compliant", LEADS: "compliant", INVOICES: "changed"}
    counts = governed_estate.request_summary().by_operation
    assert (counts.get("RoleAssignments_ListForSubscription", 0), counts.get("PolicyAssignments_List", 0)) == (0, 0)
    assert (assignment_reads(governed_estate, INVOICES), assignment_reads(governed_estate, ORDERS)) == (2, 0)
    assert (gone.name, gone.principal_id, gone.role_definition_id) in {
        (a.name, a.principal_id, a.role_definition_id) for a in await app_grants(authorization)
    }
    restored = await policy.policy_assignments.get(invoices_scope(), POLICY_ASSIGNMENT)
    assert (restored.metadata or {}).get("managedBy") == "dpgov"


async def test_an_assignment_resource_graph_still_shows_missing_but_arm_has_back_is_not_written(
    governed_estate: EmulatorControl, authorization: AuthorizationManagementClient
) -> None:
    gone = (await app_grants(authorization))[0]
    await authorization.role_assignments.delete(invoices_scope(), str(gone.name))
    governed_estate.set_resource_graph_lag(3600)  # the snapshot: the grant is missing
    again = RoleAssignmentCreateParameters(
        role_definition_id=str(gone.role_definition_id),
        principal_id=str(gone.principal_id),
        principal_type=gone.principal_type,
        description=gone.description,
    )
    await authorization.role_assignments.create(invoices_scope(), str(gone.name), again)  # back, by hand
    governed_estate.clear_requests()

    report = await reconcile_all(graph_settings())

    assert product_outcomes(report) == {ORDERS: "compliant", LEADS: "compliant", INVOICES: "compliant"}
    # Read again from ARM: the group, and its role assignments (only RBAC planned something, so
    # only what RBAC observes; the policy assignments Resource Graph showed are not read again).
    assert (group_reads(governed_estate, INVOICES), assignment_reads(governed_estate, INVOICES)) == (1, 1)
    assert governed_estate.request_summary().writes == 0


async def test_queries_beyond_the_quota_wait_for_its_reset_instead_of_drawing_429s(
    blank_azure: EmulatorControl,
) -> None:
    blank_azure.seed_groups(EMEA, {ORDERS: {}})
    blank_azure.set_throttling(True)  # Resource Graph's quota enforced: 15 queries per 5 s per caller
    clients = ArmClients.connect(Settings.from_environment())
    try:
        graph = ResourceGraph(clients)
        for _ in range(17):
            assert [group.ref.name async for group in graph.list_groups([EMEA])] == [ORDERS]
    finally:
        await clients.close()
        blank_azure.set_throttling(False)

    statuses = [entry.status for entry in blank_azure.requests_log() if entry.operation == "Resources"]
    assert (len(statuses), statuses.count(429)) == (17, 0)
    assert clients.graph_quota.waits == 1, "the 16th query waited for the window to reset; the 17th went after it"
