"""The estate fan-out, pure: a run's queue messages, its status and the estate report of its zones.

``POST /api/sync`` and the timer start a *run*: one queue message per landing zone, each reconciled
by the queue-triggered function on whichever instance takes it. A large estate (from
``DPGOV_RESOURCE_GRAPH_MIN_ZONES`` landing zones) is sent in batches of that many zones instead,
each observed with Resource Graph: one query per kind for the batch's subscriptions instead of
three lists per subscription, while the batches still spread over the instances. What the run knows
is kept in the runs table (``shared/azure/runs.py``): the run (its zones, when, dry run or not) and
one record per zone that was reconciled, is being retried, or was given up on. This module decides
what those mean; it does no I/O.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_MESSAGE_KEYS = frozenset({"run_id", "dry_run", "request_id", "trigger"})
TRIGGERS = frozenset({"http", "timer"})


class MalformedMessage(ValueError):
    """A queue message that is not a zone message; it can never succeed (it ends in the poison queue)."""


@dataclass(frozen=True, slots=True)
class ZoneMessage:
    """Landing zones of one run: what the queue carries (JSON, base64-encoded on the queue).

    ``request_id`` is the trigger's id for outcome events' ids (the HTTP caller's
    ``x-ms-client-request-id``, else the run id), so a redelivered message gives the same event ids;
    ``trigger`` is what started the run (``http`` or ``timer``), for telemetry; ``resource_graph``
    says the zones are a batch of a large estate, observed with Resource Graph however few they are.
    """

    run_id: str
    landing_zones: tuple[str, ...]
    dry_run: bool
    request_id: str
    trigger: str
    resource_graph: bool = False

    def to_json(self) -> str:
        body = {
            "run_id": self.run_id,
            "landing_zones": list(self.landing_zones),
            "dry_run": self.dry_run,
            "request_id": self.request_id,
            "trigger": self.trigger,
            "resource_graph": self.resource_graph,
        }
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def parse(cls, text: str) -> ZoneMessage:
        """A message of this version, or of the last one (one ``landing_zone``), which a queue may
        still hold while a new version of the app is deployed."""
        try:
            body = json.loads(text)
        except ValueError as error:
            raise MalformedMessage(f"a reconcile message must be JSON: {error}") from None
        if not isinstance(body, dict) or not _MESSAGE_KEYS.issubset(body):
            raise MalformedMessage(f"a reconcile message needs {sorted(_MESSAGE_KEYS)}, got {text[:200]!r}")
        zones = body.get("landing_zones", [body.get("landing_zone")] if "landing_zone" in body else None)
        run_id, dry_run, request_id, trigger = (body[key] for key in ("run_id", "dry_run", "request_id", "trigger"))
        graph = body.get("resource_graph", False)
        if not (isinstance(run_id, str) and run_id and isinstance(zones, list) and zones):
            raise MalformedMessage(f"a reconcile message needs a run_id and landing zones, got {text[:200]!r}")
        if not all(isinstance(zone, str) and zone for zone in zones):
            raise MalformedMessage(f"landing zones must be non-empty strings, got {text[:200]!r}")
        if not isinstance(dry_run, bool) or not isinstance(request_id, str) or trigger not in TRIGGERS:
            raise MalformedMessage(
                f"dry_run must be a boolean, request_id a string and trigger http or timer, got {text[:200]!r}"
            )
        if not isinstance(graph, bool):
            raise MalformedMessage(f"resource_graph must be a boolean, got {text[:200]!r}")
        return cls(run_id, tuple(zones), dry_run, request_id, trigger, graph)


def messages(
    run_id: str,
    zones: Sequence[str],
    *,
    dry_run: bool,
    request_id: str | None,
    trigger: str,
    graph_min_zones: int | None = None,
) -> list[ZoneMessage]:
    """One message per landing zone of the run; from ``graph_min_zones`` zones on, one per batch of
    that many (the last may hold fewer), each to be observed with Resource Graph."""
    request = request_id or run_id
    if graph_min_zones is None or len(zones) < graph_min_zones:
        return [ZoneMessage(run_id, (zone,), dry_run, request, trigger) for zone in zones]
    batches = [tuple(zones[start : start + graph_min_zones]) for start in range(0, len(zones), graph_min_zones)]
    return [ZoneMessage(run_id, batch, dry_run, request, trigger, resource_graph=True) for batch in batches]


class ZoneState(StrEnum):
    PENDING = "pending"  # enqueued, not reconciled yet
    RETRYING = "retrying"  # failed transiently; the host retries it
    DONE = "done"  # reconciled; its report is recorded
    FAILED = "failed"  # failed on the host's last delivery: the message is in the poison queue


@dataclass(frozen=True, slots=True)
class Run:
    """A run as recorded when it started."""

    run_id: str
    zones: tuple[str, ...]
    dry_run: bool
    trigger: str  # "http" or "timer"
    created_at: datetime.datetime


@dataclass(frozen=True, slots=True)
class ZoneRecord:
    """What the queue function recorded for one zone of a run."""

    landing_zone: str
    state: ZoneState
    attempts: int
    updated_at: datetime.datetime
    report: Mapping[str, Any] | None = None  # the zone's estate report (EstateReport.to_dict()) once done
    error: str | None = None  # the last transient failure, while retrying or once given up on


def run_status(run: Run, records: Iterable[ZoneRecord]) -> dict[str, Any]:
    """The status resource's body: progress, each zone's state and, once every zone is done, the report."""
    by_zone = {record.landing_zone: record for record in records}
    zones = []
    for name in run.zones:
        record = by_zone.get(name)
        entry: dict[str, Any] = {"landing_zone": name, "state": (record.state if record else ZoneState.PENDING).value}
        if record is not None:
            entry["attempts"] = record.attempts
            entry["updated_at"] = _iso(record.updated_at)
            if record.state in {ZoneState.RETRYING, ZoneState.FAILED} and record.error:
                entry["error"] = record.error
        zones.append(entry)
    done = [by_zone[name] for name in run.zones if name in by_zone and by_zone[name].state is ZoneState.DONE]
    failed = [name for name in run.zones if name in by_zone and by_zone[name].state is ZoneState.FAILED]
    finished = len(done) + len(failed) == len(run.zones)
    status = ("failed" if failed else "succeeded") if finished else "running"
    body: dict[str, Any] = {
        "run_id": run.run_id,
        "status": status,
        "dry_run": run.dry_run,
        "trigger": run.trigger,
        "created_at": _iso(run.created_at),
        "progress": {"landing_zones": len(run.zones), "done": len(done), "failed": len(failed)},
        "landing_zones": zones,
    }
    if finished:  # a failed zone's groups are missing from the report; its entry above says why
        last = max((by_zone[name].updated_at for name in run.zones), default=run.created_at)
        body["finished_at"] = _iso(last)
        duration_ms = (last - run.created_at).total_seconds() * 1000
        body["report"] = combine([record.report or {} for record in done], dry_run=run.dry_run, duration_ms=duration_ms)
    return body


def combine(reports: Iterable[Mapping[str, Any]], *, dry_run: bool, duration_ms: float) -> dict[str, Any]:
    """The estate report (``EstateReport.to_dict()``'s shape) of several zones' reports.

    Summary counts and per-aspect condition counts add up; the groups are merged in the order a
    single reconcile-all reports them (by subscription id, then group name, ignoring case).
    """
    summary: Counter[str] = Counter()
    conditions: dict[str, Counter[str]] = {}
    groups: list[Mapping[str, Any]] = []
    keys: list[str] = []
    for report in reports:
        for key, count in (report.get("summary") or {}).items():
            if key not in keys:
                keys.append(key)
            summary[key] += int(count)
        for aspect, statuses in (report.get("conditions") or {}).items():
            conditions.setdefault(aspect, Counter()).update({status: int(n) for status, n in statuses.items()})
        groups.extend(report.get("groups") or [])
    groups.sort(key=lambda g: (str(g.get("subscription_id", "")).lower(), str(g.get("resource_group", "")).lower()))
    return {
        "dry_run": dry_run,
        "duration_ms": round(duration_ms, 1),
        "summary": {key: summary[key] for key in keys},
        "conditions": {aspect: dict(sorted(counts.items())) for aspect, counts in conditions.items()},
        "groups": groups,
    }


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds")
