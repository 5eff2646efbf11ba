"""Outcome events end to end: what the app tells the world after a reconcile, on the emulator's topic.

The host publishes with azure-eventgrid and its managed identity to the custom topic the emulator
serves (``DPGOV_OUTCOME_TOPIC_ENDPOINT`` from the ready file); the test reads what the topic received
through the control API. Ids are checked exactly: uuid5 over the type, the group's id, the trigger (the
HTTP caller's ``x-ms-client-request-id`` or the Event Grid event's id) and the plan's action keys; for
standing findings, the UTC day instead of the trigger.

The host (and so its memory of the ids it published) lives for the whole session while the emulator
is reset per test, so each test uses its own request ids and group names.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import requests
from azure.core.pipeline.transport import AioHttpTransport
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource

from emulator.client import EmulatorControl, FaultRule, SeedResource, TopicEvent
from emulator.host import HostEndpoints
from shared.azure.clients import USER_AGENT
from shared.azure.outcome_topic import SENDS_IN_FLIGHT, OutcomePublisher
from shared.model import GroupRef
from shared.outcome_events import NAMESPACE
from shared.report import GroupReport, Outcome
from tests.integration.conftest import EMEA, LocalAzure, unsubscribe_events
from tests.integration.support import governed, group_writes, tags_of
from tests.integration.test_identity_pin import CHURN, retag

ORDERS = "dp-sales-orders-rg"
SCOPE = f"/subscriptions/{EMEA}/resourceGroups/{ORDERS}"
ORDERS_PRODUCT = {"landing_zone": "lz-emea", "domain": "sales", "product": "orders", "environment": "prd"}
ASPECTS = ["tags", "visualization", "rbac", "policy", "purview", "catalog"]
OWNER = "sales-data@contoso.com"  # the example config's owner tag value: an e-mail address


def expected_id(kind: str, subject: str, trigger: str, keys: list[str]) -> str:
    return str(uuid.uuid5(NAMESPACE, "\n".join([kind, subject.lower(), trigger, *sorted(keys)])))


def sync(azure: LocalAzure, group: str, request_id: str) -> requests.Response:
    """``POST …/sync`` as an operator's script would, naming its request (the events' trigger)."""
    return requests.post(
        azure.api(f"dataproducts/{EMEA}/{group}/sync"), headers={"x-ms-client-request-id": request_id}, timeout=60
    )


def events_about(control: EmulatorControl, group: str) -> list[TopicEvent]:
    return [event for event in control.topic_events() if (event.subject or "").lower().endswith(f"/{group.lower()}")]


def projected(report: dict[str, Any]) -> list[dict[str, Any]]:
    """What an event says of a report's conditions: status, reason, action kinds and keys, finding reasons."""
    kinds = {action["key"]: action["kind"] for action in report["plan"]}
    return [
        {
            "aspect": c["aspect"],
            "status": c["status"],
            "reason": c["reason"],
            "actions": [{"kind": kinds[key], "key": key} for key in c["actions"]],
            "findings": [{"kind": f["kind"], "reason": f["reason"]} for f in c.get("findings", [])],
        }
        for c in report["conditions"]
    ]


def plan_keys(report: dict[str, Any]) -> list[str]:
    return [action["key"] for action in report["plan"]]


def outcome_counts(azure: LocalAzure) -> dict[str, int]:
    counts: dict[str, int] = azure.get("health/details").json()["outcome_events"]
    return counts


def test_a_first_sync_announces_the_product_governed_with_its_identity_and_every_aspects_actions(
    azure: LocalAzure,
) -> None:
    azure.control.seed_groups(EMEA, {ORDERS: {}})
    trigger = str(uuid.uuid4())

    report = sync(azure, ORDERS, trigger).json()

    [event] = azure.control.topic_events()
    assert report["outcome"] == "changed"
    assert (event.schema, event.type, event.subject, event.source) == (
        "CloudEventSchemaV1_0",
        "DataProduct.Governed",
        SCOPE,
        "/dpgov/lz-emea",
    )
    assert event.id == expected_id("DataProduct.Governed", SCOPE, trigger, plan_keys(report))
    assert event.event["datacontenttype"] == "application/json"
    assert event.data == {
        "subscription_id": EMEA,
        "resource_group": ORDERS,
        "landing_zone": "lz-emea",
        "outcome": "changed",
        "data_product": ORDERS_PRODUCT,
        "identity_source": "name",
        "conditions": projected(report),
    }
    assert [c["aspect"] for c in event.data["conditions"]] == ASPECTS
    assert {a["kind"] for c in event.data["conditions"] for a in c["actions"]} >= {
        "merge_tags",
        "create_role_assignment",
        "put_policy_assignment",
        "put_collection",
        "create_product",
    }
    assert OWNER not in str(event.event), "the owner tag's value is an e-mail address: never in an event"
    assert sync(azure, ORDERS, str(uuid.uuid4())).json()["outcome"] == "compliant"
    assert len(azure.control.topic_events()) == 1, "a compliant reconcile publishes nothing"


async def test_a_group_created_through_arm_is_announced_by_its_event_with_the_events_id_as_trigger(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update("dp-finance-ledger-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=30)

    [write] = group_writes(azure.control, "dp-finance-ledger-rg")
    [event] = events_about(azure.control, "dp-finance-ledger-rg")
    subject = f"/subscriptions/{EMEA}/resourceGroups/dp-finance-ledger-rg"
    keys = [action["key"] for c in event.data["conditions"] for action in c["actions"]]
    assert (event.type, event.subject) == ("DataProduct.Governed", subject)
    assert event.id == expected_id("DataProduct.Governed", subject, write.event_id, keys)
    assert event.data["data_product"] == {
        "landing_zone": "lz-emea",
        "domain": "finance",
        "product": "ledger",
        "environment": "prd",
    }


async def test_a_drift_repair_is_announced_with_the_one_action_it_took(
    azure: LocalAzure, arm: ResourceManagementClient, team_arm: ResourceManagementClient
) -> None:
    azure.control.seed_groups(EMEA, {ORDERS: {}})
    assert sync(azure, ORDERS, str(uuid.uuid4())).json()["outcome"] == "changed"
    unsubscribe_events(azure)  # the team's write goes unseen: the sync finds it
    await team_overwrites_cost_center(team_arm)
    trigger = str(uuid.uuid4())

    report = sync(azure, ORDERS, trigger).json()

    repaired = azure.control.topic_events()[1:]
    tags_key = f"tags:/subscriptions/{EMEA}/resourcegroups/{ORDERS}"
    assert [e.type for e in repaired] == ["DataProduct.DriftRepaired"]
    [event] = repaired
    assert event.id == expected_id("DataProduct.DriftRepaired", SCOPE, trigger, [tags_key])
    assert event.data["outcome"] == "changed"
    assert event.data["conditions"] == projected(report)
    assert event.data["conditions"][0] == {
        "aspect": "tags",
        "status": "changed",
        "reason": "Reconciled",
        "actions": [{"kind": "merge_tags", "key": tags_key}],
        "findings": [],
    }
    assert [(c["aspect"], c["status"], c["actions"]) for c in event.data["conditions"][1:]] == [
        (aspect, "compliant", []) for aspect in ASPECTS[1:]
    ]
    assert await tags_of(arm, ORDERS) == governed("sales", "orders")


async def team_overwrites_cost_center(team_arm: ResourceManagementClient) -> None:
    patch = TagsPatchResource(operation="Merge", properties=Tags(tags={"CostCenter": "CC-9999"}))
    await (await team_arm.tags.begin_update_at_scope(SCOPE, patch)).result()


async def test_a_deleted_product_is_announced_retired_with_what_was_retired(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    azure.control.seed_groups(EMEA, {ORDERS: {}})
    assert sync(azure, ORDERS, str(uuid.uuid4())).json()["outcome"] == "changed"
    unsubscribe_events(azure)
    await (await arm.resource_groups.begin_delete(ORDERS, polling_interval=0.05)).result()
    trigger = str(uuid.uuid4())

    report = sync(azure, ORDERS, trigger).json()

    retired = azure.control.topic_events()[1:]
    assert report["outcome"] == "retired"
    assert [(e.type, e.subject) for e in retired] == [("DataProduct.Retired", SCOPE)]
    [event] = retired
    assert event.id == expected_id("DataProduct.Retired", SCOPE, trigger, plan_keys(report))
    assert event.data == {
        "subscription_id": EMEA,
        "resource_group": ORDERS,
        "landing_zone": "lz-emea",
        "outcome": "retired",
        "data_product": ORDERS_PRODUCT,
        "identity_source": "name",
        "conditions": projected(report),
    }
    assert {a["kind"] for c in event.data["conditions"] for a in c["actions"]} == {"put_entity", "expire_product"}


async def test_a_retag_against_the_pin_is_announced_as_a_conflict_naming_both_identities(
    azure: LocalAzure, arm: ResourceManagementClient, team_arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update(
        CHURN, {"location": "westeurope", "tags": {"DataDomain": "sales", "DataProduct": "churn"}}
    )
    azure.control.wait_for_deliveries_idle(timeout=30)
    unsubscribe_events(azure)
    await retag(team_arm, {"DataDomain": "finance"})
    trigger = str(uuid.uuid4())

    report = sync(azure, CHURN, trigger).json()

    subject = f"/subscriptions/{EMEA}/resourceGroups/{CHURN}"
    assert [e.type for e in events_about(azure.control, CHURN)] == ["DataProduct.Governed", "DataProduct.Conflict"]
    event = events_about(azure.control, CHURN)[1]
    assert event.id == expected_id("DataProduct.Conflict", subject, trigger, plan_keys(report))
    sales_churn = {"landing_zone": "lz-emea", "domain": "sales", "product": "churn", "environment": "prd"}
    assert event.data == {
        "subscription_id": EMEA,
        "resource_group": CHURN,
        "landing_zone": "lz-emea",
        "outcome": "changed",
        "data_product": sales_churn,
        "identity_source": "tags",
        "conditions": projected(report),
        "conflict": {"pinned": sales_churn, "claimed": {**sales_churn, "domain": "finance"}},
    }
    assert event.data["conditions"][0]["status"] == "conflict"
    assert event.data["conditions"][0]["findings"] == [{"kind": "conflict", "reason": "RetaggedIdentity"}]


def test_a_step_that_needs_a_person_is_announced_blocked_once_a_day_when_nothing_else_happens(
    azure: LocalAzure,
) -> None:
    group = "dp-finance-invoices-rg"
    sql = SeedResource("Microsoft.Sql/servers", "sql-finance-invoices", properties={"version": "12.0"})
    azure.control.seed_resources(EMEA, group, [sql])  # Purview registers it, but a person must grant its login

    governing = sync(azure, group, str(uuid.uuid4())).json()
    quiet = sync(azure, group, str(uuid.uuid4())).json()
    again = sync(azure, group, str(uuid.uuid4())).json()

    subject = f"/subscriptions/{EMEA}/resourceGroups/{group}"
    blocked = [(c["aspect"], c["reason"]) for c in quiet["conditions"] if c["status"] == "blocked"]
    assert (quiet["outcome"], again["outcome"], blocked) == ("compliant", "compliant", [("purview", blocked[0][1])])
    assert [e.type for e in events_about(azure.control, group)] == ["DataProduct.Governed", "DataProduct.Blocked"]
    governed_event, blocked_event = events_about(azure.control, group)
    assert governed_event.data["conditions"] == projected(governing), "governed, and already blocked in its data"
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    parts = ["DataProduct.Blocked", subject.lower(), today, *[f"{aspect}:{reason}" for aspect, reason in blocked]]
    assert blocked_event.id == str(uuid.uuid5(NAMESPACE, "\n".join(parts)))
    assert blocked_event.data["conditions"] == projected(quiet)


async def test_a_failing_topic_neither_fails_nor_undoes_the_governance_and_is_logged_and_counted(
    azure: LocalAzure, arm: ResourceManagementClient, host: HostEndpoints
) -> None:
    azure.control.seed_groups(EMEA, {"dp-marketing-leads-rg": {}})
    azure.control.set_faults([FaultRule(status=503, path="^/api/events$")])
    before = outcome_counts(azure)
    trigger = str(uuid.uuid4())

    response = sync(azure, "dp-marketing-leads-rg", trigger)

    assert response.status_code == 200
    assert response.json()["outcome"] == "changed"
    assert await tags_of(arm, "dp-marketing-leads-rg") == governed("marketing", "leads")
    assert azure.control.topic_events() == []
    assert [(p.status, p.error_code) for p in azure.control.topic_publishes()] == [(503, "ServiceUnavailable")] * 4, (
        "the first attempt and the SDK's three retries"
    )
    after = outcome_counts(azure)
    assert (after["failed"] - before["failed"], after["published"] - before["published"]) == (1, 0)
    subject = f"/subscriptions/{EMEA}/resourceGroups/dp-marketing-leads-rg"
    lost = expected_id("DataProduct.Governed", subject, trigger, plan_keys(response.json()))
    logged = [line for line in host.log_text().splitlines() if lost in line]
    assert len(logged) == 1
    assert " ERROR dpgov.outcomes " in logged[0]
    assert "HTTP 503" in logged[0]


async def test_redelivered_events_publish_no_duplicate(azure: LocalAzure, arm: ResourceManagementClient) -> None:
    azure.control.set_delivery(duplicates=2)  # every event delivered three times, racing

    await arm.resource_groups.create_or_update("dp-sales-forecast-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=30)

    assert [d.outcome for d in group_writes(azure.control, "dp-sales-forecast-rg")] == ["delivered"] * 3
    assert [e.type for e in events_about(azure.control, "dp-sales-forecast-rg")] == ["DataProduct.Governed"]


async def test_an_unclassified_group_is_announced_once_however_often_it_is_reconciled(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    group = "dp-legal-contracts-rg"  # the config has no domain "legal"
    await arm.resource_groups.create_or_update("shared-network-rg", {"location": "westeurope"})
    await arm.resource_groups.create_or_update(group, {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=30)
    await arm.resource_groups.create_or_update(group, {"location": "westeurope", "tags": {"team": "legal"}})
    azure.control.wait_for_deliveries_idle(timeout=30)
    assert azure.run_timer().status_code == 202

    subject = f"/subscriptions/{EMEA}/resourceGroups/{group}"
    [event] = events_about(azure.control, group)
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert (event.type, event.subject, event.source) == ("LandingZone.Unclassified", subject, "/dpgov/lz-emea")
    assert event.id == str(uuid.uuid5(NAMESPACE, "\n".join(["LandingZone.Unclassified", subject.lower(), today])))
    assert event.data == {
        "subscription_id": EMEA,
        "resource_group": group,
        "landing_zone": "lz-emea",
        "outcome": "unclassified",
    }
    assert events_about(azure.control, "shared-network-rg") == [], "a group that names no domain is not news"


# -- the publisher itself, in this process, over the real SDK and the emulator's topic ---------------


@pytest.fixture
async def publisher(app_environment: dict[str, str]) -> AsyncIterator[OutcomePublisher]:
    async with DefaultAzureCredential() as credential:
        topic = OutcomePublisher(
            app_environment["DPGOV_OUTCOME_TOPIC_ENDPOINT"],
            credential,
            transport=AioHttpTransport(),
            user_agent=USER_AGENT,
        )
        try:
            yield topic
        finally:
            await topic.close()


def near_miss(group: str) -> GroupReport:
    return GroupReport(GroupRef(EMEA, group), Outcome.UNCLASSIFIED, "lz-emea", named_unknown=True)


async def test_the_same_report_for_the_same_trigger_is_published_once(
    blank_azure: EmulatorControl, publisher: OutcomePublisher
) -> None:
    report = near_miss("dp-hr-payroll-rg")

    await publisher.publish([report], trigger="t-1")
    await publisher.publish([report], trigger="t-2")

    assert [e.type for e in blank_azure.topic_events()] == ["LandingZone.Unclassified"]
    assert publisher.stats().to_dict() == {"published": 1, "failed": 0, "repeated": 1}


async def test_a_large_runs_batches_go_out_four_at_a_time(
    blank_azure: EmulatorControl, publisher: OutcomePublisher
) -> None:
    """6,000 events are six batches (Event Grid takes 1 MB a request); at a second per request, sent one
    after another they would take six seconds, four at a time two."""
    reports = [near_miss(f"dp-hr-p{n:04d}-rg") for n in range(6000)]
    blank_azure.set_latency(1000)
    try:
        await publisher.publish(reports, trigger="t-large")
    finally:
        blank_azure.set_latency(0)

    publishes = blank_azure.topic_publishes()
    assert sorted(p.events for p in publishes) == [100, 1180, 1180, 1180, 1180, 1180]
    assert max(p.in_flight for p in publishes) == SENDS_IN_FLIGHT == 4
    assert len(blank_azure.topic_events()) == 6000
    assert publisher.stats().to_dict() == {"published": 6000, "failed": 0, "repeated": 0}


async def test_a_publish_the_topic_refuses_is_logged_at_error_with_the_event_ids_and_counted(
    blank_azure: EmulatorControl, publisher: OutcomePublisher, caplog: pytest.LogCaptureFixture
) -> None:
    blank_azure.set_faults([FaultRule(status=500, path="^/api/events$")])
    reports = [near_miss("dp-hr-payroll-rg"), near_miss("dp-hr-benefits-rg")]

    with caplog.at_level(logging.ERROR, logger="dpgov.outcomes"):
        await publisher.publish(reports, trigger="t-1")

    [record] = caplog.records
    assert record.levelno == logging.ERROR
    for report in reports:
        subject = report.group.scope.lower()
        today = datetime.datetime.now(datetime.UTC).date().isoformat()
        assert str(uuid.uuid5(NAMESPACE, f"LandingZone.Unclassified\n{subject}\n{today}")) in record.getMessage()
    assert publisher.stats().to_dict() == {"published": 0, "failed": 2, "repeated": 0}
    blank_azure.clear_faults()
    await publisher.publish(reports, trigger="t-2")
    assert len(blank_azure.topic_events()) == 2, "a failed id is not remembered: a later reconcile sends it"
