"""Events end to end: ARM write → Event Grid delivery → local host → function → SDK → ARM.

Nothing here calls the function directly: groups are created through the official SDK, the emulator
emits the subscription event Azure would, delivers it to the host, and the test reads the result back
through the SDK.
"""

from __future__ import annotations

import json

import requests
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import FaultRule
from tests.integration.conftest import EMEA, LocalAzure, subscribe_events, unsubscribe_events
from tests.integration.support import governed, group_reads, group_writes, tag_writes, tags_of

GROUP_WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write"
GROUP_DELETE = "Microsoft.Resources/subscriptions/resourceGroups/delete"


def group_event(operation: str, group: str, event_type: str, event_id: str) -> dict[str, object]:
    uri = f"/subscriptions/{EMEA}/resourceGroups/{group}"
    return {
        "id": event_id,
        "topic": f"/subscriptions/{EMEA}",
        "subject": uri,
        "eventType": event_type,
        "eventTime": "2026-11-25T10:00:00.0000000Z",
        "data": {
            "operationName": operation,
            "resourceUri": uri,
            "resourceProvider": "Microsoft.Resources",
            "status": "Succeeded",
            "subscriptionId": EMEA,
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        },
        "dataVersion": "2",
        "metadataVersion": "1",
    }


def deliver(azure: LocalAzure, *events: dict[str, object]) -> requests.Response:
    """Post events to the host as Event Grid would (one array, Notification)."""
    return requests.post(
        azure.webhook(),
        data=json.dumps(list(events)),
        headers={"aeg-event-type": "Notification", "Content-Type": "application/json; charset=utf-8"},
        timeout=60,
    )


async def test_new_group_is_tagged_within_one_delivery_and_team_tags_survive(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update(
        "dp-sales-orders-rg", {"location": "westeurope", "tags": {"team": "orders", "costcenter": "team-guess"}}
    )
    azure.control.wait_for_deliveries_idle(timeout=15)

    tags = await tags_of(arm, "dp-sales-orders-rg")
    expected = governed("sales", "orders")
    assert tags["team"] == "orders"
    for name, value in expected.items():
        assert {k.lower(): v for k, v in tags.items()}[name.lower()] == value
    assert [d.attempts for d in group_writes(azure.control, "dp-sales-orders-rg")] == [1], "within the first delivery"


async def test_the_apps_own_tag_write_event_causes_no_further_write(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update("dp-marketing-leads-dev-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)

    assert len(tag_writes(azure.control)) == 1
    assert group_reads(azure.control, "dp-marketing-leads-dev-rg") == 1, "the app's own writes' events read nothing"
    own = {d.operation_name for d in azure.control.deliveries() if "dp-marketing-leads-dev-rg/providers" in d.subject}
    assert own == {
        "Microsoft.Resources/tags/write",
        "Microsoft.Authorization/policyAssignments/write",
    }
    assert all(d.outcome == "delivered" for d in azure.control.deliveries())


async def test_a_redelivered_event_reads_and_writes_nothing_more(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update("dp-sales-forecast-tst-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)
    event = group_event(GROUP_WRITE, "dp-sales-forecast-tst-rg", "Microsoft.Resources.ResourceWriteSuccess", "e-dup")

    duplicates = [deliver(azure, event).status_code for _ in range(2)]

    assert duplicates == [202, 202]
    assert await tags_of(arm, "dp-sales-forecast-tst-rg") == governed("sales", "forecast", "tst")
    assert len(tag_writes(azure.control)) == 1, "the first delivery wrote; its duplicates found nothing to do"


async def test_racing_duplicate_deliveries_converge_on_the_same_tags(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    azure.control.set_delivery(duplicates=2)
    await arm.resource_groups.create_or_update("dp-sales-forecast-dev-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)

    assert await tags_of(arm, "dp-sales-forecast-dev-rg") == governed("sales", "forecast", "dev")
    assert [d.outcome for d in group_writes(azure.control, "dp-sales-forecast-dev-rg")] == ["delivered"] * 3
    tag_events = [d for d in azure.control.deliveries() if d.operation_name == "Microsoft.Resources/tags/write"]
    assert len(tag_events) == 3 * len(tag_writes(azure.control)), "each of the app's writes raised one event (x3)"


async def test_delete_event_before_write_event_changes_nothing(azure: LocalAzure) -> None:
    group = "dp-sales-returns-rg"  # created and deleted already: Azure no longer has it
    response = deliver(
        azure,
        group_event(GROUP_DELETE, group, "Microsoft.Resources.ResourceDeleteSuccess", "e-delete"),
        group_event(GROUP_WRITE, group, "Microsoft.Resources.ResourceWriteSuccess", "e-write"),
    )

    assert response.status_code == 202
    assert tag_writes(azure.control) == []


async def test_group_created_then_deleted_ends_without_error(azure: LocalAzure, arm: ResourceManagementClient) -> None:
    await arm.resource_groups.create_or_update("dp-finance-ledger-rg", {"location": "westeurope"})
    poller = await arm.resource_groups.begin_delete("dp-finance-ledger-rg", polling_interval=0.05)
    await poller.result()
    azure.control.wait_for_deliveries_idle(timeout=15)

    assert not await arm.resource_groups.check_existence("dp-finance-ledger-rg")
    assert all(d.outcome == "delivered" for d in azure.control.deliveries())


async def test_transient_arm_failure_makes_the_function_raise_and_event_grid_redeliver(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    # The SDK retries a 503 three times itself (4 requests); five failures outlast it, so the first
    # delivery's function raises, the host answers 500 and Event Grid redelivers the same event.
    azure.control.set_faults(
        [FaultRule(status=503, rate=1.0, count=5, method="GET", path="resourcegroups/dp-sales-churn-rg$")]
    )

    await arm.resource_groups.create_or_update("dp-sales-churn-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=30)

    assert [(d.attempts, d.outcome) for d in group_writes(azure.control, "dp-sales-churn-rg")] == [(2, "delivered")]
    assert await tags_of(arm, "dp-sales-churn-rg") == governed("sales", "churn")


async def test_cloud_events_schema_is_handled_like_event_grid_schema(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    unsubscribe_events(azure)
    subscribe_events(azure, schema="CloudEventSchemaV1_0")
    await arm.resource_groups.create_or_update(
        "dp-marketing-campaigns-rg", {"location": "westeurope", "tags": {"a": "b"}}
    )
    azure.control.wait_for_deliveries_idle(timeout=15)

    assert await tags_of(arm, "dp-marketing-campaigns-rg") == {"a": "b", **governed("marketing", "campaigns")}


async def test_groups_that_are_not_data_products_are_left_alone(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update("shared-network-rg", {"location": "westeurope", "tags": {"x": "y"}})
    await arm.resource_groups.create_or_update("dp-hr-payroll-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)

    assert await tags_of(arm, "shared-network-rg") == {"x": "y"}
    assert await tags_of(arm, "dp-hr-payroll-rg") == {}
    assert tag_writes(azure.control) == []


async def test_terminal_failure_on_an_event_is_logged_and_acknowledged(azure: LocalAzure) -> None:
    crowded = {f"team-tag-{i:02d}": "x" for i in range(48)}
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": crowded})

    response = deliver(
        azure, group_event(GROUP_WRITE, "dp-sales-orders-rg", "Microsoft.Resources.ResourceWriteSuccess", "e-full")
    )

    assert response.status_code == 202, "Event Grid must not redeliver what cannot succeed"
    assert len(tag_writes(azure.control)) == 1


async def test_a_team_overwriting_a_governed_tag_is_repaired_by_its_own_event(
    azure: LocalAzure, arm: ResourceManagementClient, team_arm: ResourceManagementClient
) -> None:
    from azure.mgmt.resource.resources.models import Tags, TagsPatchResource

    await arm.resource_groups.create_or_update("dp-sales-orders-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)
    scope = f"/subscriptions/{EMEA}/resourceGroups/dp-sales-orders-rg"
    edit = TagsPatchResource(operation="Merge", properties=Tags(tags={"CostCenter": "CC-TEAM", "team": "orders"}))
    azure.control.clear_requests()

    await (await team_arm.tags.begin_update_at_scope(scope, edit)).result()
    azure.control.wait_for_deliveries_idle(timeout=15)

    assert await tags_of(arm, "dp-sales-orders-rg") == {**governed("sales", "orders"), "team": "orders"}
    assert len(tag_writes(azure.control)) == 2, "the team's edit and one repair; the repair's own event ends there"
