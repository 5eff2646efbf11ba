"""The estate fan-out: POST /api/sync and the timer enqueue one message per landing zone, the queue
trigger reconciles each, and the status URL ends with the estate report; poison after the dequeue limit."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import requests
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.storage.queue import TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient

from emulator.client import EmulatorControl, FaultRule
from emulator.host import HostEndpoints, start_host
from tests.integration.conftest import AMER, EMEA, LocalAzure, follow_run
from tests.integration.support import governed, tags_of

POISON_TEST_QUEUE = "dpgov-poison-test"
RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_sync_all_answers_202_with_a_status_url_that_ends_with_the_estate_report(
    azure: LocalAzure, host: HostEndpoints
) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}, "misc-rg": {}})
    azure.control.seed_groups(AMER, {"dp-finance-ledger-rg": {}})

    started = azure.post("sync")

    assert started.status_code == 202
    body = started.json()
    assert RUN_ID.fullmatch(body["run_id"])
    assert started.headers["Location"] == body["status_url"] == azure.api(f"sync/runs/{body['run_id']}")
    assert started.headers["Retry-After"] == "5"
    assert (body["status"], body["dry_run"], body["landing_zones"]) == ("running", False, ["lz-emea", "lz-amer"])

    done = follow_run(started.headers["Location"])

    assert done.status_code == 200
    status = done.json()
    assert (status["run_id"], status["status"], status["trigger"]) == (body["run_id"], "succeeded", "http")
    assert status["progress"] == {"landing_zones": 2, "done": 2, "failed": 0}
    assert [(zone["landing_zone"], zone["state"], zone["attempts"]) for zone in status["landing_zones"]] == [
        ("lz-emea", "done", 1),
        ("lz-amer", "done", 1),
    ]
    report = status["report"]
    assert report["dry_run"] is False
    assert (report["summary"]["changed"], report["summary"]["unclassified"], report["summary"]["groups"]) == (2, 1, 3)
    groups = [(g["subscription_id"], g["resource_group"].lower()) for g in report["groups"]]
    assert groups == sorted(groups), "merged in the order one reconcile-all reports them"
    assert {g["resource_group"] for g in report["groups"] if g["outcome"] == "changed"} == {
        "dp-sales-orders-rg",
        "dp-finance-ledger-rg",
    }
    assert report["conditions"]["tags"] == {"changed": 2}
    # One message per landing zone: each zone was reconciled once, by the queue trigger.
    reconciled = re.findall(rf"run {body['run_id']}: landing zone (\S+) reconciled", host.log_text())
    assert sorted(reconciled) == ["lz-amer", "lz-emea"]


def test_a_redelivered_zone_message_reconciles_again_harmlessly(azure: LocalAzure) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}})
    first = azure.sync_all().json()
    azure.control.wait_for_deliveries_idle(timeout=30)  # the events of the app's own writes
    azure.control.clear_requests()
    message = {  # the previous version's shape: one landing zone (a queue may hold such during a deploy)
        "run_id": first["run_id"],
        "landing_zone": "lz-emea",
        "dry_run": False,
        "request_id": first["run_id"],
        "trigger": "http",
    }

    redelivered = requests.post(
        f"{azure.host_url}/admin/functions/reconcile_zone", json={"input": json.dumps(message)}, timeout=120
    )
    again = follow_run(azure.api(f"sync/runs/{first['run_id']}"))

    assert redelivered.status_code == 202
    assert azure.control.request_summary().writes == 0, "the zone is governed: nothing to write again"
    assert (again.status_code, again.json()["status"], again.json()["progress"]) == (
        200,
        "succeeded",
        {"landing_zones": 2, "done": 2, "failed": 0},
    )
    assert first["report"]["summary"]["changed"] == 1
    assert again.json()["report"]["summary"]["compliant"] == 1, "the zone's record is replaced, not added"


def test_a_batch_message_reconciles_each_of_its_zones_from_resource_graph_and_records_each(
    azure: LocalAzure,
) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}})
    azure.control.seed_groups(AMER, {"dp-finance-ledger-rg": {}})
    first = azure.sync_all().json()
    azure.control.wait_for_deliveries_idle(timeout=30)  # the events of the app's own writes
    azure.control.clear_requests()
    batch = {
        "run_id": first["run_id"],
        "landing_zones": ["lz-emea", "lz-amer"],
        "dry_run": False,
        "request_id": first["run_id"],
        "trigger": "timer",
        "resource_graph": True,
    }

    delivered = requests.post(
        f"{azure.host_url}/admin/functions/reconcile_zone", json={"input": json.dumps(batch)}, timeout=120
    )
    again = follow_run(azure.api(f"sync/runs/{first['run_id']}")).json()

    assert delivered.status_code == 202
    counts = azure.control.request_summary().by_operation
    assert counts.get("Resources") == 3, "one Resource Graph query each for groups, role and policy assignments"
    assert [counts.get(name, 0) for name in ("ResourceGroups_List", "RoleAssignments_ListForSubscription")] == [0, 0]
    assert azure.control.request_summary().writes == 0
    assert [(zone["landing_zone"], zone["state"], zone["attempts"]) for zone in again["landing_zones"]] == [
        ("lz-emea", "done", 1),
        ("lz-amer", "done", 1),
    ]
    assert {g["resource_group"]: g["outcome"] for g in again["report"]["groups"] if g["outcome"] != "unclassified"} == {
        "dp-sales-orders-rg": "compliant",
        "dp-finance-ledger-rg": "compliant",
    }


def test_dry_run_sync_all_reports_the_plan_through_the_status_url_and_writes_nothing(azure: LocalAzure) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}})

    done = azure.sync_all(dryRun="true")

    assert done.status_code == 200
    assert done.json()["dry_run"] is True
    assert done.json()["report"]["summary"]["planned"] == 1
    assert azure.control.request_summary().writes == 0


def test_status_of_an_unknown_run_is_404_and_a_bad_run_id_400(azure: LocalAzure) -> None:
    unknown = azure.get("sync/runs/00000000-0000-0000-0000-000000000000")
    bad = azure.get("sync/runs/not-a-run")

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "RunNotFound")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "InvalidRunId")


async def test_timer_enqueues_a_run_and_the_estate_converges(azure: LocalAzure, arm: ResourceManagementClient) -> None:
    drifted = {**governed("sales", "orders"), "CostCenter": "CC-0000"}
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": drifted})
    azure.control.seed_groups(AMER, {"dp-finance-ledger-rg": {}})

    fired, done = azure.run_timer_and_wait()

    assert fired.status_code == 202
    assert done is not None
    assert done.status_code == 200
    assert done.json()["trigger"] == "timer"
    assert done.json()["progress"] == {"landing_zones": 2, "done": 2, "failed": 0}
    assert done.json()["report"]["summary"]["changed"] == 2
    assert await tags_of(arm, "dp-sales-orders-rg") == governed("sales", "orders")


@pytest.fixture
def poison_host(blank_azure: EmulatorControl, app_environment: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A host of the same app on its own queue, with a dequeue limit of 2 and no visibility delay."""
    host_json = {
        "version": "2.0",
        "extensions": {
            "queues": {"maxDequeueCount": 2, "maxPollingInterval": "00:00:01", "visibilityTimeout": "00:00:00"}
        },
    }
    (tmp_path / "host.json").write_text(json.dumps(host_json))
    environment = {**app_environment, "DPGOV_RECONCILE_QUEUE": POISON_TEST_QUEUE}
    with start_host(app="function_app:app", env=environment, cwd=tmp_path, log_path=tmp_path / "host.log") as host:
        yield host.url


@pytest.fixture
async def queues(app_environment: dict[str, str]) -> AsyncIterator[tuple[QueueClient, QueueClient]]:
    """The poison test's queue (messages base64-encoded, as the app sends them) and its poison queue."""
    url = app_environment["AzureWebJobsStorage__queueServiceUri"]
    async with (
        DefaultAzureCredential() as credential,
        QueueClient(url, POISON_TEST_QUEUE, credential=credential, message_encode_policy=TextBase64EncodePolicy()) as q,
        QueueClient(url, f"{POISON_TEST_QUEUE}-poison", credential=credential) as poison,
    ):
        yield q, poison


async def poison_messages(poison: QueueClient, expected: int, within: float = 120) -> list[str]:
    deadline = time.monotonic() + within
    while True:
        try:
            found = [message.content for message in await poison.peek_messages(max_messages=32)]
        except Exception:  # not created yet
            found = []
        if len(found) >= expected or time.monotonic() > deadline:
            return [str(content) for content in found]
        await asyncio.sleep(0.3)


async def test_a_malformed_message_lands_in_the_poison_queue_after_the_dequeue_limit(
    poison_host: str, queues: tuple[QueueClient, QueueClient], tmp_path: Path
) -> None:
    queue, poison = queues
    await queue.create_queue()

    await queue.send_message("not a reconcile message")

    moved = await poison_messages(poison, 1)
    assert [base64.b64decode(content).decode() for content in moved] == ["not a reconcile message"]
    assert await queue.peek_messages() == []
    log = (tmp_path / "host.log").read_text()
    assert log.count("Executing 'Functions.reconcile_zone'") == 2, "dequeued twice, then moved"
    assert "Message has reached MaxDequeueCount of 2" in log
    assert "MalformedMessage: a reconcile message must be JSON" in log


async def test_a_zone_that_keeps_failing_transiently_is_retried_then_given_up_and_the_run_ends_failed(
    poison_host: str, blank_azure: EmulatorControl, queues: tuple[QueueClient, QueueClient], tmp_path: Path
) -> None:
    _, poison = queues
    blank_azure.seed_groups(EMEA, {"dp-sales-orders-rg": {}})
    blank_azure.seed_groups(AMER, {"dp-finance-ledger-rg": {}})
    blank_azure.set_faults([FaultRule(status=503, rate=1.0, method="PATCH", path="dp-sales-orders-rg")])

    started = await asyncio.to_thread(requests.post, f"{poison_host}/api/sync", timeout=60)
    moved = await poison_messages(poison, 1)
    status = await asyncio.to_thread(requests.get, started.headers["Location"], timeout=60)

    assert started.status_code == 202
    assert [json.loads(base64.b64decode(content))["landing_zones"] for content in moved] == [["lz-emea"]]
    assert json.loads(base64.b64decode(moved[0]))["run_id"] == started.json()["run_id"]
    assert status.status_code == 200, "finished: the zone was given up on at the host's last delivery"
    assert (status.json()["status"], status.json()["progress"]) == (
        "failed",
        {"landing_zones": 2, "done": 1, "failed": 1},
    )
    zones = {zone["landing_zone"]: zone for zone in status.json()["landing_zones"]}
    assert (zones["lz-amer"]["state"], zones["lz-amer"]["attempts"]) == ("done", 1)
    assert (zones["lz-emea"]["state"], zones["lz-emea"]["attempts"]) == ("failed", 2)
    assert "transient failure" in zones["lz-emea"]["error"]
    assert [group["resource_group"] for group in status.json()["report"]["groups"]] == ["dp-finance-ledger-rg"]
    log = (tmp_path / "host.log").read_text()
    assert "Message has reached MaxDequeueCount of 2" in log
    assert "giving up on lz-emea after 2 attempts" in log
    blank_azure.clear_faults()
