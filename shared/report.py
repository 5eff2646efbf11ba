"""What a reconcile found, planned, did and failed: JSON for HTTP and events, a table for people."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.model import DataProduct, GroupRef
from shared.plan import Action, Plan


class Outcome(StrEnum):
    """How a reconcile of one group ended. Only FAILED means something is wrong."""

    COMPLIANT = "compliant"  # governed, nothing to do
    CHANGED = "changed"  # governed, actions applied
    PLANNED = "planned"  # dry run: actions would be applied
    FAILED = "failed"  # some action failed terminally or transiently
    UNCLASSIFIED = "unclassified"  # not a data product (or unknown domain): not governed
    NOT_FOUND = "not_found"  # the group does not exist (deleted, or never created)
    DELETING = "deleting"  # ARM is deleting the group: leave it alone
    UNKNOWN_LANDING_ZONE = "unknown_landing_zone"  # subscription not in the config


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The result of applying one action."""

    action: Action
    error: str | None = None
    transient: bool = False
    not_found: bool = False  # the target disappeared (a terminal outcome, not a failure)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"action": self.action.key, "ok": self.ok}
        if self.error is not None:
            result["error"] = self.error
            result["transient"] = self.transient
        return result


@dataclass(frozen=True, slots=True)
class GroupReport:
    """The report for one resource group."""

    group: GroupRef
    outcome: Outcome
    landing_zone: str | None = None
    product: DataProduct | None = None
    reason: str | None = None
    plan: Plan = field(default_factory=Plan)
    results: tuple[ActionResult, ...] = ()
    dry_run: bool = False
    transient: bool = False  # observing failed in a way a retry can fix

    @property
    def failed(self) -> tuple[ActionResult, ...]:
        return tuple(result for result in self.results if not result.ok and not result.not_found)

    @property
    def transient_failure(self) -> bool:
        return self.transient or any(result.transient for result in self.failed)

    @property
    def compliant(self) -> bool | None:
        """Whether a governed group matches the config now (None when it is not governed)."""
        if self.product is None or self.outcome is Outcome.FAILED:
            return None if self.product is None else False
        return self.outcome is Outcome.COMPLIANT

    def to_dict(self) -> dict[str, Any]:
        return {
            "subscription_id": self.group.subscription_id.lower(),
            "resource_group": self.group.name,
            "outcome": self.outcome.value,
            "landing_zone": self.landing_zone,
            "data_product": self.product.to_dict() if self.product else None,
            "reason": self.reason,
            "dry_run": self.dry_run,
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "duration_ms": round(self.duration_ms, 1),
            "summary": {**self.counts, "groups": len(self.groups), "actions": self.planned_actions},
            "groups": [report.to_dict() for report in self.groups],
        }


def render_table(reports: Iterable[GroupReport]) -> str:
    """A fixed-width table of groups, their data product and outcome, for terminals and logs."""
    header = ("RESOURCE GROUP", "LANDING ZONE", "DOMAIN", "PRODUCT", "ENV", "OUTCOME", "DETAIL")
    rows = [header]
    for report in reports:
        product = report.product
        if report.failed:
            detail = "; ".join(result.error or "" for result in report.failed)
        elif report.plan:
            detail = "; ".join(action.describe() for action in report.plan)
        else:
            detail = report.reason or ""
        rows.append(
            (
                report.group.name,
                report.landing_zone or "-",
                product.domain if product else "-",
                product.product if product else "-",
                product.environment if product else "-",
                report.outcome.value,
                detail,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
