"""In-memory OpenTelemetry for tests: what the app would export to Application Insights, kept in lists.

The API's providers can be set once per process, so the SDK is installed on first use and kept;
``recording()`` empties it, attaches the log handler to the app's loggers and turns the Azure SDKs'
tracing on for the block (and off again after it). The log pipeline is the one ``telemetry.configure``
builds: the distro's ``LoggingHandler`` on the ``dpgov`` logger and the reconcile-id processor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from azure.core.settings import settings as azure_core_settings
from opentelemetry import metrics, trace
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import Counter, Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader, MetricsData
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared import telemetry


@dataclass(frozen=True)
class Exported:
    """Everything exported during a ``recording()`` block."""

    spans: tuple[ReadableSpan, ...]
    metrics: MetricsData | None
    logs: tuple[ReadableLogRecord, ...]

    def spans_named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.spans if span.name == name]

    def parent(self, span: ReadableSpan) -> ReadableSpan | None:
        if span.parent is None:
            return None
        return next((s for s in self.spans if s.context is not None and s.context.span_id == span.parent.span_id), None)

    def ancestors(self, span: ReadableSpan) -> list[str]:
        """The names of the span's ancestors, nearest first."""
        names: list[str] = []
        current = self.parent(span)
        while current is not None:
            names.append(current.name)
            current = self.parent(current)
        return names

    def points(self, metric: str) -> list[tuple[dict[str, Any], Any]]:
        """(attributes, data point) of every data point of the metric."""
        found: list[tuple[dict[str, Any], Any]] = []
        for resource in self.metrics.resource_metrics if self.metrics else ():
            for scope in resource.scope_metrics:
                for item in scope.metrics:
                    if item.name == metric:
                        found += [(dict(point.attributes or {}), point) for point in item.data.data_points]
        return found

    def sums(self, metric: str, *keys: str) -> dict[tuple[Any, ...], int]:
        """A counter's values by the given attributes (points with equal keys added up)."""
        totals: dict[tuple[Any, ...], int] = {}
        for attributes, point in self.points(metric):
            key = tuple(attributes.get(name) for name in keys)
            totals[key] = totals.get(key, 0) + int(point.value)
        return totals

    def dump(self) -> str:
        """Every span, metric data point and log record as JSON text: what an exporter would send."""
        parts = [span.to_json() for span in self.spans]
        parts += [record.to_json() for record in self.logs]
        if self.metrics is not None:
            parts.append(self.metrics.to_json())
        return "\n".join(parts)


class _WhileRecording(SimpleSpanProcessor):
    """Exports only inside ``recording()``: the provider stays installed for the rest of the session."""

    on = False

    def on_end(self, span: ReadableSpan) -> None:
        if self.on:
            super().on_end(span)


class _Capture:
    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.gate = _WhileRecording(self.spans)
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(self.gate)
        trace.set_tracer_provider(tracer_provider)
        delta = AggregationTemporality.DELTA
        self.metrics = InMemoryMetricReader(preferred_temporality={Counter: delta, Histogram: delta})
        metrics.set_meter_provider(MeterProvider(metric_readers=[self.metrics]))
        self.logs = InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]  # the SDK leaves __init__ unannotated
        logger_provider = LoggerProvider()
        logger_provider.add_log_record_processor(telemetry.reconcile_id_log_processor())
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))
        self.handler = LoggingHandler(logger_provider=logger_provider)

    def reset(self) -> None:
        self.spans.clear()
        self.logs.clear()
        self.metrics.get_metrics_data()  # delta temporality: the next collection starts from here

    def collect(self) -> Exported:
        return Exported(
            tuple(self.spans.get_finished_spans()), self.metrics.get_metrics_data(), self.logs.get_finished_logs()
        )


_capture: list[_Capture] = []


@contextmanager
def recording() -> Iterator[list[Exported]]:
    """Record what the app exports during the block; the list holds one ``Exported`` after it."""
    if not _capture:
        _capture.append(_Capture())
    capture = _capture[0]
    capture.reset()
    logger = logging.getLogger(telemetry.LOGGER_NAME)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(capture.handler)
    telemetry.trace_azure_sdk()
    capture.gate.on = True
    exported: list[Exported] = []
    try:
        yield exported
    finally:
        capture.gate.on = False
        azure_core_settings.tracing_implementation.unset_value()
        logger.removeHandler(capture.handler)
        logger.setLevel(level)
        exported.append(capture.collect())


def find_strings(text: str, needles: Sequence[str]) -> list[str]:
    """Which of the needles occur in the text (case-insensitive), also JSON-escaped."""
    lowered = text.lower()
    return [needle for needle in needles if needle.lower() in lowered or json.dumps(needle)[1:-1].lower() in lowered]
