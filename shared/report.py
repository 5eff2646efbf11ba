"""What a reconcile found, planned, did and failed: JSON for HTTP and events, a table for people.

Each governed group's report carries one **condition per aspect**, Kubernetes-style: the aspect, a
status (``compliant | changed | planned | failed | blocked | conflict``), a stable CamelCase reason,
a message for people and the keys of the aspect's actions. The group's ``outcome`` summarises them.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.aspects.base import Action, Disposition, Finding, FindingKind
from shared.identity import Identity
from shared.model import DataProduct, GroupRef
from shared.plan import Plan


class Outcome(StrEnum):
    """How a reconcile of one group ended. Only FAILED means something is wrong."""

    COMPLIANT = "compliant"  # governed, nothing to do
    CHANGED = "changed"  # governed, actions applied
    PLANNED = "planned"  # dry run: actions would be applied
    FAILED = "failed"  # some aspect failed terminally or transiently
    UNCLASSIFIED = "unclassified"  # not a data product (or unknown domain): not governed
    ORPHANED = "orphaned"  # a dedicated visualization group whose product group is gone: left in place
    RETIRED = "retired"  # the product's group is gone; what the app made for it elsewhere was cleaned up
    NOT_FOUND = "not_found"  # the group does not exist (deleted, or never created)
    DELETING = "deleting"  # ARM is deleting the group: leave it alone
    UNKNOWN_LANDING_ZONE = "unknown_landing_zone"  # subscription not in the config


class Status(StrEnum):
    """One aspect's state on one group."""

    COMPLIANT = "compliant"
    CHANGED = "changed"
    PLANNED = "planned"
    FAILED = "failed"
    BLOCKED = "blocked"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The result of applying one action."""

    action: Action
    error: str | None = None
    disposition: Disposition | None = None  # set when the action raised

    @property
    def ok(self) -> bool:
        return self.error is None or self.disposition is Disposition.DONE

    @property
    def transient(self) -> bool:
        return not self.ok and self.disposition is Disposition.TRANSIENT

    @property
    def group_gone(self) -> bool:
        return self.disposition in {Disposition.GROUP_GONE, Disposition.GROUP_DELETING}

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"action": self.action.key, "ok": self.ok}
        if self.error is not None:
            result["detail" if self.ok else "error"] = self.error
            if not self.ok:
                result["transient"] = self.transient
        return result


@dataclass(frozen=True, slots=True)
class Condition:
    """One aspect's verdict on one group."""

    aspect: str
    status: Status
    reason: str
    message: str = ""
    actions: tuple[str, ...] = ()
    transient: bool = False  # a FAILED status that a retry can fix
    findings: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "aspect": self.aspect,
            "status": self.status.value,
            "reason": self.reason,
            "message": self.message,
            "actions": list(self.actions),
        }
        if self.findings:
            body["findings"] = [finding.to_dict() for finding in self.findings]
        return body


def condition(
    aspect: str,
    *,
    actions: Sequence[Action],
    results: Sequence[ActionResult],
    findings: Sequence[Finding],
    dry_run: bool,
) -> Condition:
    """The status of an aspect that was observed: failure beats blocked beats conflict beats change."""
    keys = tuple(action.key for action in actions)
    notes = tuple(findings)
    failed = [result for result in results if not result.ok]
    if failed:
        message = "; ".join(f"{result.action.describe()}: {result.error}" for result in failed)
        transient = any(result.transient for result in failed)
        return Condition(aspect, Status.FAILED, "ActionFailed", message, keys, transient, notes)
    for kind, status in ((FindingKind.BLOCKED, Status.BLOCKED), (FindingKind.CONFLICT, Status.CONFLICT)):
        chosen = [finding for finding in notes if finding.kind is kind]
        if chosen:
            message = "; ".join(finding.message for finding in chosen)
            return Condition(aspect, status, chosen[0].reason, message, keys, findings=notes)
    if actions:
        described = "; ".join(action.describe() for action in actions)
        if dry_run:
            return Condition(aspect, Status.PLANNED, "ChangesPlanned", described, keys, findings=notes)
        return Condition(aspect, Status.CHANGED, "Reconciled", described, keys, findings=notes)
    message = "; ".join(finding.message for finding in notes)
    return Condition(aspect, Status.COMPLIANT, "UpToDate", message, findings=notes)


def observe_failed(aspect: str, detail: str, *, transient: bool) -> Condition:
    return Condition(aspect, Status.FAILED, "ObserveFailed", detail, transient=transient)


@dataclass(frozen=True, slots=True)
class GroupReport:
    """The report for one resource group."""

    group: GroupRef
    outcome: Outcome
    landing_zone: str | None = None
    identity: Identity | None = None
    reason: str | None = None
    plan: Plan = field(default_factory=Plan)
    results: tuple[ActionResult, ...] = ()
    conditions: tuple[Condition, ...] = ()
    dry_run: bool = False
    transient: bool = False  # observing failed in a way a retry can fix
    newly_governed: bool = False  # this reconcile made the product's first ledger record
    forgotten: bool = False  # this reconcile deleted the product's ledger record: its group is gone
    named_unknown: bool = False  # unclassified, though its name or tags named a domain or environment not configured

    @property
    def product(self) -> DataProduct | None:
        return self.identity.product if self.identity is not None else None

    @property
    def failed(self) -> tuple[ActionResult, ...]:
        return tuple(result for result in self.results if not result.ok and not result.group_gone)

    @property
    def transient_failure(self) -> bool:
        return self.transient or any(c.transient for c in self.conditions) or any(r.transient for r in self.failed)

    @property
    def compliant(self) -> bool | None:
        """Whether a governed group matches the config now (None when it is not governed)."""
        if self.product is None:
            return None
        return self.outcome is Outcome.COMPLIANT and all(c.status is Status.COMPLIANT for c in self.conditions)

    def condition_for(self, aspect: str) -> Condition | None:
        return next((c for c in self.conditions if c.aspect == aspect), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subscription_id": self.group.subscription_id.lower(),
            "resource_group": self.group.name,
            "outcome": self.outcome.value,
            "landing_zone": self.landing_zone,
            "data_product": self.product.to_dict() if self.product else None,
            "identity": self.identity.to_dict() if self.identity else None,
            "reason": self.reason,
            "dry_run": self.dry_run,
            "conditions": [c.to_dict() for c in self.conditions],
            "plan": self.plan.to_list(),
            "results": [result.to_dict() for result in self.results],
        }


@dataclass(frozen=True, slots=True)
class EstateReport:
    """The report for a reconcile of many groups (the timer, ``POST /api/sync``, the inventory)."""

    groups: tuple[GroupReport, ...]
    dry_run: bool
    duration_ms: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(report.outcome.value for report in self.groups)
        return {outcome.value: counted.get(outcome.value, 0) for outcome in Outcome}

    @property
    def data_products(self) -> tuple[GroupReport, ...]:
        return tuple(report for report in self.groups if report.product is not None)

    @property
    def transient_failures(self) -> tuple[GroupReport, ...]:
        return tuple(report for report in self.groups if report.transient_failure)

    @property
    def planned_actions(self) -> int:
        return sum(len(report.plan) for report in self.groups)

    def condition_counts(self) -> dict[str, dict[str, int]]:
        """Per aspect, how many governed groups are in each status."""
        counts: dict[str, Counter[str]] = {}
        for report in self.groups:
            for item in report.conditions:
                counts.setdefault(item.aspect, Counter())[item.status.value] += 1
        return {aspect: dict(sorted(counter.items())) for aspect, counter in counts.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "duration_ms": round(self.duration_ms, 1),
            "summary": {**self.counts, "groups": len(self.groups), "actions": self.planned_actions},
            "conditions": self.condition_counts(),
            "groups": [report.to_dict() for report in self.groups],
        }


def inventory(report: EstateReport, *, generated_at: datetime.datetime | None = None) -> dict[str, Any]:
    """The data products of a (dry-run) estate report, each with its conditions and pending actions.

    What ``GET /api/dataproducts`` answers and ``dpgov inventory`` prints. ``generated_at`` (ISO 8601,
    UTC; default: now) is when it was made: the statuses are as of then (the compliance page shows it).
    """
    products = [
        {
            "subscription_id": group.group.subscription_id.lower(),
            "resource_group": group.group.name,
            **(group.product.to_dict() if group.product else {}),
            "compliant": group.compliant,
            "conditions": [condition.to_dict() for condition in group.conditions],
            "pending": group.plan.to_list(),
        }
        for group in report.data_products
    ]
    summary = {
        "data_products": len(products),
        "compliant": sum(1 for product in products if product["compliant"]),
        "non_compliant": sum(1 for product in products if not product["compliant"]),
        "unclassified": report.counts[Outcome.UNCLASSIFIED.value],
        "conditions": report.condition_counts(),
    }
    moment = (generated_at or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    return {"generated_at": moment.isoformat(timespec="milliseconds"), "summary": summary, "data_products": products}


def _condition_cell(report: GroupReport, aspect: str) -> str:
    found = report.condition_for(aspect)
    return found.status.value if found is not None else "-"


def render_table(reports: Iterable[GroupReport]) -> str:
    """A fixed-width table: group, data product, outcome, one column per aspect, and the detail."""
    reports = list(reports)
    aspects = list(dict.fromkeys(c.aspect for report in reports for c in report.conditions))
    header = (
        "RESOURCE GROUP",
        "LANDING ZONE",
        "DOMAIN",
        "PRODUCT",
        "ENV",
        "OUTCOME",
        *map(str.upper, aspects),
        "DETAIL",
    )
    rows: list[tuple[str, ...]] = [header]
    for report in reports:
        product = report.product
        rows.append(
            (
                report.group.name,
                report.landing_zone or "-",
                product.domain if product else "-",
                product.product if product else "-",
                product.environment if product else "-",
                report.outcome.value,
                *(_condition_cell(report, aspect) for aspect in aspects),
                _detail(report),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _detail(report: GroupReport) -> str:
    noteworthy = [c for c in report.conditions if c.status is not Status.COMPLIANT and c.message]
    if noteworthy:
        return "; ".join(f"{c.aspect}: {c.message}" for c in noteworthy)
    return report.reason or ""


_NEEDS_A_LOOK = frozenset({Status.FAILED, Status.BLOCKED, Status.CONFLICT})


def summarize(report: GroupReport) -> str:
    """One log line's worth: the outcome, each aspect's status and reason, the kinds of action run,
    and the errors of the actions that failed.

    Never an action's description, a condition's message or the group's unclassified reason: those
    quote tag values (an owner's e-mail, whatever a team typed), and log lines are exported to
    Application Insights. The report itself (HTTP, CLI) carries them for whoever asked.
    """
    statuses = ", ".join(
        f"{c.aspect}={c.status.value}" + (f"/{c.reason}" if c.status in _NEEDS_A_LOOK else "")
        for c in report.conditions
    )
    kinds = Counter(f"{action.aspect}.{action.to_dict().get('kind', '?')}" for action in report.plan)
    failed = [f"{result.action.key}: {result.error}" for result in report.results if not result.ok]
    parts = [report.outcome.value]
    if statuses:
        parts.append(f"[{statuses}]")
    if kinds:
        parts.append("(" + ", ".join(f"{kind} x{n}" if n > 1 else kind for kind, n in sorted(kinds.items())) + ")")
    if failed:
        parts.append("failed: " + "; ".join(failed))
    return " ".join(parts)
