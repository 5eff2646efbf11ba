"""The ``dpgov`` commands: parse, point the engine, run it, print, and exit with a code scripts rely on.

Exit codes: 0 when there is nothing to do or everything was done; 2 when ``plan`` found changes to
make (drift); 1 for everything else: an invalid config, a failure, a refused or cancelled apply, bad
usage (click's usual 2 for bad usage would read as drift).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from shared.abac import rbac_condition
from shared.cli.environment import ReadyFileError, point
from shared.cli.progress import progress
from shared.cli.render import (
    apply_summary,
    estate_document,
    explanation_lines,
    group_lines,
    inventory_summary,
    inventory_table,
    ledger_table,
    needs_showing,
    plan_summary,
    plural,
)
from shared.collector import tune_collector
from shared.config import ConfigError, LandingZone, json_schema, load_config
from shared.errors import describe, is_azure_error
from shared.ledger import LedgerRecord, UnpinRefused
from shared.model import GroupRef
from shared.reconciler import TransientFailure
from shared.report import GroupReport, Outcome, inventory
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.engine import Engine

CHANGES_PLANNED = 2

app = typer.Typer(
    name="dpgov",
    help="Data-product governance for Azure data landing zones: the engine the Function App runs, from a "
    "workstation or a pipeline. Credentials come from DefaultAzureCredential (az login is enough).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
ledger_app = typer.Typer(
    help="The ledger: each data product's recorded identity (the pin) and what the app made outside its group.",
    no_args_is_help=True,
)
app.add_typer(ledger_app, name="ledger")


class Output(StrEnum):
    TEXT = "text"
    JSON = "json"


OutputOption = Annotated[
    Output, typer.Option("--output", "-o", help="text, or json: one JSON document on stdout and nothing else there.")
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", dir_okay=False, help="The governance config (default: GOVERNANCE_CONFIG, else governance.yaml)."
    ),
]
EmulatorOption = Annotated[
    Path | None,
    typer.Option(
        "--emulator",
        metavar="READY_FILE",
        dir_okay=False,
        help="Use the local emulator whose ready file this is (python -m emulator --ready-file READY_FILE).",
    ),
]
SubscriptionOption = Annotated[
    str | None, typer.Option("--subscription", help="A landing zone's subscription id (with --group: the group's).")
]
GroupOption = Annotated[str | None, typer.Option("--group", help="One resource group (with --subscription).")]
LandingZoneOption = Annotated[str | None, typer.Option("--landing-zone", help="One landing zone, by name.")]
ConfigArgument = Annotated[
    Path | None, typer.Argument(metavar="[CONFIG]", help="The config to read (default: --config, GOVERNANCE_CONFIG).")
]


class Failure(Exception):
    """A reason to stop with exit code 1, reported as ``{"error": {"code", "message"}}`` in JSON."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Terminal:
    """Where output goes: the result to stdout (text or JSON), messages and progress to stderr."""

    output: Output
    out: Console
    err: Console

    @classmethod
    def open(cls, output: Output) -> Terminal:
        return cls(
            output,
            Console(soft_wrap=True, highlight=False),
            Console(stderr=True, soft_wrap=True, highlight=False),
        )

    @property
    def json(self) -> bool:
        return self.output is Output.JSON

    def document(self, body: Any) -> None:
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        sys.stdout.flush()

    def lines(self, lines: Iterable[Text], *, to_stderr: bool = False) -> None:
        console = self.err if to_stderr else self.out
        for line in lines:
            console.print(line)

    def table(self, table: Table) -> None:
        """On a terminal, fitted to its width; piped, as wide as the table needs (never wrapped)."""
        if self.out.is_terminal:
            self.out.print(table)
            return
        width = Console(width=10_000).measure(table).maximum
        Console(width=width, highlight=False).print(table)

    def message(self, text: str, *, style: str | None = None) -> None:
        """A line for people: on stdout as text output, on stderr beside a JSON document."""
        (self.err if self.json else self.out).print(Text(text, style=style or ""))

    def fail(self, failure: Failure) -> int:
        if self.json:
            self.document({"error": {"code": failure.code, "message": str(failure)}})
        else:
            self.err.print(Text(str(failure), style="red"))
        return 1


def _run(terminal: Terminal, work: Callable[[], Coroutine[Any, Any, int]]) -> None:
    """Run a command's coroutine; turn what the operator must fix into exit code 1 (bugs raise)."""
    try:
        code = asyncio.run(work())
    except Failure as failure:
        code = terminal.fail(failure)
    except ConfigError as error:
        code = terminal.fail(Failure("InvalidConfiguration", str(error)))
    except ReadyFileError as error:
        code = terminal.fail(Failure("InvalidEmulatorReadyFile", str(error)))
    except Exception as error:
        if not is_azure_error(error):
            raise
        code = terminal.fail(Failure("AzureError", describe(error)))
    raise typer.Exit(code)


def _engine() -> AbstractAsyncContextManager[Engine]:
    """The engine the Function App builds, from the settings in the environment (see ``point``).

    Imported only now, after ``point``: aiohttp reads ``SSL_CERT_FILE`` (with ``--emulator``, the
    emulator's CA) once, when it is first imported, and the engine's Azure clients import it.
    """
    from shared.engine import open_engine  # noqa: PLC0415 - see the docstring

    return open_engine(Settings.from_environment())


# -- selection: one group, one landing zone, or everything ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    """The reports of one plan or apply of a selection."""

    reports: list[GroupReport]
    dry_run: bool
    duration_ms: float

    @property
    def changes(self) -> int:
        return sum(len(report.plan) for report in self.reports)

    def document(self) -> dict[str, Any]:
        return estate_document(self.reports, dry_run=self.dry_run, duration_ms=self.duration_ms)


@dataclass(frozen=True, slots=True)
class Selection:
    subscription: str | None
    group: str | None
    landing_zone: str | None

    @classmethod
    def checked(cls, terminal: Terminal, subscription: str | None, group: str | None, zone: str | None) -> Selection:
        problem = None
        if group and not subscription:
            problem = "--group needs --subscription"
        elif zone and (subscription or group):
            problem = "--landing-zone selects a landing zone: give it, or --subscription (and --group), not both"
        if problem is not None:
            raise typer.Exit(terminal.fail(Failure("BadUsage", problem)))
        return cls(subscription, group, zone)

    @property
    def ref(self) -> GroupRef | None:
        if self.subscription and self.group:
            return GroupRef(self.subscription.lower(), self.group)
        return None

    def zones(self, engine: Engine) -> list[LandingZone]:
        zones, wanted = list(engine.config.landing_zones), "no landing zone"
        if self.landing_zone:
            zones = [zone for zone in zones if zone.name == self.landing_zone]
            wanted = f"no landing zone named {self.landing_zone!r}"
        elif self.subscription:
            zones = [zone for zone in zones if zone.subscription_id == self.subscription.lower()]
            wanted = f"subscription {self.subscription} is not a configured landing zone"
        if not zones:
            known = ", ".join(f"{zone.name} ({zone.subscription_id})" for zone in engine.config.landing_zones)
            raise Failure("UnknownLandingZone", f"{wanted}; the config has {known}")
        return zones

    async def reconcile(self, engine: Engine, *, dry_run: bool) -> Run:
        started = time.perf_counter()
        ref = self.ref
        if ref is None:
            estate = await engine.reconciler.reconcile_all(dry_run=dry_run, zones=self.zones(engine))
            reports = list(estate.groups)
        else:
            try:
                reports = [await engine.reconciler.reconcile_group(ref, dry_run=dry_run)]
            except TransientFailure as failure:
                reports = list(failure.reports)
        return Run(reports, dry_run, (time.perf_counter() - started) * 1000)

    def errors(self, reports: Sequence[GroupReport]) -> list[GroupReport]:
        """Reports that are errors: a failure; for one named group, also a missing group or zone."""
        wrong = {Outcome.FAILED}
        if self.ref is not None:
            wrong |= {Outcome.NOT_FOUND, Outcome.UNKNOWN_LANDING_ZONE}
        return [report for report in reports if report.outcome in wrong]


def _plan_lines(reports: Sequence[GroupReport], selection: Selection, *, applied: bool = False) -> list[Text]:
    lines: list[Text] = []
    for report in reports:
        if needs_showing(report) or selection.ref is not None:
            lines += [*group_lines(report, applied=applied), Text("")]
    summary = apply_summary(reports) if applied else plan_summary(reports)
    lines.append(Text(summary, style="bold"))
    return lines


# -- commands ------------------------------------------------------------------------------------------


@app.command()
def validate(
    path: ConfigArgument = None,
    config: ConfigOption = None,
    output: OutputOption = Output.TEXT,
) -> None:
    """Check a governance config: exit 0 when valid, 1 with each bad key's path when not."""
    terminal = Terminal.open(output)
    chosen = _config_path(terminal, path or config)
    try:
        loaded = load_config(chosen)
    except ConfigError as error:
        if terminal.json:
            terminal.document({"config": str(chosen), "valid": False, "errors": config_problems(error)})
        else:
            terminal.err.print(Text(str(error), style="red"))
        raise typer.Exit(1) from None
    zones, domains = [zone.name for zone in loaded.landing_zones], sorted(loaded.domains)
    if terminal.json:
        terminal.document({"config": str(chosen), "valid": True, "landing_zones": zones, "domains": domains})
    else:
        terminal.out.print(
            Text(f"{chosen}: valid ({plural(len(zones), 'landing zone')}, {plural(len(domains), 'domain')})")
        )


def _config_path(terminal: Terminal, given: Path | None) -> Path:
    """The config a command reads: the one given, else GOVERNANCE_CONFIG's (as the app resolves it)."""
    if given is not None:
        return given
    try:
        return Settings.from_environment().governance_config
    except ConfigError as error:  # another app setting is invalid
        raise typer.Exit(terminal.fail(Failure("InvalidConfiguration", str(error)))) from None


def config_problems(error: ConfigError) -> list[dict[str, str]]:
    """Each ``  key.path: message`` line of a ConfigError as ``{"path", "message"}``."""
    problems = []
    for line in str(error).splitlines()[1:]:
        if not line.startswith("  ") or ": " not in line:
            continue
        path, message = line.strip().split(": ", 1)
        if path == "(top level)" and message.startswith("Value error, ") and ": " in message:
            path, message = message.removeprefix("Value error, ").split(": ", 1)
        problems.append({"path": path, "message": message})
    return problems or [{"path": "", "message": str(error)}]


@app.command()
def plan(
    *,
    subscription: SubscriptionOption = None,
    group: GroupOption = None,
    landing_zone: LandingZoneOption = None,
    config: ConfigOption = None,
    emulator: EmulatorOption = None,
    output: OutputOption = Output.TEXT,
) -> None:
    """Show what apply would change, per group and aspect (a dry run: nothing is written).

    Exit 0: nothing to change; 2: changes planned (drift); 1: an error.
    """
    terminal = Terminal.open(output)
    selection = Selection.checked(terminal, subscription, group, landing_zone)
    point(os.environ, emulator=emulator, config=config)

    async def work() -> int:
        async with _engine() as engine, progress(terminal.err, "planning"):
            planned = await selection.reconcile(engine, dry_run=True)
        if terminal.json:
            terminal.document(planned.document())
        else:
            terminal.lines(_plan_lines(planned.reports, selection))
        if selection.errors(planned.reports):
            return 1
        return CHANGES_PLANNED if planned.changes else 0

    _run(terminal, work)


@app.command()
def apply(
    *,
    subscription: SubscriptionOption = None,
    group: GroupOption = None,
    landing_zone: LandingZoneOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking for confirmation.")] = False,
    config: ConfigOption = None,
    emulator: EmulatorOption = None,
    output: OutputOption = Output.TEXT,
) -> None:
    """Plan, ask for confirmation (unless --yes), then apply the same selection.

    Exit 0: nothing to change, or everything applied; 1: a failure, or not confirmed.
    """
    terminal = Terminal.open(output)
    selection = Selection.checked(terminal, subscription, group, landing_zone)
    if not yes and not sys.stdin.isatty():
        terminal.fail(
            Failure(
                "ConfirmationRequired",
                "dpgov apply asks for confirmation, but stdin is not a terminal: nothing was applied. "
                "Review the changes with `dpgov plan`, then run `dpgov apply --yes`.",
            )
        )
        raise typer.Exit(1)
    point(os.environ, emulator=emulator, config=config)

    async def work() -> int:
        async with _engine() as engine:
            async with progress(terminal.err, "planning"):
                planned = await selection.reconcile(engine, dry_run=True)
            shown = _plan_lines(planned.reports, selection)
            if not terminal.json:
                terminal.lines(shown)
            if selection.errors(planned.reports):
                return _refuse(terminal, planned, "The plan has errors; nothing was applied.")
            if not planned.changes:
                if terminal.json:
                    terminal.document({"plan": planned.document(), "applied": None})
                return 0
            if not yes:
                if terminal.json:
                    terminal.lines(shown, to_stderr=True)
                if not typer.confirm(f"Apply these {plural(planned.changes, 'action')}?", err=True):
                    return _refuse(terminal, planned, "Apply cancelled; nothing was changed.")
                # Azure may have moved while the operator read: apply only what was shown.
                async with progress(terminal.err, "checking the plan"):
                    again = await selection.reconcile(engine, dry_run=True)
                if _action_keys(again.reports) != _action_keys(planned.reports):
                    return _refuse(
                        terminal,
                        planned,
                        "The plan changed while waiting for confirmation; nothing was applied. "
                        "Run dpgov apply again to see the new plan.",
                    )
            async with progress(terminal.err, "applying"):
                applied = await selection.reconcile(engine, dry_run=False)
        if terminal.json:
            terminal.document({"plan": planned.document(), "applied": applied.document()})
        else:
            terminal.out.print()
            terminal.lines(_plan_lines(applied.reports, selection, applied=True))
        return 1 if selection.errors(applied.reports) else 0

    _run(terminal, work)


def _action_keys(reports: Sequence[GroupReport]) -> frozenset[str]:
    return frozenset(action.key for report in reports for action in report.plan)


def _refuse(terminal: Terminal, planned: Run, message: str) -> int:
    if terminal.json:
        terminal.document({"plan": planned.document(), "applied": None})
    terminal.err.print(Text(message, style="red"))
    return 1


@app.command("inventory")
def inventory_command(
    landing_zone: LandingZoneOption = None,
    config: ConfigOption = None,
    emulator: EmulatorOption = None,
    output: OutputOption = Output.TEXT,
) -> None:
    """Every data product with each aspect's status and its pending actions (read-only).

    The same document as GET /api/dataproducts. Exit 1 when some group could not be read.
    """
    terminal = Terminal.open(output)
    selection = Selection.checked(terminal, None, None, landing_zone)
    point(os.environ, emulator=emulator, config=config)

    async def work() -> int:
        async with _engine() as engine, progress(terminal.err, "reading the estate"):
            estate = await engine.reconciler.reconcile_all(dry_run=True, zones=selection.zones(engine))
        document = inventory(estate)
        if terminal.json:
            terminal.document(document)
        else:
            terminal.table(inventory_table(document))
            terminal.out.print(Text(inventory_summary(document), style="bold"))
        return 1 if selection.errors(estate.groups) else 0

    _run(terminal, work)


@app.command()
def explain(
    subscription: Annotated[str, typer.Argument(metavar="SUBSCRIPTION", help="The group's subscription id.")],
    group: Annotated[str, typer.Argument(metavar="GROUP", help="The resource group's name.")],
    config: ConfigOption = None,
    emulator: EmulatorOption = None,
    output: OutputOption = Output.TEXT,
) -> None:
    """Why a group is or is not a data product, its ledger record, and what the config wants for it.

    Reads the group and its ledger record; writes nothing.
    """
    terminal = Terminal.open(output)
    point(os.environ, emulator=emulator, config=config)

    async def work() -> int:
        async with _engine() as engine, progress(terminal.err, "reading the group"):
            explanation = await engine.reconciler.explain(GroupRef(subscription.lower(), group))
        if terminal.json:
            terminal.document(explanation.to_dict())
        else:
            terminal.lines(explanation_lines(explanation))
        return 0

    _run(terminal, work)


@ledger_app.command("show")
def ledger_show(
    subscription: SubscriptionOption = None,
    group: GroupOption = None,
    config: ConfigOption = None,
    emulator: EmulatorOption = None,
    output: OutputOption = Output.TEXT,
) -> None:
    """The ledger's records: every landing zone's, one subscription's, or one group's."""
    terminal = Terminal.open(output)
    selection = Selection.checked(terminal, subscription, group, None)
    point(os.environ, emulator=emulator, config=config)

    async def work() -> int:
        async with _engine() as engine, progress(terminal.err, "reading the ledger"):
            records = await _records(engine, selection)
        if terminal.json:
            terminal.document({"records": [record.to_dict() for record in records]})
        elif records:
            terminal.table(ledger_table(records))
        else:
            terminal.out.print("The ledger holds no record here.")
        return 0

    _run(terminal, work)


async def _records(engine: Engine, selection: Selection) -> list[LedgerRecord]:
    ref = selection.ref
    if ref is not None:
        record = await engine.ledger.get(ref)
        if record is None:
            raise Failure("NotInLedger", f"{ref}: the ledger holds no record of this group")
        return [record]
    subscriptions = (
        [selection.subscription.lower()]
        if selection.subscription
        else [zone.subscription_id for zone in engine.config.landing_zones]
    )
    listed = await asyncio.gather(*(engine.ledger.list(subscription) for subscription in subscriptions))
    return sorted((record for records in listed for record in records.values()), key=lambda r: r.ref.key)


@ledger_app.command("unpin")
def ledger_unpin(
    subscription: Annotated[str, typer.Option("--subscription", help="The group's subscription id.")],
    group: Annotated[str, typer.Option("--group", help="The resource group's name.")],
    config: ConfigOption = None,
    emulator: EmulatorOption = None,
    output: OutputOption = Output.TEXT,
) -> None:
    """Remove a tag-recognised product's pinned identity, retiring what the app made for it first.

    The next reconcile classifies the group from its tags again. Refused for a product named by its
    group's name (its name is its identity).
    """
    terminal = Terminal.open(output)
    ref = GroupRef(subscription.lower(), group)
    point(os.environ, emulator=emulator, config=config)

    async def work() -> int:
        async with _engine() as engine, progress(terminal.err, "unpinning"):
            try:
                removed = await engine.reconciler.unpin(ref)
            except UnpinRefused as refused:
                raise Failure("UnpinRefused", str(refused)) from None
            except TransientFailure as failure:
                removed = failure.reports[0]
        if removed is None or removed.product is None:
            raise Failure("PinNotFound", f"{ref}: no pinned identity")
        product = removed.product
        if terminal.json:
            terminal.document({"unpinned": product.to_dict(), "resource_group": ref.name, "retired": removed.to_dict()})
        if removed.outcome is Outcome.FAILED:
            terminal.lines(group_lines(removed, applied=True), to_stderr=True)
            return 1
        pinned = f"{product.domain}/{product.product} ({product.environment})"
        terminal.message(
            f"{ref}: removed the pin {pinned}; the next reconcile classifies the group from its tags again"
        )
        return 0

    _run(terminal, work)


@app.command()
def schema(output: OutputOption = Output.TEXT) -> None:
    """Print the config's JSON Schema (governance.schema.json); JSON either way."""
    del output
    sys.stdout.write(json_schema())


@app.command("rbac-condition")
def rbac_condition_command(
    path: ConfigArgument = None,
    config: ConfigOption = None,
    output: OutputOption = Output.TEXT,
) -> None:
    """Print the ABAC condition that fences the app's right to assign roles to rbac.allowed_roles."""
    terminal = Terminal.open(output)
    chosen = _config_path(terminal, path or config)
    try:
        condition = rbac_condition(load_config(chosen))
    except ConfigError as error:
        raise typer.Exit(terminal.fail(Failure("InvalidConfiguration", str(error)))) from None
    if terminal.json:
        terminal.document({"config": str(chosen), "condition": condition})
    else:
        sys.stdout.write(condition + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``dpgov``: the console script (pyproject.toml) and ``python -m shared.cli``."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    tune_collector()  # as the Functions worker: reconcile-all holds whole landing zones in memory
    command = typer.main.get_command(app)
    try:
        result = command.main(args=None if argv is None else list(argv), prog_name="dpgov", standalone_mode=False)
    except typer.TyperException as error:  # bad usage: 1, since 2 means "plan found changes"
        show = getattr(error, "show", None)
        if show is None:
            sys.stderr.write(f"Error: {error.format_message()}\n")
        else:
            show()
        return 1
    except typer.Abort:
        print("Aborted; nothing more was done.", file=sys.stderr)
        return 1
    return result if isinstance(result, int) else 0
