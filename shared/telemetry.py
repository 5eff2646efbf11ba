"""Telemetry: a span per reconcile and per action, the app's metrics, and log records that carry the reconcile id.

The engine uses only the OpenTelemetry **API** (this module's tracer and meter). Until an SDK is
installed every call is the API's no-op, which is what the operator CLI, the benchmarks and most tests
run with, and what the Function App runs with when ``APPLICATIONINSIGHTS_CONNECTION_STRING`` is unset.
``configure`` (called once per worker process by the composition root, ``function_app.py``) installs
Azure Monitor's OpenTelemetry distribution and turns on the Azure SDKs' own tracing, so each SDK
call's HTTP span nests under the action that made it. Tests install in-memory exporters instead.

Spans (``dpgov.`` attributes, see ``group_attributes`` and ``action_attributes``)::

    dpgov.reconcile_all                 the timer, POST /api/sync, the inventory
      dpgov.reconcile_zone              one per landing zone
        dpgov.reconcile                 one per group (also the root of an event's or a sync's reconcile)
          dpgov.<aspect>.<kind>         one per action applied, e.g. dpgov.tags.merge_tags
            <the SDK's spans>           e.g. TagsOperations.update_at_scope → PATCH

Metrics (``METRICS``): reconciles, actions, drift found, conflicts and event-to-governed latency.

Personal data: nothing from an event but its id and ``eventTime`` reaches the engine (see
``shared.events``), so no span, metric or log record can carry the caller's claims or authorization.
Attribute values are the group's resource id, config names, action keys and Azure's error codes.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, StatusCode
from opentelemetry.util.types import AttributeValue

from shared.aspects.base import Action, Disposition, FindingKind
from shared.correlation import client_request_id, current_origin
from shared.model import GroupRef
from shared.report import ActionResult, EstateReport, GroupReport, Outcome

if TYPE_CHECKING:
    from azure.identity import ManagedIdentityCredential
    from opentelemetry.sdk._logs import LogRecordProcessor

    from shared.settings import TelemetrySettings

log = logging.getLogger("dpgov.telemetry")

SCOPE: Final = "dpgov"
LOGGER_NAME: Final = "dpgov"  # the app's loggers (dpgov.events, dpgov.http, dpgov.timer, dpgov.reconciler)

RECONCILE_SPAN: Final = "dpgov.reconcile"
RECONCILE_ALL_SPAN: Final = "dpgov.reconcile_all"
RECONCILE_ZONE_SPAN: Final = "dpgov.reconcile_zone"

GROUP: Final = "dpgov.group"  # the group's resource id
LANDING_ZONE: Final = "dpgov.landing_zone"
DOMAIN: Final = "dpgov.domain"
PRODUCT: Final = "dpgov.product"
ENVIRONMENT: Final = "dpgov.environment"
TRIGGER: Final = "dpgov.trigger"  # event | http | timer | direct
OUTCOME: Final = "dpgov.outcome"
DRY_RUN: Final = "dpgov.dry_run"
RECONCILE_ID: Final = "dpgov.reconcile_id"  # the event id, or the HTTP call's or timer run's id: x-ms-client-request-id
PLANNED_ACTIONS: Final = "dpgov.actions"
OUTCOME_EVENTS: Final = "dpgov.outcome_events"
GROUPS: Final = "dpgov.groups"
ASPECT: Final = "dpgov.aspect"
ACTION_KIND: Final = "dpgov.action.kind"
ACTION_KEY: Final = "dpgov.action.key"
ACTION_RESULT: Final = "dpgov.action.result"  # done | failed | transient | group_gone | skipped

RECONCILES: Final = "dpgov.reconciles"
ACTIONS: Final = "dpgov.actions"
DRIFT: Final = "dpgov.drift"
CONFLICTS: Final = "dpgov.conflicts"
EVENT_TO_GOVERNED: Final = "dpgov.event_to_governed"
METRICS: Final = (RECONCILES, ACTIONS, DRIFT, CONFLICTS, EVENT_TO_GOVERNED)

Attributes = dict[str, AttributeValue]

_tracer = trace.get_tracer(SCOPE)
_meter = metrics.get_meter(SCOPE)
_reconciles = _meter.create_counter(
    RECONCILES, unit="{reconcile}", description="Reconciles of one group, by trigger, outcome and dry run"
)
_actions = _meter.create_counter(ACTIONS, unit="{action}", description="Actions, by aspect, kind and result")
_drift = _meter.create_counter(
    DRIFT, unit="{aspect}", description="Aspects found drifted on an already governed product (and repaired)"
)
_conflicts = _meter.create_counter(
    CONFLICTS, unit="{conflict}", description="Conflicts found, such as a retag against the pinned identity"
)
_outcome_events = _meter.create_counter(
    OUTCOME_EVENTS, unit="{event}", description="Outcome events, by result: published, failed or repeated (skipped)"
)
_event_to_governed = _meter.create_histogram(
    EVENT_TO_GOVERNED,
    unit="s",
    description="From the triggering event's eventTime to the last action of the reconcile it caused",
    explicit_bucket_boundaries_advisory=[0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
)


# -- what goes on spans and metrics (pure) -----------------------------------------------------------


def action_kind(action: Action) -> str:
    """The action's kind as its plan entry names it (``merge_tags``, ``put_policy_assignment``, …)."""
    return str(action.to_dict().get("kind") or type(action).__name__)


def action_span_name(action: Action) -> str:
    return f"dpgov.{action.aspect}.{action_kind(action)}"


def action_result(result: ActionResult) -> str:
    if result.ok:
        return "done"
    if result.group_gone:
        return "group_gone"
    return "transient" if result.disposition is Disposition.TRANSIENT else "failed"


def action_attributes(action: Action) -> Attributes:
    return {ASPECT: action.aspect, ACTION_KIND: action_kind(action), ACTION_KEY: action.key}


def group_attributes(report: GroupReport) -> Attributes:
    """What a group's reconcile span says once it is done (its identity, when it is a data product)."""
    attributes: Attributes = {GROUP: report.group.scope, OUTCOME: report.outcome.value, DRY_RUN: report.dry_run}
    if report.landing_zone is not None:
        attributes[LANDING_ZONE] = report.landing_zone
    if report.product is not None:
        attributes[DOMAIN] = report.product.domain
        attributes[PRODUCT] = report.product.product
        attributes[ENVIRONMENT] = report.product.environment
    attributes[PLANNED_ACTIONS] = len(report.plan)
    return attributes


def drifted_aspects(report: GroupReport) -> tuple[str, ...]:
    """Aspects that had to change a product governed before this reconcile (not its first, not a dry run).

    A product's first reconcile (``newly_governed``) and its retirement are not drift.
    """
    if report.dry_run or report.product is None or report.newly_governed or report.outcome is Outcome.RETIRED:
        return ()
    return tuple(dict.fromkeys(action.aspect for action in report.plan))


def conflicted_aspects(report: GroupReport) -> tuple[str, ...]:
    """One entry per conflict finding (a retag against the pinned identity), by aspect; none in a dry run."""
    if report.dry_run:
        return ()
    return tuple(
        condition.aspect
        for condition in report.conditions
        for finding in condition.findings
        if finding.kind is FindingKind.CONFLICT
    )


def event_to_governed_seconds(
    report: GroupReport, event_time: datetime.datetime | None, last_action_done: float | None
) -> float | None:
    """Seconds from the event to the last action, for an event's reconcile that changed the group.

    ``last_action_done`` is a POSIX time. None when there is nothing to measure: no event time, a dry
    run, no action, or an outcome other than ``changed``. A clock ahead of ours counts as zero.
    """
    if event_time is None or last_action_done is None or report.dry_run or report.outcome is not Outcome.CHANGED:
        return None
    return max(0.0, last_action_done - event_time.timestamp())


def _origin_attributes() -> Attributes:
    attributes: Attributes = {TRIGGER: current_origin().trigger.value}
    request_id = client_request_id.get()
    if request_id:
        attributes[RECONCILE_ID] = request_id
    return attributes


# -- spans and measurements ----------------------------------------------------------------------------


class GroupRun:
    """One group's reconcile as telemetry sees it: its span, and when its last action finished."""

    def __init__(self, span: Span) -> None:
        self.span = span
        self.last_action_done: float | None = None

    def finish(self, report: GroupReport) -> GroupReport:
        """Put the report's outcome and identity on the span and count it; returns the report."""
        if self.span.is_recording():  # no SDK (or sampled out): skip building the attributes
            self.span.set_attributes(group_attributes(report))
            if report.outcome is Outcome.FAILED:
                self.span.set_status(StatusCode.ERROR, "failed")
        when = current_origin()
        trigger = {TRIGGER: when.trigger.value}
        _reconciles.add(1, {**trigger, OUTCOME: report.outcome.value, DRY_RUN: report.dry_run})
        where: Attributes = {LANDING_ZONE: report.landing_zone or ""}
        if report.product is not None:
            where[DOMAIN] = report.product.domain
        for aspect in drifted_aspects(report):
            _drift.add(1, {ASPECT: aspect, **where})
        for aspect in conflicted_aspects(report):
            _conflicts.add(1, {ASPECT: aspect, **where})
        seconds = event_to_governed_seconds(report, when.event_time, self.last_action_done)
        if seconds is not None:
            _event_to_governed.record(seconds, {LANDING_ZONE: report.landing_zone or ""})
        return report


_current_group: ContextVar[GroupRun | None] = ContextVar("dpgov_telemetry_group", default=None)


@contextmanager
def reconcile_group(ref: GroupRef, landing_zone: str, *, dry_run: bool) -> Iterator[GroupRun]:
    """The span of one group's reconcile; call ``finish`` with its report.

    An exception out of the block (a transient failure raised for a retry, a bug) is recorded on the
    span and counted as a ``failed`` reconcile.
    """
    attributes = {**_origin_attributes(), GROUP: ref.scope, LANDING_ZONE: landing_zone, DRY_RUN: dry_run}
    with _tracer.start_as_current_span(RECONCILE_SPAN, attributes=attributes) as span:
        run = GroupRun(span)
        token = _current_group.set(run)
        try:
            yield run
        except Exception:
            span.set_attribute(OUTCOME, Outcome.FAILED.value)
            outcome = {TRIGGER: current_origin().trigger.value, OUTCOME: Outcome.FAILED.value, DRY_RUN: dry_run}
            _reconciles.add(1, outcome)
            raise
        finally:
            _current_group.reset(token)


@contextmanager
def reconcile_all(*, dry_run: bool) -> Iterator[Callable[[EstateReport], EstateReport]]:
    """The span of a reconcile of many groups; call what it yields with the estate's report."""
    attributes = {**_origin_attributes(), DRY_RUN: dry_run}
    with _tracer.start_as_current_span(RECONCILE_ALL_SPAN, attributes=attributes) as span:

        def finish(report: EstateReport) -> EstateReport:
            span.set_attribute(GROUPS, len(report.groups))
            span.set_attribute(PLANNED_ACTIONS, report.planned_actions)
            span.set_attributes(
                {f"dpgov.outcomes.{outcome}": count for outcome, count in report.counts.items() if count}
            )
            if any(group.outcome is Outcome.FAILED for group in report.groups):
                span.set_status(StatusCode.ERROR, "failed")
            return report

        yield finish


@contextmanager
def reconcile_zone(landing_zone: str, subscription_id: str) -> Iterator[Span]:
    """The span of one landing zone's part of a reconcile of many groups."""
    attributes = {LANDING_ZONE: landing_zone, "dpgov.subscription_id": subscription_id}
    with _tracer.start_as_current_span(RECONCILE_ZONE_SPAN, attributes=attributes) as span:
        yield span


@contextmanager
def applying(action: Action) -> Iterator[Callable[[ActionResult], ActionResult]]:
    """The span of one action; call what it yields with the action's result (it returns the result).

    The Azure SDK calls the action makes nest under this span. The result is counted when the span ends;
    a bug (any exception) is recorded on the span and propagates.
    """
    attributes = action_attributes(action)
    results: list[ActionResult] = []
    with _tracer.start_as_current_span(action_span_name(action), attributes=attributes) as span:

        def done(result: ActionResult) -> ActionResult:
            outcome = action_result(result)
            span.set_attribute(ACTION_RESULT, outcome)
            if not result.ok:
                span.set_status(StatusCode.ERROR, result.error or outcome)
            results.append(result)
            return result

        yield done
    run = _current_group.get()
    if run is not None:
        run.last_action_done = time.time()
    for result in results:
        _actions.add(1, {**attributes_without_key(attributes), ACTION_RESULT: action_result(result)})


def outcome_events_counted(*, published: int, failed: int, repeated: int) -> None:
    """The outcome publisher's tally, as a metric an alert can watch (``failed`` above zero)."""
    for result, count in (("published", published), ("failed", failed), ("repeated", repeated)):
        if count:
            _outcome_events.add(count, {"dpgov.result": result})


def action_skipped(action: Action) -> None:
    """Count an action that never ran because a prerequisite failed."""
    _actions.add(1, {**attributes_without_key(action_attributes(action)), ACTION_RESULT: "skipped"})


def attributes_without_key(attributes: Mapping[str, AttributeValue]) -> Attributes:
    """Metric attributes stay low-cardinality: the aspect and kind, never the action's key."""
    return {name: value for name, value in attributes.items() if name != ACTION_KEY}


# -- installing the SDK (the composition root only) ------------------------------------------------------

_configured = False


def trace_azure_sdk() -> None:
    """Make azure-core trace through OpenTelemetry (``azure-core-tracing-opentelemetry``).

    Every SDK client's ``DistributedTracingPolicy`` and ``distributed_trace`` decorators then open
    spans under the current one. Without this, azure-core does not trace at all.
    """
    from azure.core.settings import settings  # noqa: PLC0415

    settings.tracing_implementation = "opentelemetry"


def reconcile_id_log_processor() -> LogRecordProcessor:
    """A log record processor that adds ``dpgov.reconcile_id`` (the event id, on the wire as
    ``x-ms-client-request-id``) to every record emitted under a reconcile.

    It runs in the logging thread, so it sees the reconcile's context variables.
    """
    from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord  # noqa: PLC0415

    class ReconcileIdProcessor(LogRecordProcessor):
        def on_emit(self, log_record: ReadWriteLogRecord) -> None:
            request_id = client_request_id.get()
            attributes = log_record.log_record.attributes
            if request_id and attributes is not None:
                attributes[RECONCILE_ID] = request_id  # type: ignore[index]  # the SDK's attributes are mutable here

        def shutdown(self) -> None:
            return None

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            del timeout_millis
            return True

    return ReconcileIdProcessor()


def managed_identity(settings: TelemetrySettings) -> ManagedIdentityCredential | None:
    """The credential for Entra authentication of telemetry, when the authentication string asks for it."""
    if not settings.entra:
        return None
    from azure.identity import ManagedIdentityCredential  # noqa: PLC0415

    return ManagedIdentityCredential(client_id=settings.client_id)  # None: the system-assigned identity


def configure(settings: TelemetrySettings | None, *, install: Callable[..., None] | None = None) -> bool:
    """Send telemetry to Application Insights, once per process. Without settings, installs nothing.

    ``install`` is ``azure.monitor.opentelemetry.configure_azure_monitor`` (imported only when there is
    something to configure); tests pass a stand-in. Only the app's own loggers (``dpgov.*``) are
    exported as OpenTelemetry logs: the Functions host already collects every record the worker writes.
    Returns whether telemetry is on.
    """
    global _configured  # noqa: PLW0603  # one SDK per process: the API's providers can be set only once
    if settings is None:
        return False
    if _configured:
        return True
    if install is None:
        from azure.monitor.opentelemetry import configure_azure_monitor  # noqa: PLC0415

        install = configure_azure_monitor
    options: dict[str, Any] = {
        "connection_string": settings.connection_string,
        "logger_name": LOGGER_NAME,
        "log_record_processors": [reconcile_id_log_processor()],
    }
    credential = managed_identity(settings)
    if credential is not None:
        options["credential"] = credential
    install(**options)
    trace_azure_sdk()
    _configured = True
    log.info("telemetry: sending to Application Insights%s", " with Entra authentication" if credential else "")
    return True
