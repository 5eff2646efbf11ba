"""Command line for operators: the same engine as the functions, from a workstation or a pipeline.

    python -m shared.cli sync [--subscription ID --group NAME] [--dry-run] [--json]
    python -m shared.cli unpin --subscription ID --group NAME
    python -m shared.cli validate [CONFIG]
    python -m shared.cli rbac-condition [CONFIG]
    python -m shared.cli schema > governance.schema.json

Credentials come from DefaultAzureCredential (``az login`` on a workstation). The exit code is 0
when everything is compliant or was fixed, 1 when something failed, 2 on bad usage or config.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from shared.abac import rbac_condition
from shared.config import ConfigError, json_schema, load_config
from shared.engine import open_engine
from shared.ledger import UnpinRefused
from shared.model import GroupRef
from shared.report import EstateReport, GroupReport, Outcome, render_table
from shared.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.cli", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sync = commands.add_parser("sync", help="reconcile one group or every landing zone")
    sync.add_argument("--subscription", help="subscription id of the group (with --group)")
    sync.add_argument("--group", help="resource group name (with --subscription)")
    sync.add_argument("--dry-run", action="store_true", help="show the plan, change nothing")
    sync.add_argument("--json", action="store_true", help="print the JSON report")
    unpin_command = commands.add_parser("unpin", help="remove a tag-recognised product's pinned identity")
    unpin_command.add_argument("--subscription", required=True, help="subscription id of the group")
    unpin_command.add_argument("--group", required=True, help="resource group name")
    validate = commands.add_parser("validate", help="validate a governance config")
    validate.add_argument("config", nargs="?", help="path (default: GOVERNANCE_CONFIG)")
    commands.add_parser("schema", help="print the config's JSON Schema")
    condition = commands.add_parser(
        "rbac-condition", help="print the ABAC condition that fences the app's role-assignment rights"
    )
    condition.add_argument("config", nargs="?", help="path (default: GOVERNANCE_CONFIG)")
    return parser


async def _sync(arguments: argparse.Namespace) -> int:
    settings = Settings.from_environment()
    async with open_engine(settings) as engine:
        if arguments.group:
            report: GroupReport | EstateReport = await engine.reconciler.reconcile_group(
                GroupRef(arguments.subscription, arguments.group), dry_run=arguments.dry_run
            )
            groups: Sequence[GroupReport] = [report] if isinstance(report, GroupReport) else []
        else:
            report = await engine.reconciler.reconcile_all(dry_run=arguments.dry_run)
            groups = report.groups if isinstance(report, EstateReport) else []
    print(json.dumps(report.to_dict(), indent=2) if arguments.json else render_table(groups))
    return 1 if any(group.outcome is Outcome.FAILED for group in groups) else 0


async def _unpin(arguments: argparse.Namespace) -> int:
    settings = Settings.from_environment()
    ref = GroupRef(arguments.subscription.lower(), arguments.group)
    async with open_engine(settings) as engine:
        try:
            removed = await engine.reconciler.unpin(ref)
        except UnpinRefused as refused:
            print(refused, file=sys.stderr)
            return 1
    if removed is None or removed.product is None:
        print(f"{ref}: no pinned identity", file=sys.stderr)
        return 1
    if removed.outcome is Outcome.FAILED:
        print(render_table([removed]), file=sys.stderr)
        return 1
    product = removed.product
    pinned = f"{product.domain}/{product.product} ({product.environment})"
    print(f"{ref}: removed the pin {pinned}; the next reconcile classifies the group from its tags again")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "schema":
            sys.stdout.write(json_schema())
            return 0
        if arguments.command == "rbac-condition":
            path = Path(arguments.config) if arguments.config else Settings.from_environment().governance_config
            print(rbac_condition(load_config(path)))
            return 0
        if arguments.command == "validate":
            path = Path(arguments.config) if arguments.config else Settings.from_environment().governance_config
            config = load_config(path)
            print(f"{path}: valid ({len(config.landing_zones)} landing zones, {len(config.domains)} domains)")
            return 0
        if arguments.command == "unpin":
            return asyncio.run(_unpin(arguments))
        if bool(arguments.group) != bool(arguments.subscription):
            parser.error("--group and --subscription go together")
        return asyncio.run(_sync(arguments))
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
