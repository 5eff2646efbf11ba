"""The operator CLI runs the same engine as the functions, in this process, through the SDKs."""

from __future__ import annotations

import json

import pytest

from shared.cli import main
from tests.integration.conftest import EMEA, LocalAzure
from tests.integration.support import tag_writes


def test_cli_dry_run_prints_the_plan_and_writes_nothing(azure: LocalAzure, capsys: pytest.CaptureFixture[str]) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-leads-rg": {}})
    assert main(["sync", "--subscription", EMEA, "--group", "dp-sales-leads-rg"]) == 0
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}})
    capsys.readouterr()
    azure.control.clear_requests()

    code = main(["sync", "--dry-run", "--json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["summary"]["planned"] == 1
    assert report["summary"]["compliant"] == 1
    assert (azure.control.request_summary().writes, azure.control.request_summary().purview_writes) == (0, 0)


def test_cli_sync_of_one_group_fixes_it_and_prints_a_table(
    azure: LocalAzure, capsys: pytest.CaptureFixture[str]
) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}})

    code = main(["sync", "--subscription", EMEA, "--group", "dp-sales-orders-rg"])

    table = capsys.readouterr().out
    assert code == 0
    assert "dp-sales-orders-rg" in table
    assert "changed" in table
    assert table.splitlines()[0].split()[-6:] == ["TAGS", "VISUALIZATION", "RBAC", "POLICY", "PURVIEW", "DETAIL"]
    assert len(tag_writes(azure.control)) == 1
