"""The operator CLI, as an operator runs it: the installed ``dpgov`` console script in a subprocess,
pointed at the local Azure by ``--emulator READY_FILE`` alone (none of the emulator's app settings in
its environment), through the same engine and SDKs as the Function App."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource

from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints
from shared.engine import aspect_names, open_engine
from shared.ledger import LedgerRecord
from shared.model import GroupRef
from shared.settings import Settings
from tests.integration.conftest import EMEA, EXAMPLE_CONFIG
from tests.integration.support import CONFIG, governed, tags_of

DPGOV = Path(sys.executable).parent / "dpgov"
PRODUCT = "dp-sales-orders-rg"
SCOPE = f"/subscriptions/{EMEA}/resourceGroups/{PRODUCT}"
OTHER = "shared-network-rg"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(scope="session")
def ready_file(emulator: EmulatorEndpoints, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The running emulator's ready file, as ``python -m emulator --ready-file`` writes it."""
    storage = emulator.storage
    document = {
        "url": emulator.url,
        "ca_bundle": emulator.ca_bundle,
        "identity_endpoint": emulator.identity_endpoint,
        "identity_header": emulator.identity_header,
        "storage": None
        if storage is None
        else {"blob": storage.blob, "queue": storage.queue, "table": storage.table, "pid": storage.pid},
        "app_settings": emulator.app_environment(),
    }
    path = tmp_path_factory.mktemp("emulator") / "ready.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def dpgov(ready_file: Path, app_environment: dict[str, str]) -> Any:
    """Run ``dpgov ARGS --config governance.example.yaml [--emulator READY_FILE]`` with no stdin."""
    if not DPGOV.exists():
        pytest.fail(f"{DPGOV} is missing: the Makefile installs it (pip install -e .)")
    environment = {name: value for name, value in os.environ.items() if name not in app_environment}

    def run(*args: str, emulator: bool = True) -> Result:
        command = [str(DPGOV), *args, "--config", str(EXAMPLE_CONFIG)]
        command += ["--emulator", str(ready_file)] if emulator else []
        done = subprocess.run(
            command, env=environment, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False
        )
        return Result(done.returncode, done.stdout, done.stderr)

    return run


async def ledger_record(ref: GroupRef) -> LedgerRecord | None:
    async with open_engine(Settings.from_environment()) as engine:
        return await engine.ledger.get(ref)


@pytest.fixture
async def estate(blank_azure: EmulatorControl) -> EmulatorControl:
    """One data product (governed in this process, through the engine) and a group that is none."""
    blank_azure.seed_groups(EMEA, {PRODUCT: {"team": "orders"}, OTHER: {"owner": "netops"}})
    async with open_engine(Settings.from_environment()) as engine:
        report = await engine.reconciler.reconcile_group(GroupRef(EMEA, PRODUCT))
    assert report.outcome.value == "changed"
    blank_azure.clear_requests()
    return blank_azure


@pytest.fixture
async def drifted(estate: EmulatorControl, team_arm: ResourceManagementClient) -> EmulatorControl:
    """The product's team set its governed cost centre by hand; no event tells the app."""
    edit = TagsPatchResource(operation="Merge", properties=Tags(tags={"CostCenter": "CC-9999"}))
    await (await team_arm.tags.begin_update_at_scope(SCOPE, edit)).result()
    estate.clear_requests()
    return estate


def test_plan_of_a_drifted_estate_exits_2_and_shows_the_drifted_tag(drifted: EmulatorControl, dpgov: Any) -> None:
    result = dpgov("plan")

    assert result.code == 2
    assert result.out == (
        f"{PRODUCT}  lz-emea · sales/orders (prd) · planned\n"
        "  tags\n"
        f"    ~ merge tags on {PRODUCT}: CostCenter=CC-1001\n"
        "\n"
        "Plan: 1 group to change, 1 action.\n"
    )
    assert (drifted.request_summary().writes, drifted.request_summary().purview_writes) == (0, 0)


async def test_apply_yes_repairs_the_drift_and_plan_then_exits_0(
    drifted: EmulatorControl, dpgov: Any, arm: ResourceManagementClient
) -> None:
    applied = dpgov("apply", "--yes")

    assert applied.code == 0
    assert applied.out.endswith(
        f"{PRODUCT}  lz-emea · sales/orders (prd) · changed\n"
        "  tags\n"
        f"    ~ merge tags on {PRODUCT}: CostCenter=CC-1001  done\n"
        "\n"
        "Apply complete: 1 group changed, 1 action done.\n"
    )
    assert await tags_of(arm, PRODUCT) == {**governed("sales", "orders"), "team": "orders"}
    replanned = dpgov("plan")
    assert (replanned.code, replanned.out) == (0, "No changes: 1 data product as configured.\n")


def test_apply_without_yes_and_no_terminal_refuses_and_changes_nothing(drifted: EmulatorControl, dpgov: Any) -> None:
    result = dpgov("apply")

    assert result.code == 1
    assert result.out == ""
    assert result.err == (
        "dpgov apply asks for confirmation, but stdin is not a terminal: nothing was applied. Review the changes "
        "with `dpgov plan`, then run `dpgov apply --yes`.\n"
    )
    assert drifted.request_summary().total == 0, "refused before reading Azure"


def test_plan_output_json_is_the_estate_report_with_the_planned_action(drifted: EmulatorControl, dpgov: Any) -> None:
    result = dpgov("plan", "--subscription", EMEA, "--group", PRODUCT, "-o", "json")

    report = result.json()
    assert result.code == 2
    assert (report["dry_run"], report["summary"]["planned"], report["summary"]["actions"]) == (True, 1, 1)
    [group] = report["groups"]
    assert (group["resource_group"], group["outcome"]) == (PRODUCT, "planned")
    assert group["plan"] == [
        {
            "key": f"tags:{SCOPE.lower()}",
            "kind": "merge_tags",
            "aspect": "tags",
            "scope": SCOPE,
            "tags": {"CostCenter": "CC-1001"},
            "depends_on": [],
        }
    ]
    assert {c["aspect"]: c["status"] for c in group["conditions"]}["tags"] == "planned"


def test_inventory_output_json_lists_the_product_with_each_aspects_status(estate: EmulatorControl, dpgov: Any) -> None:
    result = dpgov("inventory", "--output", "json")

    inventory = result.json()
    aspects = list(aspect_names(CONFIG, Settings.from_environment()))
    assert result.code == 0
    assert inventory["summary"] == {
        "data_products": 1,
        "compliant": 1,
        "non_compliant": 0,
        "unclassified": 3,  # the other group and the two visualization groups the app made
        "conditions": {aspect: {"compliant": 1} for aspect in aspects},
    }
    [product] = inventory["data_products"]
    assert {name: value for name, value in product.items() if name != "conditions"} == {
        "subscription_id": EMEA,
        "resource_group": PRODUCT,
        "landing_zone": "lz-emea",
        "domain": "sales",
        "product": "orders",
        "environment": "prd",
        "compliant": True,
        "pending": [],
    }
    assert [(c["aspect"], c["status"]) for c in product["conditions"]] == [(a, "compliant") for a in aspects]


def test_explain_output_json_names_the_rule_the_record_and_what_applies(estate: EmulatorControl, dpgov: Any) -> None:
    result = dpgov("explain", EMEA, PRODUCT, "-o", "json")

    explained = result.json()
    summaries = {aspect["aspect"]: aspect["summary"] for aspect in explained["aspects"]}
    assert result.code == 0
    assert (explained["data_product"], explained["recognised_by"]) == (
        {"landing_zone": "lz-emea", "domain": "sales", "product": "orders", "environment": "prd"},
        "name",
    )
    assert explained["reason"] == "a data product, sales/orders (prd), recognised by its name (immutable)"
    assert [(check["rule"], check["matched"]) for check in explained["checks"]] == [
        ("landing zone", True),
        ("visualization group", False),
        ("name pattern", True),
        ("tags", None),
        ("ledger", True),
    ]
    assert explained["ledger"]["source"] == "name"
    assert list(summaries) == list(aspect_names(CONFIG, Settings.from_environment()))
    assert summaries["rbac"] == [
        "Reader to ServicePrincipal 55555555-5555-4555-8555-555555555555 on lz-emea-reporting-rg "
        "(binding powerbi-gateway, landing_zone_visualization_group)",
        f"Reader to Group 44444444-4444-4444-8444-444444444444 on {PRODUCT} (binding report-authors-read, product_group)",
        "Contributor to Group 44444444-4444-4444-8444-444444444444 on dp-sales-orders-viz-rg "
        "(binding report-authors-viz, dedicated_visualization_group)",
    ]
    assert summaries["policy"] == [
        "sales/sales-baseline: /providers/Microsoft.Management/managementGroups/mg-contoso-data/providers/"
        "Microsoft.Authorization/policySetDefinitions/dpgov-sales-baseline assigned as dpgov-sales-baseline "
        "(enforcement Default)"
    ]
    assert (
        summaries["purview"][0]
        == "collections dpgov-purview > lz-emea > lz-emea-sales > lz-emea-sales-orders-prd in account dpgov-purview"
    )
    assert estate.request_summary().writes == 0


def test_explain_of_a_group_that_matches_no_rule_says_why(estate: EmulatorControl, dpgov: Any) -> None:
    result = dpgov("explain", EMEA, OTHER)

    pattern = CONFIG.recognition.name_pattern
    assert result.code == 0
    assert result.out.splitlines() == [
        f"{OTHER}  ({EMEA}, landing zone lz-emea)",
        "Not a data product: name does not match the data-product pattern and no domain/product tags.",
        f"  ✓ landing zone         subscription {EMEA} is landing zone lz-emea",
        "  ✗ visualization group  not a visualization group",
        f"  ✗ name pattern         '{OTHER}' does not match {pattern}",
        "  ✗ tags                 DataDomain unset, DataProduct unset, Environment unset: name does not match the "
        "data-product pattern and no domain/product tags",
        "  - ledger               no record: the app has not governed this group",
    ]


async def test_ledger_show_output_json_is_the_products_record(estate: EmulatorControl, dpgov: Any) -> None:
    result = dpgov("ledger", "show", "-o", "json")

    record = await ledger_record(GroupRef(EMEA, PRODUCT))
    assert record is not None
    assert result.code == 0
    assert result.json() == {"records": [record.to_dict()]}
    governed_at = datetime.datetime.fromisoformat(result.json()["records"][0]["first_governed_at"])
    assert datetime.datetime.now(datetime.UTC) - governed_at < datetime.timedelta(minutes=5)


def test_ledger_unpin_of_a_product_named_by_its_group_is_refused(estate: EmulatorControl, dpgov: Any) -> None:
    result = dpgov("ledger", "unpin", "--subscription", EMEA, "--group", PRODUCT, "-o", "json")

    assert result.code == 1
    assert result.json() == {
        "error": {
            "code": "UnpinRefused",
            "message": f"{EMEA}/{PRODUCT}: the identity comes from the group's name; there is no pin to remove",
        }
    }


def test_validate_of_a_bad_config_exits_1_and_names_each_key_path(tmp_path: Path, dpgov: Any) -> None:
    document = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    document["landing_zones"][0]["subscription_id"] = "not-a-guid"
    document["domains"]["sales"]["cost_centre"] = "CC-1001"
    bad = tmp_path / "governance.yaml"
    bad.write_text(yaml.safe_dump(document), encoding="utf-8")

    text, as_json = (
        dpgov("validate", str(bad), emulator=False),
        dpgov("validate", str(bad), "-o", "json", emulator=False),
    )

    assert (text.code, text.out) == (1, "")
    assert text.err.splitlines()[1:] == [
        "  landing_zones.0.subscription_id: String should match pattern "
        "'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'",
        "  domains.sales.cost_centre: Extra inputs are not permitted",
    ]
    assert as_json.code == 1
    assert as_json.json() == {
        "config": str(bad),
        "valid": False,
        "errors": [
            {
                "path": "landing_zones.0.subscription_id",
                "message": "String should match pattern "
                "'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'",
            },
            {"path": "domains.sales.cost_centre", "message": "Extra inputs are not permitted"},
        ],
    }


def test_validate_of_the_example_config_exits_0(dpgov: Any) -> None:
    result = dpgov("validate", "-o", "json", emulator=False)

    assert (result.code, result.json()) == (
        0,
        {
            "config": str(EXAMPLE_CONFIG),
            "valid": True,
            "landing_zones": ["lz-emea", "lz-amer"],
            "domains": sorted(CONFIG.domains),
        },
    )


def test_python_m_shared_cli_is_the_same_cli(dpgov: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", "rbac-condition", str(EXAMPLE_CONFIG), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0
    assert (
        json.loads(done.stdout)["condition"]
        == dpgov("rbac-condition", "-o", "json", emulator=False).json()["condition"]
    )
