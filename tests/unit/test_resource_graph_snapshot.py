"""Bulk reconcile over a Resource Graph snapshot: when it is used, and that it is never acted on unconfirmed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from azure.core.exceptions import ServiceResponseError

from shared.aspects.tags import TagsAspect
from shared.azure.resource_graph import observed_group
from shared.config import GovernanceConfig
from shared.model import GroupRef, ObservedAssignment, ObservedGroup, ObservedPolicyAssignment, frozen_tags
from shared.reconciler import Reconciler
from shared.report import Outcome
from tests.unit.fakes import AMER, EMEA, MemoryInventory, MemoryLedger

ORDERS = GroupRef(EMEA, "dp-sales-orders-rg")
LEADS = GroupRef(EMEA, "dp-sales-leads-rg")


class SnapshotGraph:
    """Resource Graph answering from a copy of the inventory taken when the snapshot is made."""

    def __init__(self, inventory: MemoryInventory, fail: Exception | None = None) -> None:
        self.groups = [ObservedGroup(ref, "westeurope", frozen_tags(tags)) for ref, tags in inventory.groups.items()]
        self.fail = fail
        self.queries: list[list[str]] = []

    async def list_groups(self, subscription_ids: Sequence[str]) -> AsyncIterator[ObservedGroup]:
        self.queries.append(list(subscription_ids))
        if self.fail is not None:
            raise self.fail
        for group in self.groups:
            if group.ref.subscription_id in subscription_ids:
                yield group

    async def list_role_assignments(self, subscription_ids: Sequence[str]) -> AsyncIterator[ObservedAssignment]:
        self.queries.append(["role assignments", *subscription_ids])
        none: tuple[ObservedAssignment, ...] = ()
        for assignment in none:
            yield assignment

    async def list_policy_assignments(self, subscription_ids: Sequence[str]) -> AsyncIterator[ObservedPolicyAssignment]:
        self.queries.append(["policy assignments", *subscription_ids])
        none: tuple[ObservedPolicyAssignment, ...] = ()
        for assignment in none:
            yield assignment


def reconciler(
    config: GovernanceConfig, inventory: MemoryInventory, ledger: MemoryLedger, graph: SnapshotGraph, min_zones: int = 1
) -> Reconciler:
    aspects = [TagsAspect(config, inventory)]
    return Reconciler(config, inventory, ledger, aspects, resource_graph=graph, resource_graph_min_zones=min_zones)


async def test_below_the_threshold_each_subscription_is_listed_and_resource_graph_is_not_asked(
    config: GovernanceConfig,
) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}, AMER: {}})
    graph = SnapshotGraph(inventory)

    await reconciler(config, inventory, MemoryLedger(), graph, min_zones=3).reconcile_all()

    assert (inventory.lists, graph.queries) == (2, [])


async def test_from_the_threshold_one_query_lists_every_landing_zone_and_no_subscription_is_listed(
    config: GovernanceConfig,
) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}, AMER: {"dp-finance-ledger-rg": {}}})
    graph = SnapshotGraph(inventory)

    report = await reconciler(config, inventory, MemoryLedger(), graph, min_zones=2).reconcile_all()

    assert graph.queries == [[EMEA, AMER]]  # the tags aspect asks for no assignments: no query for them
    assert inventory.lists == 0
    assert {r.group.name: r.outcome for r in report.groups} == {
        "dp-sales-orders-rg": Outcome.CHANGED,
        "dp-finance-ledger-rg": Outcome.CHANGED,
    }


async def test_a_group_that_looks_compliant_in_the_snapshot_costs_no_arm_read(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    ledger = MemoryLedger()
    await reconciler(config, inventory, ledger, SnapshotGraph(inventory)).reconcile_group(ORDERS)
    inventory.gets = 0

    report = await reconciler(config, inventory, ledger, SnapshotGraph(inventory)).reconcile_all()

    assert [(r.group, r.outcome) for r in report.groups] == [(ORDERS, Outcome.COMPLIANT)]
    assert inventory.gets == 0


async def test_a_drifted_group_already_repaired_in_arm_is_confirmed_and_not_written(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    ledger = MemoryLedger()
    await reconciler(config, inventory, ledger, SnapshotGraph(inventory)).reconcile_group(ORDERS)
    governed = dict(inventory.groups[ORDERS])
    inventory.groups[ORDERS]["CostCenter"] = "CC-9999"
    stale = SnapshotGraph(inventory)
    inventory.groups[ORDERS] = governed
    inventory.merges.clear()
    inventory.gets = 0

    report = await reconciler(config, inventory, ledger, stale).reconcile_all()

    assert [(r.group, r.outcome) for r in report.groups] == [(ORDERS, Outcome.COMPLIANT)]
    assert (inventory.gets, inventory.merges) == (1, []), "one GET confirms it"


async def test_a_group_the_snapshot_holds_but_arm_no_longer_has_is_not_found_and_not_written(
    config: GovernanceConfig,
) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    stale = SnapshotGraph(inventory)
    del inventory.groups[ORDERS]

    report = await reconciler(config, inventory, MemoryLedger(), stale).reconcile_all()

    assert [(r.group, r.outcome) for r in report.groups] == [(ORDERS, Outcome.NOT_FOUND)]
    assert inventory.merges == []


async def test_a_transient_resource_graph_failure_fails_every_landing_zone_for_retry(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}, AMER: {}})
    graph = SnapshotGraph(inventory, fail=ServiceResponseError("timeout"))

    report = await reconciler(config, inventory, MemoryLedger(), graph).reconcile_all()

    assert sorted((r.group.subscription_id, r.group.name) for r in report.transient_failures) == [
        (EMEA, "*"),
        (AMER, "*"),
    ]
    assert (len(graph.queries), inventory.lists, inventory.merges) == (1, 0, [])


def test_a_resource_graph_row_becomes_the_group_under_the_subscription_id_as_configured() -> None:
    row = {
        "id": f"/subscriptions/{EMEA.upper()}/resourceGroups/dp-sales-orders-rg",
        "name": "dp-sales-orders-rg",
        "subscriptionId": EMEA.upper(),
        "location": "westeurope",
        "tags": {"team": "orders"},
        "properties": {"provisioningState": "Deleting"},
    }

    group = observed_group(row, {EMEA: EMEA})

    assert group == ObservedGroup(ORDERS, "westeurope", frozen_tags({"team": "orders"}), "Deleting")
    assert observed_group({**row, "subscriptionId": AMER}, {EMEA: EMEA}) is None, "a subscription not asked for"
