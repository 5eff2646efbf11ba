"""The timer way in: drift is repaired in bulk, and a compliant estate costs reads only."""

from __future__ import annotations

from azure.mgmt.resource.resources.aio import ResourceManagementClient

from tests.integration.conftest import AMER, EMEA, LocalAzure
from tests.integration.support import governed, tag_writes, tags_of


async def test_timer_repairs_governed_tag_drift_and_keeps_team_tags(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    drifted = {**governed("sales", "orders"), "CostCenter": "CC-0000", "team": "orders"}
    del drifted["Owner"]
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": drifted, "dp-sales-leads-rg": governed("sales", "leads")})

    response = azure.run_timer()

    assert response.status_code == 202
    assert await tags_of(arm, "dp-sales-orders-rg") == {**governed("sales", "orders"), "team": "orders"}
    assert len(tag_writes(azure.control)) == 1, "only the drifted group is written"


def test_timer_on_a_compliant_estate_reads_one_list_per_subscription_and_kind_and_writes_nothing(
    azure: LocalAzure,
) -> None:
    azure.control.seed_groups(EMEA, {f"dp-sales-p{i}-rg": {} for i in range(30)})
    azure.control.seed_groups(AMER, {f"dp-finance-p{i}-rg": {} for i in range(30)})
    assert azure.run_timer().status_code == 202, "the first run governs the estate"
    azure.control.wait_for_deliveries_idle(timeout=30)  # the events of the app's own writes
    azure.control.clear_requests()

    response = azure.run_timer()

    summary = azure.control.request_summary()
    assert response.status_code == 202
    assert (summary.writes, summary.deletes, summary.purview_writes, summary.catalog_writes) == (0, 0, 0, 0)
    arm_lists = {
        op: n
        for op, n in summary.by_operation.items()
        if op.endswith(("_List", "_ListForSubscription")) and not op.startswith("DataProducts_")
    }
    assert arm_lists == {
        "ResourceGroups_List": 2,
        "Resources_List": 2,
        "RoleAssignments_ListForSubscription": 2,
        "PolicyAssignments_List": 2,
    }, "one list per subscription and kind, never a read per group"
    assert summary.reads == 8
    # Once per landing zone (each zone is its own queue message, possibly on another instance): the
    # account's collections and data sources (one page each); and the one domain with stewards (sales,
    # in lz-emea only) has its collection's metadata policy read once for all its products.
    assert summary.purview_reads == 5
    assert {op: n for op, n in summary.by_operation.items() if op.startswith(("Collections_", "DataSources_"))} == {
        "Collections_ListCollections": 2,
        "DataSources_ListAll": 2,
    }
    # The Unified Catalog, per landing zone: its governance domains, the zone's domain's products (one page each).
    assert summary.catalog_reads == 4
    assert summary.by_operation["BusinessDomain_Enumerate"] == 2
    assert summary.by_operation["DataProducts_List"] == 2


async def test_a_landing_zone_failing_transiently_is_retried_by_the_queue_until_the_estate_converges(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    from emulator.client import FaultRule

    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}, "dp-sales-leads-rg": {}})
    azure.control.set_faults([FaultRule(status=503, rate=1.0, count=8, method="PATCH", path="dp-sales-orders-rg")])

    fired, done = azure.run_timer_and_wait()

    assert fired.status_code == 202, "the timer only enqueues"
    assert done is not None
    assert done.status_code == 200
    zones = {zone["landing_zone"]: zone for zone in done.json()["landing_zones"]}
    assert zones["lz-emea"]["state"] == "done"
    assert zones["lz-emea"]["attempts"] > 1, "the zone's message raised and the host retried it"
    assert zones["lz-amer"]["attempts"] == 1
    assert await tags_of(arm, "dp-sales-leads-rg") == governed("sales", "leads")
    assert await tags_of(arm, "dp-sales-orders-rg") == governed("sales", "orders")


def test_drift_repair_beyond_the_write_burst_is_paced_not_failed(azure: LocalAzure) -> None:
    # ARM's write bucket holds 200; 230 tag writes (finance has no grants or policies) need 3 s of refill.
    azure.control.seed_groups(EMEA, {f"dp-finance-p{i:03d}-rg": {} for i in range(230)})
    azure.control.set_throttling(True)

    response = azure.sync_all()

    assert response.status_code == 200, response.text[:2000]
    assert response.json()["report"]["summary"]["changed"] == 230
    assert response.json()["report"]["summary"]["failed"] == 0
    throttled = [entry for entry in azure.control.requests_log() if entry.status == 429]
    assert len(throttled) <= 16, "the gate paces writes instead of letting each run into 429s"
