"""The estate fan-out's pure core: zone messages, a run's status, the estate report of its zones."""

from __future__ import annotations

import datetime
import json
import random
from typing import Any

import pytest

from shared.azure.runs import pack_report, unpack_report
from shared.config import ConfigError
from shared.fanout import MalformedMessage, Run, ZoneMessage, ZoneRecord, ZoneState, combine, messages, run_status
from shared.settings import Settings, reconcile_queue

RUN = "6d1c1d7e-0000-4000-8000-000000000001"
T0 = datetime.datetime(2026, 11, 27, 14, 0, tzinfo=datetime.UTC)


def zone_report(subscription: str, groups: list[tuple[str, str]], *, changed: int, compliant: int) -> dict[str, Any]:
    return {
        "dry_run": False,
        "duration_ms": 10.0,
        "summary": {"compliant": compliant, "changed": changed, "groups": len(groups), "actions": changed},
        "conditions": {"tags": {"changed": changed, "compliant": compliant}},
        "groups": [{"subscription_id": subscription, "resource_group": name, "outcome": o} for name, o in groups],
    }


def test_one_message_per_landing_zone_naming_the_run_the_zone_and_dry_run() -> None:
    sent = messages(RUN, ["lz-emea", "lz-amer"], dry_run=True, request_id=None, trigger="http")

    assert [json.loads(message.to_json()) for message in sent] == [
        {
            "run_id": RUN,
            "landing_zones": [zone],
            "dry_run": True,
            "request_id": RUN,
            "trigger": "http",
            "resource_graph": False,
        }
        for zone in ("lz-emea", "lz-amer")
    ]
    assert [ZoneMessage.parse(message.to_json()) for message in sent] == sent


def test_below_the_resource_graph_threshold_each_landing_zone_still_has_its_own_message() -> None:
    sent = messages(RUN, ["lz-1", "lz-2", "lz-3"], dry_run=False, request_id="r", trigger="timer", graph_min_zones=4)

    assert [(m.landing_zones, m.resource_graph) for m in sent] == [
        (("lz-1",), False),
        (("lz-2",), False),
        (("lz-3",), False),
    ]


def test_a_large_estate_is_sent_in_batches_of_the_threshold_each_observed_with_resource_graph() -> None:
    zones = [f"lz-{n}" for n in range(1, 8)]

    sent = messages(RUN, zones, dry_run=False, request_id="r", trigger="timer", graph_min_zones=3)

    assert [(m.landing_zones, m.resource_graph) for m in sent] == [
        (("lz-1", "lz-2", "lz-3"), True),
        (("lz-4", "lz-5", "lz-6"), True),
        (("lz-7",), True),
    ]
    assert [ZoneMessage.parse(message.to_json()) for message in sent] == sent


def test_a_message_of_the_previous_version_with_one_landing_zone_is_still_understood() -> None:
    legacy = {"run_id": RUN, "landing_zone": "lz-emea", "dry_run": False, "request_id": RUN, "trigger": "timer"}

    assert ZoneMessage.parse(json.dumps(legacy)) == ZoneMessage(RUN, ("lz-emea",), False, RUN, "timer", False)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        json.dumps({"run_id": RUN, "landing_zone": "lz-emea", "dry_run": False, "request_id": RUN}),
        json.dumps({"run_id": RUN, "landing_zone": "", "dry_run": False, "request_id": RUN, "trigger": "http"}),
        json.dumps({"run_id": RUN, "landing_zone": "lz-emea", "dry_run": "no", "request_id": RUN, "trigger": "http"}),
        json.dumps({"run_id": RUN, "landing_zone": "lz-emea", "dry_run": False, "request_id": RUN, "trigger": "event"}),
        json.dumps({"run_id": RUN, "landing_zones": [], "dry_run": False, "request_id": RUN, "trigger": "http"}),
        json.dumps({"run_id": RUN, "landing_zones": ["a", 1], "dry_run": False, "request_id": RUN, "trigger": "http"}),
        json.dumps(
            {
                "run_id": RUN,
                "landing_zones": ["lz-emea"],
                "dry_run": False,
                "request_id": RUN,
                "trigger": "http",
                "resource_graph": "yes",
            }
        ),
    ],
)
def test_a_malformed_message_is_refused(text: str) -> None:
    with pytest.raises(MalformedMessage):
        ZoneMessage.parse(text)


def test_a_running_run_reports_progress_and_each_zones_state_without_a_report() -> None:
    run = Run(RUN, ("lz-emea", "lz-amer"), False, "http", T0)
    emea = zone_report("1111", [("dp-a-rg", "changed")], changed=1, compliant=0)
    records = [
        ZoneRecord("lz-emea", ZoneState.DONE, 1, T0 + datetime.timedelta(seconds=2), emea),
        ZoneRecord("lz-amer", ZoneState.RETRYING, 2, T0 + datetime.timedelta(seconds=3), error="transient failure"),
    ]

    status = run_status(run, records)

    assert status == {
        "run_id": RUN,
        "status": "running",
        "dry_run": False,
        "trigger": "http",
        "created_at": "2026-11-27T14:00:00.000+00:00",
        "progress": {"landing_zones": 2, "done": 1, "failed": 0},
        "landing_zones": [
            {"landing_zone": "lz-emea", "state": "done", "attempts": 1, "updated_at": "2026-11-27T14:00:02.000+00:00"},
            {
                "landing_zone": "lz-amer",
                "state": "retrying",
                "attempts": 2,
                "updated_at": "2026-11-27T14:00:03.000+00:00",
                "error": "transient failure",
            },
        ],
    }


def test_a_zone_not_recorded_yet_is_pending() -> None:
    status = run_status(Run(RUN, ("lz-emea",), True, "timer", T0), [])

    assert status["landing_zones"] == [{"landing_zone": "lz-emea", "state": "pending"}]
    assert status["progress"] == {"landing_zones": 1, "done": 0, "failed": 0}


def test_a_finished_run_ends_with_the_estate_report_of_its_zones() -> None:
    run = Run(RUN, ("lz-emea", "lz-amer"), False, "timer", T0)
    emea = zone_report("1111", [("dp-b-rg", "changed"), ("dp-a-rg", "compliant")], changed=1, compliant=1)
    amer = zone_report("2222", [("dp-c-rg", "compliant")], changed=0, compliant=1)
    records = [
        ZoneRecord("lz-amer", ZoneState.DONE, 1, T0 + datetime.timedelta(seconds=4), amer),
        ZoneRecord("lz-emea", ZoneState.DONE, 3, T0 + datetime.timedelta(seconds=2), emea),
    ]

    status = run_status(run, records)

    assert (status["status"], status["finished_at"]) == ("succeeded", "2026-11-27T14:00:04.000+00:00")
    assert status["report"] == {
        "dry_run": False,
        "duration_ms": 4000.0,
        "summary": {"compliant": 2, "changed": 1, "groups": 3, "actions": 1},
        "conditions": {"tags": {"changed": 1, "compliant": 2}},
        "groups": [
            {"subscription_id": "1111", "resource_group": "dp-a-rg", "outcome": "compliant"},
            {"subscription_id": "1111", "resource_group": "dp-b-rg", "outcome": "changed"},
            {"subscription_id": "2222", "resource_group": "dp-c-rg", "outcome": "compliant"},
        ],
    }


def test_a_zone_given_up_on_ends_the_run_as_failed_with_the_other_zones_report() -> None:
    run = Run(RUN, ("lz-emea", "lz-amer"), False, "timer", T0)
    amer = zone_report("2222", [("dp-c-rg", "compliant")], changed=0, compliant=1)
    records = [
        ZoneRecord("lz-amer", ZoneState.DONE, 1, T0 + datetime.timedelta(seconds=1), amer),
        ZoneRecord("lz-emea", ZoneState.FAILED, 5, T0 + datetime.timedelta(seconds=9), error="ARM 503"),
    ]

    status = run_status(run, records)

    assert (status["status"], status["progress"]) == ("failed", {"landing_zones": 2, "done": 1, "failed": 1})
    assert status["landing_zones"][0] == {
        "landing_zone": "lz-emea",
        "state": "failed",
        "attempts": 5,
        "updated_at": "2026-11-27T14:00:09.000+00:00",
        "error": "ARM 503",
    }
    assert (status["finished_at"], status["report"]["summary"]["groups"]) == ("2026-11-27T14:00:09.000+00:00", 1)


def test_combining_no_zones_is_an_empty_estate_report() -> None:
    assert combine([], dry_run=True, duration_ms=0.0) == {
        "dry_run": True,
        "duration_ms": 0.0,
        "summary": {},
        "conditions": {},
        "groups": [],
    }


def test_a_zone_report_round_trips_through_the_tables_binary_properties() -> None:
    report = zone_report("1111", [(f"dp-p{i}-rg", "compliant") for i in range(2000)], changed=0, compliant=2000)

    packed = pack_report(report)

    assert all(len(packed[f"Report{i}"]) <= 64 * 1024 for i in range(packed["ReportParts"]))
    assert unpack_report(packed) == report


def test_a_zone_report_too_large_for_one_entity_keeps_its_counts_and_drops_its_groups() -> None:
    digits = random.Random(0)  # incompressible: hex of random bytes compresses only to half
    noise = [
        {"subscription_id": "1111", "resource_group": f"rg-{i}", "blob": digits.randbytes(1000).hex()}
        for i in range(800)
    ]
    report = {**zone_report("1111", [], changed=0, compliant=800), "groups": noise}

    packed = pack_report(report)
    unpacked = unpack_report(packed)

    assert packed["ReportParts"] <= 14
    assert unpacked is not None
    assert (unpacked["groups"], unpacked["groups_omitted"], unpacked["summary"]) == ([], 800, report["summary"])


def test_the_reconcile_queue_setting_defaults_and_must_be_a_queue_name() -> None:
    assert reconcile_queue({}) == "dpgov-reconcile"
    assert Settings.from_environment({"DPGOV_RECONCILE_QUEUE": "estate-q"}).reconcile_queue == "estate-q"
    assert Settings.from_environment({}).runs_table == "dpgovruns"
    with pytest.raises(ConfigError, match="DPGOV_RECONCILE_QUEUE"):
        reconcile_queue({"DPGOV_RECONCILE_QUEUE": "Bad_Queue"})


def test_the_queue_service_comes_from_the_identity_based_settings() -> None:
    by_uri = Settings.from_environment({"AzureWebJobsStorage__queueServiceUri": "https://st.queue.core.windows.net/"})
    by_account = Settings.from_environment({"AzureWebJobsStorage__accountName": "st"})

    assert by_uri.storage.queue_endpoint == "https://st.queue.core.windows.net"
    assert by_account.storage.queue_endpoint == "https://st.queue.core.windows.net"
