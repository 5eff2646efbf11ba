"""Telemetry: its settings, what ``configure`` installs (and that it installs nothing without a connection
string), and the pure rules for what is drift, a conflict and event-to-governed latency."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from azure.core.settings import settings as azure_core_settings

from shared import telemetry
from shared.aspects.base import Disposition, Finding, FindingKind
from shared.aspects.tags import MergeTags
from shared.config import ConfigError
from shared.identity import Identity
from shared.model import DataProduct, GroupRef
from shared.plan import Plan
from shared.report import ActionResult, Condition, GroupReport, Outcome, Status
from shared.settings import TelemetrySettings

ROOT = Path(__file__).resolve().parents[2]
CONNECTION = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://ingest.invalid/"
CLIENT_ID = "0b0e7a11-7ea4-4a11-9e11-00000000c0de"
REF = GroupRef("11111111-1111-1111-1111-111111111111", "dp-sales-orders-rg")
PRODUCT = DataProduct("lz-emea", "sales", "orders", "prd")
MERGE = MergeTags(REF, {"CostCenter": "CC-1001"})
AN_HOUR_AGO = datetime.datetime(2026, 11, 27, 13, 0, tzinfo=datetime.UTC)


def report(
    outcome: Outcome = Outcome.CHANGED, *, dry_run: bool = False, new: bool = False, **extra: Any
) -> GroupReport:
    identity = Identity(PRODUCT, "name", recorded=True)
    return GroupReport(
        REF, outcome, "lz-emea", identity, plan=Plan((MERGE,)), dry_run=dry_run, newly_governed=new, **extra
    )


# -- settings ------------------------------------------------------------------------------------------


def test_no_connection_string_means_no_telemetry_settings() -> None:
    assert (
        TelemetrySettings.from_environment({"APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "Authorization=AAD"}) is None
    )


def test_the_deployed_authentication_string_means_entra_with_the_user_assigned_identity() -> None:
    env = {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": CONNECTION,
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": f"ClientId={CLIENT_ID};Authorization=AAD",
    }

    assert TelemetrySettings.from_environment(env) == TelemetrySettings(CONNECTION, entra=True, client_id=CLIENT_ID)


def test_authorization_aad_without_a_client_id_means_the_system_assigned_identity() -> None:
    env = {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": CONNECTION,
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "authorization=aad",
    }

    assert TelemetrySettings.from_environment(env) == TelemetrySettings(CONNECTION, entra=True, client_id=None)


def test_without_an_authentication_string_telemetry_uses_the_connection_string_alone() -> None:
    assert TelemetrySettings.from_environment({"APPLICATIONINSIGHTS_CONNECTION_STRING": CONNECTION}) == (
        TelemetrySettings(CONNECTION, entra=False, client_id=None)
    )


@pytest.mark.parametrize("value", ["Authorization", "ClientId=not-a-guid;Authorization=AAD", "=AAD"])
def test_a_malformed_authentication_string_is_a_config_error(value: str) -> None:
    env = {"APPLICATIONINSIGHTS_CONNECTION_STRING": CONNECTION, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": value}

    with pytest.raises(ConfigError, match="APPLICATIONINSIGHTS_AUTHENTICATION_STRING"):
        TelemetrySettings.from_environment(env)


# -- configure ------------------------------------------------------------------------------------------


class FakeManagedIdentity:
    def __init__(self, *, client_id: str | None = None) -> None:
        self.client_id = client_id


@pytest.fixture
def unconfigured(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A process in which telemetry was never configured; azure-core's tracing is reset afterwards."""
    monkeypatch.setattr(telemetry, "_configured", False)
    monkeypatch.setattr("azure.identity.ManagedIdentityCredential", FakeManagedIdentity)
    yield
    azure_core_settings.tracing_implementation.unset_value()


def test_configure_without_settings_installs_nothing(unconfigured: None) -> None:
    calls: list[dict[str, Any]] = []

    assert telemetry.configure(None, install=lambda **options: calls.append(options)) is False
    assert calls == []
    assert azure_core_settings.tracing_implementation() is None


def test_configure_installs_azure_monitor_once_with_the_managed_identity_and_traces_the_azure_sdks(
    unconfigured: None,
) -> None:
    calls: list[dict[str, Any]] = []
    settings = TelemetrySettings(CONNECTION, entra=True, client_id=CLIENT_ID)

    first = telemetry.configure(settings, install=lambda **options: calls.append(options))
    second = telemetry.configure(settings, install=lambda **options: calls.append(options))

    [options] = calls
    assert (first, second) == (True, True)
    assert sorted(options) == ["connection_string", "credential", "log_record_processors", "logger_name"]
    assert options["connection_string"] == CONNECTION
    assert options["logger_name"] == "dpgov"
    assert isinstance(options["credential"], FakeManagedIdentity)
    assert options["credential"].client_id == CLIENT_ID
    assert [type(p).__name__ for p in options["log_record_processors"]] == ["ReconcileIdProcessor"]
    implementation = azure_core_settings.tracing_implementation()
    assert implementation is not None
    assert implementation.__name__ == "OpenTelemetrySpan"


def test_configure_with_a_key_based_connection_string_passes_no_credential(unconfigured: None) -> None:
    calls: list[dict[str, Any]] = []

    telemetry.configure(TelemetrySettings(CONNECTION), install=lambda **options: calls.append(options))

    assert "credential" not in calls[0]


@pytest.mark.parametrize(
    "telemetry_settings",
    [{}, {"APPLICATIONINSIGHTS_CONNECTION_STRING": CONNECTION, "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "AAD"}],
    ids=["no connection string", "a malformed authentication string"],
)
def test_the_function_app_loads_without_telemetry_when_it_is_unset_or_misconfigured(
    telemetry_settings: dict[str, str],
) -> None:
    probe = """
import json, logging, sys
import function_app
from azure.core.settings import settings
from opentelemetry import metrics, trace
print(json.dumps({
    "distro_imported": "azure.monitor.opentelemetry" in sys.modules,
    "sdk_imported": "opentelemetry.sdk" in sys.modules,
    "tracer_provider": type(trace.get_tracer_provider()).__name__,
    "meter_provider": type(metrics.get_meter_provider()).__name__,
    "azure_sdk_tracing": settings.tracing_implementation() is not None,
    "dpgov_handlers": [type(h).__name__ for h in logging.getLogger("dpgov").handlers],
}))
"""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("APPLICATIONINSIGHTS_", "AZURE_SDK_TRACING"))
    } | telemetry_settings
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )

    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "distro_imported": False,
        "sdk_imported": False,
        "tracer_provider": "ProxyTracerProvider",
        "meter_provider": "_ProxyMeterProvider",
        "azure_sdk_tracing": False,
        "dpgov_handlers": [],
    }
    assert ("telemetry is off: app setting APPLICATIONINSIGHTS_AUTHENTICATION_STRING" in done.stderr) == bool(
        telemetry_settings
    )


# Refuses every connection and name lookup beyond loopback, then imports the app with telemetry configured
# for real (Azure Monitor's distribution, exporting to a closed local port) and logs under a reconcile id.
REAL_CONFIGURE_PROBE = """
import json, logging, socket, sys
blocked = []
real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect
def getaddrinfo(host, *args, **kwargs):
    if host not in ("127.0.0.1", "localhost", "::1"):
        blocked.append(str(host))
        raise OSError(f"blocked {host}")
    return real_getaddrinfo(host, *args, **kwargs)
def connect(self, address):
    if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
        blocked.append(str(address[0]))
        raise OSError(f"blocked {address[0]}")
    return real_connect(self, address)
socket.getaddrinfo, socket.socket.connect = getaddrinfo, connect

import function_app
from azure.core.settings import settings
from opentelemetry import _logs, trace
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from shared.correlation import reconcile_id

kept = InMemoryLogRecordExporter()
_logs.get_logger_provider().add_log_record_processor(SimpleLogRecordProcessor(kept))
logging.getLogger("dpgov.events").setLevel(logging.INFO)
with reconcile_id("7e1e0000-0000-4000-8000-000000000002"):
    logging.getLogger("dpgov.events").info("under a reconcile")
logging.getLogger("azure.core").warning("not the app's")
print(json.dumps({
    "tracer_provider": type(trace.get_tracer_provider()).__module__,
    "azure_sdk_tracing": settings.tracing_implementation().__name__,
    "dpgov_handlers": [type(h).__name__ for h in logging.getLogger("dpgov").handlers],
    "exported": [(str(r.log_record.body), dict(r.log_record.attributes or {}).get("dpgov.reconcile_id"))
                 for r in kept.get_finished_logs()],
    "blocked": blocked,
}))
"""


def test_configuring_for_real_installs_the_sdk_traces_the_azure_sdks_and_exports_the_apps_records_with_their_id(
    tmp_path: Path,
) -> None:
    local = "https://127.0.0.1:9/"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("APPLICATIONINSIGHTS_", "AZURE_SDK_TRACING", "OTEL_"))
    } | {
        "APPLICATIONINSIGHTS_CONNECTION_STRING": (
            f"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint={local};LiveEndpoint={local}"
        ),
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",  # the distribution's own usage reports
        "APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED": "true",  # its remote configuration
        "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "azure_app_service",  # not azure_vm: no IMDS request
        "PYTHONPATH": str(ROOT),
        "TMPDIR": str(tmp_path),  # the exporter's offline storage
    }
    done = subprocess.run(
        [sys.executable, "-c", REAL_CONFIGURE_PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "tracer_provider": "opentelemetry.sdk.trace",
        "azure_sdk_tracing": "OpenTelemetrySpan",
        "dpgov_handlers": ["LoggingHandler"],
        "exported": [["under a reconcile", "7e1e0000-0000-4000-8000-000000000002"]],
        "blocked": [],
    }


# -- what is drift, a conflict, a latency ------------------------------------------------------------------


def test_actions_on_a_product_governed_before_are_drift_of_their_aspect() -> None:
    assert telemetry.drifted_aspects(report()) == ("tags",)


@pytest.mark.parametrize(
    "case",
    [
        report(new=True),
        report(Outcome.PLANNED, dry_run=True),
        report(Outcome.RETIRED),
        GroupReport(REF, Outcome.UNCLASSIFIED, "lz-emea"),
    ],
    ids=["first governance", "dry run", "retirement", "not a product"],
)
def test_first_governance_dry_runs_retirements_and_unclassified_groups_are_not_drift(case: GroupReport) -> None:
    assert telemetry.drifted_aspects(case) == ()


def test_each_conflict_finding_counts_once_for_its_aspect_even_when_the_aspect_also_failed() -> None:
    retag = Finding(FindingKind.CONFLICT, "RetaggedIdentity", "tags claim sales/other")
    notice = Finding(FindingKind.NOTICE, "ForeignAssignment", "someone else's")
    conditions = (
        Condition("tags", Status.FAILED, "ActionFailed", findings=(retag,)),
        Condition("rbac", Status.COMPLIANT, "UpToDate", findings=(notice,)),
    )

    assert telemetry.conflicted_aspects(report(Outcome.FAILED, conditions=conditions)) == ("tags",)
    assert telemetry.conflicted_aspects(report(Outcome.PLANNED, dry_run=True, conditions=conditions)) == ()


def test_event_to_governed_is_from_the_event_time_to_the_last_action_of_a_changed_reconcile() -> None:
    last_action = AN_HOUR_AGO.timestamp() + 1.5

    assert telemetry.event_to_governed_seconds(report(), AN_HOUR_AGO, last_action) == 1.5
    assert telemetry.event_to_governed_seconds(report(), AN_HOUR_AGO, AN_HOUR_AGO.timestamp() - 3) == 0.0
    assert telemetry.event_to_governed_seconds(report(Outcome.COMPLIANT), AN_HOUR_AGO, last_action) is None
    assert telemetry.event_to_governed_seconds(report(Outcome.FAILED), AN_HOUR_AGO, last_action) is None
    assert telemetry.event_to_governed_seconds(report(), None, last_action) is None
    assert telemetry.event_to_governed_seconds(report(), AN_HOUR_AGO, None) is None


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (ActionResult(MERGE), "done"),
        (ActionResult(MERGE, "RoleAssignmentExists", Disposition.DONE), "done"),
        (ActionResult(MERGE, "429 TooManyRequests", Disposition.TRANSIENT), "transient"),
        (ActionResult(MERGE, "403 AuthorizationFailed", Disposition.TERMINAL), "failed"),
        (ActionResult(MERGE, "404 ResourceGroupNotFound", Disposition.GROUP_GONE), "group_gone"),
    ],
)
def test_an_action_result_is_done_transient_failed_or_group_gone(result: ActionResult, expected: str) -> None:
    assert telemetry.action_result(result) == expected


def test_an_action_span_is_named_by_aspect_and_kind_and_its_metric_attributes_leave_out_the_key() -> None:
    attributes = telemetry.action_attributes(MERGE)

    assert telemetry.action_span_name(MERGE) == "dpgov.tags.merge_tags"
    assert attributes == {
        "dpgov.aspect": "tags",
        "dpgov.action.kind": "merge_tags",
        "dpgov.action.key": "tags:/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/dp-sales-orders-rg",
    }
    assert telemetry.attributes_without_key(attributes) == {"dpgov.aspect": "tags", "dpgov.action.kind": "merge_tags"}


def test_a_group_span_says_where_who_and_how_it_ended() -> None:
    assert telemetry.group_attributes(report()) == {
        "dpgov.group": "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/dp-sales-orders-rg",
        "dpgov.outcome": "changed",
        "dpgov.dry_run": False,
        "dpgov.landing_zone": "lz-emea",
        "dpgov.domain": "sales",
        "dpgov.product": "orders",
        "dpgov.environment": "prd",
        "dpgov.actions": 1,
    }
