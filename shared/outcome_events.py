"""Outcome events: what a reconcile did or found, as CloudEvents 1.0 for other systems. Pure, no I/O.

After each reconcile that changed or found something, one event per resource group (README, "Outcome
events"). Its ``type`` is the first of these that applies:

=============================  ===========================================================================
``DataProduct.Retired``        the product's group is gone; the reconcile retired it and forgot it
``DataProduct.Governed``       the reconcile that made the product's ledger record: governed for the first time
``DataProduct.Conflict``       an aspect's condition is ``conflict`` (a retag against the pinned identity)
``DataProduct.DriftRepaired``  the reconcile changed something (outcome ``changed``)
``DataProduct.Blocked``        nothing changed, but a condition is ``blocked``: it needs a person
``LandingZone.Unclassified``   a group whose name or tags named a domain or environment the config lacks
=============================  ===========================================================================

A dry run, a compliant group and a reconcile that only failed publish nothing.

The event id is deterministic, so a trigger redelivered (or handled by two instances at once) yields
the same id and consumers can drop the copy:

- for what a reconcile *did* (retired, governed, conflict, drift repaired): uuid5 over the type, the
  group's id, the trigger's id (the Event Grid event's id, the HTTP caller's ``x-ms-client-request-id``
  or the timer run's id) and the plan's action keys, so the same drift repaired again by a later
  trigger is a new event;
- for what a reconcile *found* that stays true until a person acts (blocked, unclassified): uuid5 over
  the type, the group's id, the UTC day (and for blocked, the plan's keys and each blocked aspect's
  reason), so it is published at most once per group per day, not on every timer run.

The data holds the product's identity, the outcome and per aspect its status, reason and actions (kind
and key) — never condition messages or action bodies, which may carry people's names or e-mail
addresses (an owner tag value), and never event claims.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from shared.model import DataProduct
from shared.report import GroupReport, Outcome, Status

NAMESPACE = uuid.UUID("0b6f3c1e-5d2a-4f0e-9a57-6c1d2e3f4a5b")
SPEC_VERSION = "1.0"
# Event Grid takes up to 1 MB per publish request; a batch stays well under it.
MAX_BATCH_BYTES = 512 * 1024


class OutcomeType(StrEnum):
    GOVERNED = "DataProduct.Governed"
    DRIFT_REPAIRED = "DataProduct.DriftRepaired"
    RETIRED = "DataProduct.Retired"
    CONFLICT = "DataProduct.Conflict"
    BLOCKED = "DataProduct.Blocked"
    UNCLASSIFIED = "LandingZone.Unclassified"


# Types whose id names the trigger: each is something a reconcile did. (Governed too: a product
# whose group is deleted and made again is governed again, and must be announced again.)
_DONE = frozenset({OutcomeType.GOVERNED, OutcomeType.DRIFT_REPAIRED, OutcomeType.RETIRED, OutcomeType.CONFLICT})
# Outcomes of a product's reconcile that can carry an event (not a group gone or going meanwhile).
_GOVERNING = frozenset({Outcome.CHANGED, Outcome.COMPLIANT, Outcome.FAILED})


@dataclass(frozen=True, slots=True)
class OutcomeEvent:
    """One outcome event, in CloudEvents 1.0 terms."""

    id: str
    type: OutcomeType
    source: str
    subject: str
    time: datetime.datetime
    data: dict[str, Any]

    def to_cloud_event(self) -> dict[str, Any]:
        """The structured JSON form (what a topic receives in a ``cloudevents-batch+json`` array)."""
        return {
            "specversion": SPEC_VERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type.value,
            "subject": self.subject,
            "time": self.time.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "data": self.data,
        }


class OutcomeSink(Protocol):
    """Where the reconciler hands its reports once a reconcile is done (the outcome topic, or nowhere).

    ``trigger`` is the reconcile's id: the Event Grid event's, the HTTP caller's request id, or the
    id minted for a timer run. Implementations never raise for the topic's failures.
    """

    async def publish(self, reports: Sequence[GroupReport], *, trigger: str) -> None: ...


class NoOutcomes:
    """The sink when ``DPGOV_OUTCOME_TOPIC_ENDPOINT`` is unset: nothing is published."""

    async def publish(self, reports: Sequence[GroupReport], *, trigger: str) -> None:
        del reports, trigger


def outcome_type(report: GroupReport) -> OutcomeType | None:
    """Which event a report calls for, if any (see the module docstring for the order)."""
    if report.dry_run:
        return None
    if report.outcome is Outcome.UNCLASSIFIED:
        return OutcomeType.UNCLASSIFIED if report.named_unknown else None
    if report.product is None:
        return None
    if report.forgotten:
        return OutcomeType.RETIRED
    if report.outcome not in _GOVERNING:
        return None
    statuses = {c.status for c in report.conditions}
    # Something was done: a clean run's changes, or the actions that succeeded in a run where others
    # failed (the failed conditions ride along in the data). A run whose every action failed did nothing.
    did = report.outcome is Outcome.CHANGED or any(result.ok for result in report.results)
    if report.newly_governed and (did or report.outcome is Outcome.COMPLIANT):
        return OutcomeType.GOVERNED
    if Status.CONFLICT in statuses:
        return OutcomeType.CONFLICT
    if did:
        return OutcomeType.DRIFT_REPAIRED
    if Status.BLOCKED in statuses:
        return OutcomeType.BLOCKED
    return None


def event_id(report: GroupReport, kind: OutcomeType, *, trigger: str, day: datetime.date) -> str:
    """Deterministic per (group, type, plan) and the trigger, or the UTC day for standing findings."""
    parts = [kind.value, report.group.scope.lower()]
    if kind in _DONE:
        parts.append(trigger.lower())
    else:
        parts.append(day.isoformat())
    if kind is not OutcomeType.UNCLASSIFIED:
        parts.extend(sorted(action.key for action in report.plan))
    if kind is OutcomeType.BLOCKED:
        parts.extend(sorted(f"{c.aspect}:{c.reason}" for c in report.conditions if c.status is Status.BLOCKED))
    return str(uuid.uuid5(NAMESPACE, "\n".join(parts)))


def source(landing_zone: str) -> str:
    return f"/dpgov/{landing_zone}"


def event_data(report: GroupReport) -> dict[str, Any]:
    """What the event says: identity, outcome, per aspect status/reason/actions. No personal data."""
    base: dict[str, Any] = {
        "subscription_id": report.group.subscription_id.lower(),
        "resource_group": report.group.name,
        "landing_zone": report.landing_zone,
        "outcome": report.outcome.value,
    }
    product = report.product
    if product is None:
        # Not the reason: it quotes the team's tags, which can hold anything (``dpgov explain`` says why).
        return base
    kinds = {action.key: str(action.to_dict().get("kind", "")) for action in report.plan}
    conditions = [
        {
            "aspect": c.aspect,
            "status": c.status.value,
            "reason": c.reason,
            "actions": [{"kind": kinds.get(key, ""), "key": key} for key in c.actions],
            "findings": [{"kind": f.kind.value, "reason": f.reason} for f in c.findings],
        }
        for c in report.conditions
    ]
    data: dict[str, Any] = {
        **base,
        "data_product": product.to_dict(),
        "identity_source": report.identity.source if report.identity is not None else None,
        "conditions": conditions,
    }
    conflict = report.identity.conflict if report.identity is not None else None
    if conflict is not None:
        # The claim only when it names a configured product: an unconfigured one quotes the tags verbatim.
        claimed = conflict.claimed.to_dict() if isinstance(conflict.claimed, DataProduct) else None
        data["conflict"] = {"pinned": conflict.pinned.to_dict(), "claimed": claimed}
    return data


def outcome_events(reports: Sequence[GroupReport], *, trigger: str, now: datetime.datetime) -> tuple[OutcomeEvent, ...]:
    """The events a batch of reports calls for, in the reports' order."""
    day = now.astimezone(datetime.UTC).date()
    events = []
    for report in reports:
        kind = outcome_type(report)
        if kind is None or report.landing_zone is None:
            continue
        events.append(
            OutcomeEvent(
                id=event_id(report, kind, trigger=trigger, day=day),
                type=kind,
                source=source(report.landing_zone),
                subject=report.group.scope,
                time=now,
                data=event_data(report),
            )
        )
    return tuple(events)


def batches(events: Sequence[OutcomeEvent], max_bytes: int = MAX_BATCH_BYTES) -> Iterator[tuple[OutcomeEvent, ...]]:
    """Consecutive batches whose JSON stays under ``max_bytes`` (an oversized event goes alone)."""
    batch: list[OutcomeEvent] = []
    size = 2  # the array's brackets
    for event in events:
        length = len(json.dumps(event.to_cloud_event(), separators=(",", ":")).encode("utf-8")) + 1
        if batch and size + length > max_bytes:
            yield tuple(batch)
            batch, size = [], 2
        batch.append(event)
        size += length
    if batch:
        yield tuple(batch)
