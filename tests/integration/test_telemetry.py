"""Telemetry of real reconciles on the local Azure, exported in memory: spans, metrics, logs, no personal data.

The functions run in-process (their blueprints, as the worker would call them) so the SDK installed by
``tests.otel`` sees everything; the engine talks to the emulator through the official SDKs.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from emulator.client import EmulatorControl
from functions import events, queue
from functions_host.queues import make_queue_message
from shared.engine import EngineProvider
from shared.fanout import messages
from tests.integration.conftest import EMEA
from tests.otel import Exported, find_strings, recording

APP_ROOT = Path(__file__).resolve().parents[2]  # host.json's directory

GROUP = "dp-sales-orders-rg"
SCOPE = f"/subscriptions/{EMEA}/resourceGroups/{GROUP}"
EVENT_ID = "7e1e0000-0000-4000-8000-000000000001"
# A person's claims as ARM puts them in a subscription event: none of this may leave the function.
UPN = "zelda.quartermain@contoso-telemetry.example"
EMAIL = "zq.mail@contoso-telemetry.example"
NAME = "Zelda Quartermain"
OBJECT_ID = "5e1da000-7e1e-4e7e-8e7e-00000000a11c"
CLIENT_IP = "203.0.113.77"
# The config's owner values are e-mail addresses too: the tags written carry them, logs never do.
OWNER_EMAILS = ("sales-data@contoso.com", "marketing-data@contoso.com", "finance-data@contoso.com")
PERSONAL = (UPN, EMAIL, NAME, "Quartermain", OBJECT_ID, CLIENT_IP, *OWNER_EMAILS)
OPERATION = "Microsoft.Resources/subscriptions/resourceGroups/write"

Function = Callable[..., Awaitable[None]]


def function(blueprint: func.Blueprint, name: str) -> Function:
    """The user function as the worker indexes it from a blueprint."""
    app = func.FunctionApp()
    app.register_functions(blueprint)
    found = next(f for f in app.get_functions() if f.get_function_name() == name)
    user_function: Function = found.get_user_function()
    return user_function


def url(span: ReadableSpan) -> str:
    return str((span.attributes or {}).get("url.full", ""))


def group_written_by_a_person(event_time: datetime.datetime) -> func.EventGridEvent:
    """``resourceGroups/write`` by a user, with the claims, authorization and request ARM sends."""
    operation = OPERATION
    data: dict[str, Any] = {
        "authorization": {
            "scope": SCOPE,
            "action": operation,
            "evidence": {"role": "Owner", "principalId": OBJECT_ID, "principalType": "User"},
        },
        "claims": {
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": UPN,
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": EMAIL,
            "name": NAME,
            "given_name": "Zelda",
            "family_name": "Quartermain",
            "http://schemas.microsoft.com/identity/claims/objectidentifier": OBJECT_ID,
            "ipaddr": CLIENT_IP,
        },
        "httpRequest": {"clientIpAddress": CLIENT_IP, "method": "PUT", "url": f"https://management.azure.com{SCOPE}"},
        "operationName": operation,
        "resourceProvider": "Microsoft.Resources",
        "resourceUri": SCOPE,
        "status": "Succeeded",
        "subscriptionId": EMEA,
    }
    return func.EventGridEvent(
        id=EVENT_ID,
        data=data,
        topic=f"/subscriptions/{EMEA}",
        subject=SCOPE,
        event_type="Microsoft.Resources.ResourceWriteSuccess",
        event_time=event_time,
        data_version="2",
    )


@pytest.fixture
async def provider(blank_azure: EmulatorControl) -> AsyncIterator[EngineProvider]:
    """The app's engine provider, in this process, over a blank local Azure (no event delivered by it)."""
    del blank_azure
    engine_provider = EngineProvider()
    yield engine_provider
    await engine_provider.close()


async def governed_by_an_event(provider: EngineProvider, arm: ResourceManagementClient) -> Exported:
    """A new sales product's group, then its write event (raised two seconds earlier) to the function."""
    await arm.resource_groups.create_or_update(GROUP, {"location": "westeurope"})
    on_resource_event = function(events.blueprint(provider), "on_resource_event")
    raised = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=2)
    with recording() as exported:
        await on_resource_event(event=group_written_by_a_person(raised))
    return exported[0]


async def test_an_event_reconcile_is_a_span_with_a_child_span_per_action_and_the_sdk_calls_under_those(
    provider: EngineProvider, arm: ResourceManagementClient
) -> None:
    exported = await governed_by_an_event(provider, arm)

    [reconcile] = exported.spans_named("dpgov.reconcile")
    actions = [span for span in exported.spans if "dpgov.action.key" in (span.attributes or {})]
    action_names = {span.name for span in actions}
    writes = [
        span
        for span in exported.spans
        if span.kind is SpanKind.CLIENT and span.name in {"PUT", "PATCH", "POST", "DELETE"}
    ]
    tag_writes = [span for span in writes if "/providers/Microsoft.Resources/tags/default?" in url(span)]
    outside_actions = [
        url(span)
        for span in writes
        if "dpgov.reconcile" in exported.ancestors(span) and not action_names & set(exported.ancestors(span))
    ]

    assert reconcile.parent is None
    assert dict(reconcile.attributes or {}) == {
        "dpgov.trigger": "event",
        "dpgov.reconcile_id": EVENT_ID,
        "dpgov.group": SCOPE,
        "dpgov.landing_zone": "lz-emea",
        "dpgov.dry_run": False,
        "dpgov.outcome": "changed",
        "dpgov.domain": "sales",
        "dpgov.product": "orders",
        "dpgov.environment": "prd",
        "dpgov.actions": len(actions),
    }
    assert all(exported.parent(span) is reconcile for span in actions)
    assert sorted(span.name for span in actions) == [
        "dpgov.catalog.create_domain",
        "dpgov.catalog.create_product",
        "dpgov.policy.grant_policy_identity",
        "dpgov.policy.put_policy_assignment",
        "dpgov.policy.remediate",
        "dpgov.purview.grant_stewards",
        "dpgov.purview.put_collection",
        "dpgov.purview.put_collection",
        "dpgov.purview.put_collection",
        "dpgov.purview.put_entity",
        "dpgov.rbac.create_role_assignment",
        "dpgov.rbac.create_role_assignment",
        "dpgov.rbac.create_role_assignment",
        "dpgov.tags.merge_tags",
        "dpgov.visualization.create_group",
        "dpgov.visualization.create_group",
    ]
    assert {(span.attributes or {}).get("dpgov.action.result") for span in actions} == {"done"}
    assert dict(next(s for s in actions if s.name == "dpgov.tags.merge_tags").attributes or {}) == {
        "dpgov.aspect": "tags",
        "dpgov.action.kind": "merge_tags",
        "dpgov.action.key": f"tags:{SCOPE.lower()}",
        "dpgov.action.result": "done",
    }
    [tag_write] = tag_writes
    assert exported.ancestors(tag_write) == [
        "TagsOperations.begin_update_at_scope",
        "dpgov.tags.merge_tags",
        "dpgov.reconcile",
    ]
    assert (tag_write.attributes or {})["az.client_request_id"] == EVENT_ID
    # Every governance write is under its action's span; the reconcile's own writes are the ledger's
    # (Azurite's table) and the outcome events it publishes (Event Grid's /api/events).
    assert {
        "ledger" if "/devstoreaccount1/" in u else "outcome events" if "/api/events?" in u else u
        for u in outside_actions
    } == {"ledger", "outcome events"}


async def test_an_event_reconcile_counts_the_reconcile_its_actions_and_the_time_from_the_event(
    provider: EngineProvider, arm: ResourceManagementClient
) -> None:
    exported = await governed_by_an_event(provider, arm)

    [(latency_attributes, latency)] = exported.points("dpgov.event_to_governed")
    assert exported.sums("dpgov.reconciles", "dpgov.trigger", "dpgov.outcome", "dpgov.dry_run") == {
        ("event", "changed", False): 1
    }
    assert exported.sums("dpgov.actions", "dpgov.aspect", "dpgov.action.kind", "dpgov.action.result") == {
        ("tags", "merge_tags", "done"): 1,
        ("visualization", "create_group", "done"): 2,
        ("rbac", "create_role_assignment", "done"): 3,
        ("policy", "put_policy_assignment", "done"): 1,
        ("policy", "grant_policy_identity", "done"): 1,
        ("policy", "remediate", "done"): 1,
        ("purview", "put_collection", "done"): 3,
        ("purview", "grant_stewards", "done"): 1,
        ("purview", "put_entity", "done"): 1,
        ("catalog", "create_domain", "done"): 1,
        ("catalog", "create_product", "done"): 1,
    }
    assert exported.points("dpgov.drift") == []
    assert exported.points("dpgov.conflicts") == []
    assert latency_attributes == {"dpgov.landing_zone": "lz-emea"}
    assert latency.count == 1
    assert 2.0 <= latency.sum < 30.0


async def test_the_event_function_logs_carry_the_event_id(
    provider: EngineProvider, arm: ResourceManagementClient
) -> None:
    exported = await governed_by_an_event(provider, arm)

    events_records = [
        str(r.log_record.body)
        for r in exported.logs
        if r.instrumentation_scope and r.instrumentation_scope.name == "dpgov.events"
    ]
    reconciling = f"event {EVENT_ID}: reconciling {EMEA}/{GROUP} (resource group event {OPERATION})"
    summary = f"event {EVENT_ID}: {EMEA}/{GROUP} changed [tags=changed, visualization=changed, rbac=changed, policy=changed, purview=changed, catalog=changed] ("
    assert [body[: len(summary)] for body in events_records] == [reconciling, summary]
    assert [dict(r.log_record.attributes or {}).get("dpgov.reconcile_id") for r in exported.logs] == [EVENT_ID] * len(
        exported.logs
    )


async def test_nothing_from_the_events_claims_or_authorization_is_in_any_span_metric_or_log_record(
    provider: EngineProvider, arm: ResourceManagementClient
) -> None:
    exported = await governed_by_an_event(provider, arm)

    assert len(exported.spans) > 100, "the SDK's spans were exported too"
    assert exported.logs
    assert exported.points("dpgov.reconciles")
    assert find_strings(exported.dump(), PERSONAL) == []


async def test_a_timer_runs_zone_messages_trace_each_landing_zone_and_count_the_drift_they_repair(
    provider: EngineProvider, arm: ResourceManagementClient
) -> None:
    await governed_by_an_event(provider, arm)
    group = await arm.resource_groups.get(GROUP)
    await arm.resource_groups.update(GROUP, {"tags": {**(group.tags or {}), "CostCenter": "CC-9999"}})
    reconcile_zone = function(queue.blueprint(provider), "reconcile_zone")
    run = messages(
        "6d1c1d7e-0000-4000-8000-000000000001", ["lz-emea", "lz-amer"], dry_run=False, request_id=None, trigger="timer"
    )

    with recording() as exported:
        for message in run:
            await reconcile_zone(
                message=make_queue_message(message.to_json().encode(), message_id="m", dequeue_count=1),
                context=SimpleNamespace(function_directory=str(APP_ROOT)),  # what the queue function reads of it
            )

    spans = exported[0]
    estates = spans.spans_named("dpgov.reconcile_all")
    zones = spans.spans_named("dpgov.reconcile_zone")
    [product] = [s for s in spans.spans_named("dpgov.reconcile") if (s.attributes or {}).get("dpgov.group") == SCOPE]
    [merge] = spans.spans_named("dpgov.tags.merge_tags")
    assert len(estates) == 2, "one reconcile_all per landing zone's message"
    assert all(estate.parent is None and (estate.attributes or {})["dpgov.trigger"] == "timer" for estate in estates)
    assert sorted(str((z.attributes or {})["dpgov.landing_zone"]) for z in zones) == ["lz-amer", "lz-emea"]
    assert spans.ancestors(product) == ["dpgov.reconcile_zone", "dpgov.reconcile_all"]
    assert (product.attributes or {})["dpgov.outcome"] == "changed"
    assert spans.ancestors(merge) == ["dpgov.reconcile", "dpgov.reconcile_zone", "dpgov.reconcile_all"]
    assert spans.sums("dpgov.drift", "dpgov.aspect", "dpgov.landing_zone", "dpgov.domain") == {
        ("tags", "lz-emea", "sales"): 1
    }
    assert spans.sums("dpgov.reconciles", "dpgov.trigger", "dpgov.outcome") == {
        ("timer", "changed"): 1,
        ("timer", "unclassified"): 2,  # the landing zone's and the product's visualization groups
    }
    assert spans.points("dpgov.event_to_governed") == []
