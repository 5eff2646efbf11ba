"""The Event Grid publisher: handshakes, the events ARM writes cause, delivery and retry rules."""

from __future__ import annotations

import time

import pytest
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import EmulatorControl, EmulatorControlError
from tests.emulator.conftest import OTHER_SUB, SUB
from tests.emulator.webhook import WebhookReceiver

GROUP = f"/subscriptions/{SUB}/resourcegroups/rg-ev"
GROUP_WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write"


def subscribe(control: EmulatorControl, webhook: WebhookReceiver, schema: str = "EventGridSchema") -> None:
    control.add_event_subscription(
        name="dpgov-test",
        endpoint=webhook.url,
        schema=schema,  # type: ignore[arg-type]
        subscription_id=SUB,
    )


def test_event_grid_handshake_registers_the_subscription(control: EmulatorControl, webhook: WebhookReceiver) -> None:
    subscribe(control, webhook)

    [validation] = webhook.received
    assert validation.method == "POST"
    assert validation.headers["aeg-event-type"] == "SubscriptionValidation"
    assert validation.body[0]["eventType"] == "Microsoft.EventGrid.SubscriptionValidationEvent"
    assert validation.body[0]["data"]["validationCode"]


def test_a_failed_handshake_registers_nothing(control: EmulatorControl, webhook: WebhookReceiver) -> None:
    webhook.answer_validation = False

    with pytest.raises(EmulatorControlError) as raised:
        subscribe(control, webhook)

    assert raised.value.status == 400
    assert "handshake" in raised.value.message
    assert control.state()["eventSubscriptions"] == []


def test_cloud_events_handshake_uses_options_and_the_allowed_origin(
    control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    subscribe(control, webhook, "CloudEventSchemaV1_0")
    [options] = webhook.received
    assert options.method == "OPTIONS"
    assert options.headers["webhook-request-origin"] == "eventgrid.azure.net"

    webhook.allowed_origin = None
    with pytest.raises(EmulatorControlError):
        control.add_event_subscription(name="other", endpoint=webhook.url, schema="CloudEventSchemaV1_0")


async def test_group_create_update_tag_write_and_delete_emit_the_azure_events(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    subscribe(control, webhook)
    await arm.resource_groups.create_or_update("rg-ev", {"location": "westeurope"})
    await arm.resource_groups.create_or_update("rg-ev", {"location": "westeurope", "tags": {"a": "b"}})
    await arm.resource_groups.get("rg-ev")
    _ = [group async for group in arm.resource_groups.list()]
    scope = f"/subscriptions/{SUB}/resourceGroups/rg-ev"
    await (
        await arm.tags.begin_update_at_scope(scope, {"operation": "Merge", "properties": {"tags": {"c": "d"}}})
    ).result()
    storage = f"{scope}/providers/Microsoft.Storage/storageAccounts/sa1"
    await (
        await arm.resources.begin_create_or_update_by_id(
            storage,
            {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}},
            api_version="2023-01-01",
        )
    ).result()
    await (await arm.resource_groups.begin_delete("rg-ev")).result()
    control.wait_for_deliveries_idle(timeout=5)

    events = sorted(webhook.events(), key=lambda event: str(event["eventTime"]))  # delivery order is not guaranteed
    summary = [(e["eventType"].rsplit(".", 1)[1], e["data"]["operationName"], e["subject"]) for e in events]
    assert summary == [
        ("ResourceWriteSuccess", GROUP_WRITE, GROUP),
        ("ResourceWriteSuccess", GROUP_WRITE, GROUP),
        (
            "ResourceWriteSuccess",
            "Microsoft.Resources/tags/write",
            f"{scope}/providers/Microsoft.Resources/tags/default",
        ),
        ("ResourceWriteSuccess", "Microsoft.Storage/storageAccounts/write", storage),
        ("ResourceDeleteSuccess", "Microsoft.Resources/subscriptions/resourceGroups/delete", GROUP),
    ]
    create, update = events[0], events[1]
    assert "httpRequest" not in create["data"], "creates carry no httpRequest"
    assert update["data"]["httpRequest"]["method"] == "PUT"
    assert events[-1]["data"]["httpRequest"]["method"] == "DELETE"
    identity = control.identity()
    for event in events:
        assert event["topic"] == f"/subscriptions/{SUB}"
        assert event["dataVersion"] == "2"
        assert event["metadataVersion"] == "1"
        data = event["data"]
        assert data["status"] == "Succeeded"
        assert data["subscriptionId"] == SUB
        assert data["tenantId"] == identity.tenant_id
        assert data["resourceProvider"] == data["operationName"].split("/")[0]
        assert data["resourceUri"] == event["subject"]
        assert data["authorization"]["action"] == data["operationName"]
        assert data["authorization"]["scope"] == event["subject"]
        assert data["authorization"]["evidence"] == {"role": "Contributor"}, "no principal outside Action events"
        assert data["claims"]["http://schemas.microsoft.com/identity/claims/objectidentifier"] == identity.principal_id
        assert data["correlationId"]
    first_delivery = webhook.notifications()[0]
    assert first_delivery.headers["content-type"] == "application/json; charset=utf-8"
    assert first_delivery.headers["aeg-event-type"] == "Notification"
    assert first_delivery.headers["aeg-subscription-name"] == "DPGOV-TEST"
    assert first_delivery.headers["aeg-delivery-count"] == "0"
    assert first_delivery.headers["aeg-data-version"] == "2"
    assert first_delivery.headers["aeg-metadata-version"] == "1"


async def test_a_group_delete_event_is_timed_when_the_deletion_succeeds(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    subscribe(control, webhook)
    control.seed_groups(SUB, {"rg-ev": {}})

    poller = await arm.resource_groups.begin_delete("rg-ev")
    await arm.resource_groups.create_or_update("rg-meanwhile", {"location": "westeurope"})
    await poller.result()
    control.wait_for_deliveries_idle(timeout=5)

    by_type = {event["eventType"].rsplit(".", 1)[1]: event for event in webhook.events()}
    assert by_type["ResourceDeleteSuccess"]["eventTime"] > by_type["ResourceWriteSuccess"]["eventTime"]
    assert by_type["ResourceDeleteSuccess"]["data"]["httpRequest"]["method"] == "DELETE"


async def test_correlation_id_of_the_request_is_the_events(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    subscribe(control, webhook)

    await arm.resource_groups.create_or_update(
        "rg-ev",
        {"location": "westeurope"},
        headers={"x-ms-correlation-request-id": "11112222-aaaa-bbbb-cccc-ddddeeeeffff"},
    )
    control.wait_for_deliveries_idle(timeout=5)

    [event] = webhook.events()
    assert event["data"]["correlationId"] == "11112222-aaaa-bbbb-cccc-ddddeeeeffff"


async def test_reads_failures_and_other_subscriptions_emit_nothing(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    subscribe(control, webhook)
    control.seed_groups(SUB, {"rg-ev": {}})
    control.seed_groups(OTHER_SUB, {"rg-other": {}})

    await arm.resource_groups.get("rg-ev")
    await arm.resource_groups.check_existence("rg-ev")
    with pytest.raises(Exception, match="ResourceGroupNotFound"):
        await arm.resource_groups.update("rg-missing", {"tags": {}})
    control.wait_for_deliveries_idle(timeout=5)

    assert webhook.notifications() == []
    assert control.deliveries() == []


async def test_cloud_events_are_single_objects_with_their_content_type(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    subscribe(control, webhook, "CloudEventSchemaV1_0")

    await arm.resource_groups.create_or_update("rg-ev", {"location": "westeurope"})
    [delivery] = webhook.wait_for(1)

    assert delivery.headers["content-type"] == "application/cloudevents+json; charset=utf-8"
    body = delivery.body
    assert isinstance(body, dict)
    assert body["specversion"] == "1.0"
    assert body["type"] == "Microsoft.Resources.ResourceWriteSuccess"
    assert body["source"] == f"/subscriptions/{SUB}"
    assert body["subject"] == GROUP
    assert body["data"]["operationName"] == GROUP_WRITE
    assert "eventType" not in body
    assert "dataVersion" not in body


async def test_a_500_is_retried_until_delivered(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    subscribe(control, webhook)
    webhook.statuses.extend([500, 503])

    await arm.resource_groups.create_or_update("rg-ev", {"location": "westeurope"})
    control.wait_for_deliveries_idle(timeout=10)

    [delivery] = control.deliveries()
    assert delivery.outcome == "delivered"
    assert delivery.attempts == 3
    assert list(delivery.statuses) == [500, 503, 200]
    assert [n.headers["aeg-delivery-count"] for n in webhook.notifications()] == ["0", "1", "2"]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_a_failed_attempt_not_followed(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver, status: int
) -> None:
    """Event Grid's success is 200-204 only: "Everything else, including 3xx, counts as failure"."""
    subscribe(control, webhook)
    webhook.statuses.append(status)

    await arm.resource_groups.create_or_update("rg-ev", {"location": "westeurope"})
    control.wait_for_deliveries_idle(timeout=5)

    [delivery] = control.deliveries()
    assert (delivery.outcome, list(delivery.statuses)) == ("delivered", [status, 200])
    assert [n.headers["aeg-delivery-count"] for n in webhook.notifications()] == ["0", "1"]


@pytest.mark.parametrize("status", [400, 401, 403, 413])
async def test_a_no_retry_status_drops_the_event(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver, status: int
) -> None:
    subscribe(control, webhook)
    webhook.statuses.append(status)

    await arm.resource_groups.create_or_update("rg-ev", {"location": "westeurope"})
    control.wait_for_deliveries_idle(timeout=5)

    [delivery] = control.deliveries()
    assert (delivery.outcome, delivery.attempts, delivery.last_status) == ("dropped", 1, status)


async def test_max_attempts_exhausts_a_failing_delivery(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    subscribe(control, webhook)
    control.set_delivery(max_attempts=2, retry_scale=0.001)
    webhook.statuses.extend([500, 500, 500])

    await arm.resource_groups.create_or_update("rg-ev", {"location": "westeurope"})
    control.wait_for_deliveries_idle(timeout=5)

    [delivery] = control.deliveries()
    assert (delivery.outcome, delivery.attempts) == ("exhausted", 2)


async def test_time_to_live_is_checked_only_at_the_next_scheduled_attempt(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    """At scale 1e-5 the 24 h TTL is 0.864 s; the 11th attempt comes at 0.82 s, the 12th would at 1.25 s."""
    subscribe(control, webhook)
    control.set_delivery(retry_scale=0.00001)
    webhook.statuses.extend([500] * 30)

    started = time.monotonic()
    await arm.resource_groups.create_or_update("rg-ev", {"location": "westeurope"})
    control.wait_for_deliveries_idle(timeout=10)
    elapsed = time.monotonic() - started

    [delivery] = control.deliveries()
    assert delivery.outcome == "exhausted"
    assert delivery.attempts < 30
    assert elapsed >= 1440 * 60 * 0.00001, "dropped before its time to live ran out"


async def test_duplicates_deliver_each_event_more_than_once(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    subscribe(control, webhook)
    control.set_delivery(duplicates=2)

    await arm.resource_groups.create_or_update("rg-ev", {"location": "westeurope"})
    control.wait_for_deliveries_idle(timeout=5)

    events = webhook.events()
    assert len(events) == 3
    assert len({event["id"] for event in events}) == 1


async def test_removed_subscription_gets_nothing_more(
    arm: ResourceManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    subscribe(control, webhook)
    control.remove_event_subscription("dpgov-test")

    await arm.resource_groups.create_or_update("rg-ev", {"location": "westeurope"})
    control.wait_for_deliveries_idle(timeout=5)

    assert webhook.notifications() == []
