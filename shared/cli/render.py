"""What ``dpgov`` shows people: reports as a plan diff, tables and explanations. Pure: no I/O.

The plan reads like ``terraform plan``: a group, then per aspect one line per planned action from
its ``describe()``, marked ``+`` (creates or grants), ``~`` (changes in place) or ``-`` (removes),
and the findings that need a person (``!``) or failed (``x``). The ``--output json`` documents are
built here too, from the same reports the HTTP API serves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from shared.aspects.base import Action, FindingKind
from shared.explain import Explanation
from shared.ledger import LedgerRecord
from shared.report import EstateReport, GroupReport, Outcome, Status

ADD, CHANGE, REMOVE, ATTENTION, FAILURE, NOTE = "+", "~", "-", "!", "x", "i"
_STYLE = {ADD: "green", CHANGE: "yellow", REMOVE: "red", ATTENTION: "magenta", FAILURE: "bold red", NOTE: "dim"}
_ADDING_VERBS = frozenset({"create", "assign", "register", "grant", "schedule", "start"})
_REMOVING_VERBS = frozenset({"remove", "delete", "revoke"})
_STATUS_STYLE = {
    Status.COMPLIANT: "green",
    Status.CHANGED: "cyan",
    Status.PLANNED: "yellow",
    Status.FAILED: "bold red",
    Status.BLOCKED: "magenta",
    Status.CONFLICT: "magenta",
}
_ERRORS = frozenset({Outcome.FAILED, Outcome.NOT_FOUND, Outcome.UNKNOWN_LANDING_ZONE})


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def symbol(action: Action) -> str:
    """``+`` for what the action adds, ``-`` for what it removes, ``~`` for a change in place."""
    verb = action.describe().split(" ", 1)[0].lower()
    kind = str(action.to_dict().get("kind", ""))
    if verb in _REMOVING_VERBS or kind.startswith(("delete_", "remove_", "revoke_")):
        return REMOVE
    return ADD if verb in _ADDING_VERBS else CHANGE


def needs_showing(report: GroupReport) -> bool:
    """Groups a plan or apply shows: with actions, with findings for a person, or in trouble."""
    findings = (f for c in report.conditions for f in c.findings)
    return (
        bool(report.plan)
        or report.outcome in _ERRORS
        or any(c.status in {Status.FAILED, Status.BLOCKED, Status.CONFLICT} for c in report.conditions)
        or any(f.kind is not FindingKind.NOTICE for f in findings)
    )


def heading(report: GroupReport) -> Text:
    product = report.product
    where = [report.landing_zone or report.group.subscription_id.lower()]
    if product is not None:
        where.append(f"{product.domain}/{product.product} ({product.environment})")
    text = Text(report.group.name, style="bold")
    text.append(f"  {' · '.join(where)} · {report.outcome.value}", style="dim")
    return text


def _line(indent: int, mark: str, message: str) -> Text:
    return Text(" " * indent) + Text(f"{mark} {message}", style=_STYLE[mark])


def group_lines(report: GroupReport, *, applied: bool = False) -> list[Text]:
    """One group: its heading, then per aspect its actions (with their results when applied)."""
    lines = [heading(report)]
    if report.outcome in _ERRORS and report.reason:
        lines.append(_line(2, FAILURE, report.reason))
    results = {result.action.key: result for result in report.results}
    for condition in report.conditions:
        actions = report.plan.for_aspect(condition.aspect)
        body: list[Text] = []
        for action in actions:
            line = _line(4, symbol(action), action.describe())
            result = results.get(action.key)
            if applied and result is not None:
                line = (
                    line + Text("  done", style="green")
                    if result.ok
                    else _line(4, FAILURE, f"{action.describe()}: {result.error}")
                )
            body.append(line)
        if condition.status is Status.FAILED and not actions:
            body.append(_line(4, FAILURE, f"{condition.reason}: {condition.message}"))
        for finding in condition.findings:
            mark = NOTE if finding.kind is FindingKind.NOTICE else ATTENTION
            body.append(_line(4, mark, f"{finding.kind.value}: {finding.message}"))
        if body:
            lines.append(Text(f"  {condition.aspect}", style="bold"))
            lines += body
    return lines


def _findings(reports: Iterable[GroupReport]) -> list[str]:
    statuses = [c.status for report in reports for c in report.conditions]
    failed = sum(1 for report in reports if report.outcome is Outcome.FAILED)
    parts = []
    if blocked := statuses.count(Status.BLOCKED):
        parts.append(f"{blocked} blocked")
    if conflicts := statuses.count(Status.CONFLICT):
        parts.append(plural(conflicts, "conflict"))
    if failed:
        parts.append(f"{failed} failed")
    return parts


def plan_summary(reports: Sequence[GroupReport]) -> str:
    """``Plan: 1 group to change, 2 actions.`` or ``No changes: 3 data products as configured.``"""
    changing = [report for report in reports if report.plan]
    extra = _findings(reports)
    if changing:
        actions = sum(len(report.plan) for report in changing)
        parts = [f"{plural(len(changing), 'group')} to change", plural(actions, "action"), *extra]
        return "Plan: " + ", ".join(parts) + "."
    products = sum(1 for report in reports if report.product is not None)
    return "No changes: " + ", ".join([f"{plural(products, 'data product')} as configured", *extra]) + "."


def apply_summary(reports: Sequence[GroupReport]) -> str:
    """``Apply complete: 1 group changed, 2 actions done.`` (or ``Apply failed: …`` naming the failures)."""
    results = [result for report in reports for result in report.results]
    done = sum(1 for result in results if result.ok)
    changed = sum(1 for report in reports if report.outcome is Outcome.CHANGED)
    parts = [f"{plural(changed, 'group')} changed", f"{plural(done, 'action')} done", *_findings(reports)]
    failed = any(report.outcome is Outcome.FAILED for report in reports)
    return ("Apply failed: " if failed else "Apply complete: ") + ", ".join(parts) + "."


def estate_document(reports: Sequence[GroupReport], *, dry_run: bool, duration_ms: float = 0.0) -> dict[str, Any]:
    """The JSON of a plan or an apply: the estate report ``POST /api/sync`` answers, for any selection."""
    return EstateReport(tuple(reports), dry_run, duration_ms).to_dict()


def _status(status: str) -> Text:
    try:
        return Text(status, style=_STATUS_STYLE[Status(status)])
    except ValueError:
        return Text(status)


def inventory_table(document: dict[str, Any]) -> Table:
    """``inventory()``'s products as rows, one column per aspect with its status."""
    products: list[dict[str, Any]] = document["data_products"]
    aspects = list(dict.fromkeys(c["aspect"] for product in products for c in product["conditions"]))
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("RESOURCE GROUP", "LANDING ZONE", "DOMAIN", "PRODUCT", "ENV", *map(str.upper, aspects)):
        table.add_column(column, no_wrap=True)
    table.add_column("PENDING", justify="right")
    for product in products:
        statuses = {c["aspect"]: c["status"] for c in product["conditions"]}
        table.add_row(
            product["resource_group"],
            product["landing_zone"],
            product["domain"],
            product["product"],
            product["environment"],
            *(_status(statuses.get(aspect, "-")) for aspect in aspects),
            str(len(product["pending"])),
        )
    return table


def inventory_summary(document: dict[str, Any]) -> str:
    summary = document["summary"]
    return (
        f"{plural(summary['data_products'], 'data product')}: {summary['compliant']} compliant, "
        f"{summary['non_compliant']} not compliant; {plural(summary['unclassified'], 'unclassified group')}."
    )


def ledger_table(records: Sequence[LedgerRecord]) -> Table:
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("RESOURCE GROUP", "SUBSCRIPTION", "DOMAIN", "PRODUCT", "ENV", "IDENTITY", "FIRST GOVERNED"):
        table.add_column(column, no_wrap=True)
    table.add_column("ARTEFACTS", justify="right")
    for record in records:
        product = record.product
        table.add_row(
            record.ref.name,
            record.ref.subscription_id.lower(),
            product.domain,
            product.product,
            product.environment,
            "pinned from tags" if record.source == "tags" else "from its name",
            record.first_governed_at.strftime("%Y-%m-%d %H:%M"),
            str(len(record.artifacts)),
        )
    return table


def _mark(matched: bool | None) -> Text:
    if matched is None:
        return Text("-", style="dim")
    return Text("✓", style="green") if matched else Text("✗", style="red")


def explanation_lines(explanation: Explanation) -> list[Text]:
    """The verdict, each rule's say, the ledger, and what each aspect wants for a data product."""
    where = f"{explanation.group.subscription_id.lower()}" + (
        f", landing zone {explanation.landing_zone}" if explanation.landing_zone else ""
    )
    lines = [Text(explanation.group.name, style="bold") + Text(f"  ({where})", style="dim")]
    if explanation.data_product:
        lines.append(Text(f"Is {explanation.reason}.", style="bold green"))
    else:
        lines.append(Text(f"Not a data product: {explanation.reason}.", style="bold yellow"))
    width = max(len(check.rule) for check in explanation.checks)
    for check in explanation.checks:
        lines.append(Text("  ") + _mark(check.matched) + Text(f" {check.rule.ljust(width)}  {check.detail}"))
    if explanation.conflict:
        lines.append(Text(f"Conflict: {explanation.conflict}", style="magenta"))
    if explanation.aspects:
        lines.append(Text("What the config wants for it:", style="bold"))
        for aspect in explanation.aspects:
            lines.append(Text(f"  {aspect.aspect}", style="bold"))
            lines += [Text(f"    {line}") for line in aspect.summary]
    return lines
