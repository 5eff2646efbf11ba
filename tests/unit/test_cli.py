"""The operator CLI's pure parts: the plan diff, the summaries, config problems, where it points,
the progress indicator, exit codes for bad usage, and what it keeps out of the Function App."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from shared.aspects.base import Finding, FindingKind
from shared.aspects.policy import PutPolicyAssignment
from shared.aspects.rbac import CreateRoleAssignment, DeleteRoleAssignment, Grant
from shared.aspects.tags import MergeTags
from shared.cli import main
from shared.cli.app import config_problems
from shared.cli.environment import ReadyFileError, emulator_settings, point
from shared.cli.progress import progress
from shared.cli.render import apply_summary, group_lines, needs_showing, plan_summary, symbol
from shared.config import ConfigError, parse_config
from shared.identity import Identity
from shared.model import DataProduct, GroupRef, ObservedAssignment, frozen_tags
from shared.plan import Plan
from shared.report import ActionResult, Condition, GroupReport, Outcome, Status
from tests.unit.fakes import EMEA

ROOT = Path(__file__).resolve().parents[2]
REF = GroupRef(EMEA, "dp-sales-orders-rg")
ORDERS = Identity(DataProduct("lz-emea", "sales", "orders", "prd"), "name", recorded=True)
TAGS = MergeTags(REF, frozen_tags({"CostCenter": "CC-1001"}))
GRANT = CreateRoleAssignment(
    Grant(
        REF.scope, "product_group", "44444444-4444-4444-8444-444444444444", "Group", "Reader", "acdd", "r", REF.scope
    ),
    "dpgov: r",
)
REVOKE = DeleteRoleAssignment(
    ObservedAssignment("n", REF.scope, "55555555-5555-4555-8555-555555555555", "Group", "/x/roleDefinitions/acdd"),
    REF.scope,
)


def planned(
    *conditions: Condition, actions: tuple[MergeTags | CreateRoleAssignment | DeleteRoleAssignment, ...] = ()
) -> GroupReport:
    return GroupReport(REF, Outcome.PLANNED, "lz-emea", ORDERS, plan=Plan(actions), conditions=conditions, dry_run=True)


def test_actions_are_marked_by_what_they_do_to_azure() -> None:
    put = PutPolicyAssignment(REF, "dpgov-sales", {"properties": {"policyDefinitionId": "/p/d"}}, new=True)
    update = PutPolicyAssignment(REF, "dpgov-sales", {"properties": {"policyDefinitionId": "/p/d"}}, new=False)

    assert [symbol(action) for action in (GRANT, put, TAGS, update, REVOKE)] == ["+", "+", "~", "~", "-"]


def test_a_group_plan_lists_each_aspects_actions_and_findings_under_it() -> None:
    report = planned(
        Condition("tags", Status.PLANNED, "ChangesPlanned", actions=(TAGS.key,)),
        Condition("visualization", Status.COMPLIANT, "UpToDate"),
        Condition(
            "rbac",
            Status.BLOCKED,
            "PrincipalMissing",
            findings=(Finding(FindingKind.BLOCKED, "PrincipalMissing", "principal 4444 does not exist"),),
        ),
        actions=(TAGS, GRANT, REVOKE),
    )

    assert [line.plain for line in group_lines(report)] == [
        "dp-sales-orders-rg  lz-emea · sales/orders (prd) · planned",
        "  tags",
        "    ~ merge tags on dp-sales-orders-rg: CostCenter=CC-1001",
        "  rbac",
        "    + grant Reader to Group 44444444-4444-4444-8444-444444444444 on dp-sales-orders-rg",
        "    - remove the app's grant of role acdd to 55555555-5555-4555-8555-555555555555 on dp-sales-orders-rg",
        "    ! blocked: principal 4444 does not exist",
    ]
    assert plan_summary([report]) == "Plan: 1 group to change, 3 actions, 1 blocked."


def test_an_applied_group_shows_each_actions_result() -> None:
    failed = ActionResult(GRANT, "HTTP 403 AuthorizationFailed: no")
    report = GroupReport(
        REF,
        Outcome.FAILED,
        "lz-emea",
        ORDERS,
        plan=Plan((TAGS, GRANT)),
        results=(ActionResult(TAGS), failed),
        conditions=(
            Condition("tags", Status.CHANGED, "Reconciled", actions=(TAGS.key,)),
            Condition("rbac", Status.FAILED, "ActionFailed", actions=(GRANT.key,)),
        ),
    )

    assert [line.plain for line in group_lines(report, applied=True)][1:] == [
        "  tags",
        "    ~ merge tags on dp-sales-orders-rg: CostCenter=CC-1001  done",
        "  rbac",
        "    x grant Reader to Group 44444444-4444-4444-8444-444444444444 on dp-sales-orders-rg: "
        "HTTP 403 AuthorizationFailed: no",
    ]
    assert apply_summary([report]) == "Apply failed: 0 groups changed, 1 action done, 1 failed."


def test_a_compliant_estate_plans_no_changes_and_shows_no_group() -> None:
    compliant = GroupReport(
        REF, Outcome.COMPLIANT, "lz-emea", ORDERS, conditions=(Condition("tags", Status.COMPLIANT, "UpToDate"),)
    )
    unclassified = GroupReport(GroupRef(EMEA, "shared-network-rg"), Outcome.UNCLASSIFIED, "lz-emea", reason="no")

    assert (needs_showing(compliant), needs_showing(unclassified)) == (False, False)
    assert plan_summary([compliant, unclassified]) == "No changes: 1 data product as configured."


def test_config_problems_are_the_key_paths_of_a_config_error() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"landing_zones": [{"name": "lz", "subscription_id": "x"}], "domains": {}, "typo": 1})

    assert config_problems(raised.value) == [
        {
            "path": "landing_zones.0.subscription_id",
            "message": "String should match pattern "
            "'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'",
        },
        {"path": "landing_zones.0.visualization_resource_group", "message": "Field required"},
        {"path": "domains", "message": "Dictionary should have at least 1 item after validation, not 0"},
        {"path": "typo", "message": "Extra inputs are not permitted"},
    ]


def test_config_problems_take_a_model_checks_key_path_from_its_message() -> None:
    error = ConfigError("g.yaml is invalid:\n  (top level): Value error, landing_zones.0.environment: 'qa' is not one")

    assert config_problems(error) == [{"path": "landing_zones.0.environment", "message": "'qa' is not one"}]


def test_emulator_points_the_environment_at_its_app_settings_then_config_overrides(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    ready.write_text(json.dumps({"url": "https://127.0.0.1:1", "app_settings": {"DPGOV_ARM_ENDPOINT": "https://a"}}))
    environ = {"GOVERNANCE_CONFIG": "old.yaml", "KEPT": "1"}

    point(environ, emulator=ready, config=Path("g.yaml"))

    assert environ == {"GOVERNANCE_CONFIG": "g.yaml", "KEPT": "1", "DPGOV_ARM_ENDPOINT": "https://a"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the emulator's ready file {path}: No such file or directory"),
        ("{", "{path} is not an emulator ready file: not JSON"),
        ('{"url": "https://127.0.0.1:1"}', "{path} is not an emulator ready file: it has no app_settings"),
    ],
)
def test_a_file_that_is_not_a_ready_file_is_refused(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "ready.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(ReadyFileError) as raised:
        emulator_settings(path)

    assert str(raised.value) == message.format(path=path)


async def test_progress_is_silent_when_stderr_is_not_a_terminal() -> None:
    stream = io.StringIO()

    async with progress(Console(file=stream), "planning", delay=0):
        await asyncio.sleep(0.05)

    assert stream.getvalue() == ""


async def test_progress_shows_nothing_for_work_done_within_the_delay() -> None:
    stream = io.StringIO()

    async with progress(Console(file=stream, force_terminal=True), "planning", delay=1.0):
        pass

    assert stream.getvalue() == ""


async def test_progress_shows_what_is_being_done_once_the_delay_passed() -> None:
    stream = io.StringIO()

    async with progress(Console(file=stream, force_terminal=True), "planning", delay=0.01):
        await asyncio.sleep(0.2)

    assert "planning" in stream.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--group", "dp-sales-orders-rg"], "--group needs --subscription\n"),
        (["plan", "--landing-zone", "lz-emea", "--subscription", EMEA], "--landing-zone selects a landing zone"),
        (["plan", "--no-such-option"], "No such option: --no-such-option"),
    ],
)
def test_bad_usage_exits_1_because_2_means_changes_planned(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(argv)

    captured = capsys.readouterr()
    assert (code, captured.out) == (1, "")
    assert message in captured.err


def test_the_function_app_imports_neither_the_cli_nor_its_dependencies() -> None:
    probe = "import function_app, sys; print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich'}), 'shared.cli' in sys.modules)"

    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )

    assert done.stdout == "[] False\n"


def test_the_cli_leaves_aiohttp_unimported_until_the_emulators_ca_is_in_place() -> None:
    probe = "import shared.cli.app, sys; print('aiohttp' in sys.modules)"

    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )

    assert done.stdout == "False\n", "aiohttp reads SSL_CERT_FILE once, when imported: --emulator must come first"
