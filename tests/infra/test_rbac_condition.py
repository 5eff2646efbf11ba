"""The app's delegated right to assign roles is fenced by the condition generated from the config."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from infra.scripts import governance_params
from shared.abac import principal_types, rbac_condition
from shared.cli import main as cli
from shared.config import GovernanceConfig
from tests.infra.bicep import INFRA, ROLE_IDS, accessor, module_params, role_assignments, template
from tests.infra.conftest import EXAMPLE_CONFIG

GUIDS = re.compile(r"ForAnyOfAnyValues:GuidEquals \{([^}]*)\}")
TYPES = re.compile(r"ForAnyOfAnyValues:StringEqualsIgnoreCase \{([^}]*)\}")


@pytest.fixture
def generated(tmp_path: Path) -> dict[str, Any]:
    """What the preprovision hook writes for the example config."""
    output = tmp_path / "governance.generated.json"
    assert governance_params.main([str(EXAMPLE_CONFIG), "--output", str(output)]) == 0
    document: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return document


def test_hook_writes_the_condition_shared_abac_makes(config: GovernanceConfig, generated: dict[str, Any]) -> None:
    assert generated["rbacCondition"] == rbac_condition(config)


def test_hook_writes_the_condition_the_cli_prints(
    generated: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(["rbac-condition", str(EXAMPLE_CONFIG)]) == 0

    assert capsys.readouterr().out.strip() == generated["rbacCondition"]


def test_condition_role_ids_equal_the_allow_list(config: GovernanceConfig, generated: dict[str, Any]) -> None:
    clauses = GUIDS.findall(generated["rbacCondition"])

    assert len(clauses) == 2  # write (@Request) and delete (@Resource)
    for clause in clauses:
        assert {guid.strip() for guid in clause.split(",")} == set(config.rbac.allowed_roles.values())
    assert generated["allowedRoleIds"] == sorted(config.rbac.allowed_roles.values())


def test_condition_principal_types_are_those_the_config_grants_to(
    config: GovernanceConfig, generated: dict[str, Any]
) -> None:
    clauses = TYPES.findall(generated["rbacCondition"])

    assert len(clauses) == 2
    for clause in clauses:
        assert [kind.strip().strip("'") for kind in clause.split(",")] == principal_types(config)
    assert principal_types(config) == ["Group", "ServicePrincipal"]


def test_condition_covers_role_assignment_writes_and_deletes(generated: dict[str, Any]) -> None:
    condition = generated["rbacCondition"]

    assert "ActionMatches{'Microsoft.Authorization/roleAssignments/write'}" in condition
    assert "ActionMatches{'Microsoft.Authorization/roleAssignments/delete'}" in condition
    assert "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId]" in condition
    assert "@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId]" in condition


def test_hook_writes_the_configs_landing_zones(config: GovernanceConfig, generated: dict[str, Any]) -> None:
    assert generated["landingZones"] == [
        {"name": "lz-emea", "subscriptionId": "11111111-1111-1111-1111-111111111111"},
        {"name": "lz-amer", "subscriptionId": "22222222-2222-2222-2222-222222222222"},
    ]
    assert [zone["subscriptionId"] for zone in generated["landingZones"]] == [
        zone.subscription_id for zone in config.landing_zones
    ]


def test_hook_refuses_a_missing_config(tmp_path: Path) -> None:
    output = tmp_path / "out.json"

    assert governance_params.main([str(tmp_path / "governance.yaml"), "--output", str(output)]) == 2
    assert not output.exists()


def test_hook_refuses_a_config_that_allows_no_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "governance.yaml"
    config.write_text(
        "rbac: {allowed_roles: {}}\n"
        "landing_zones:\n"
        "  - {name: lz, subscription_id: 11111111-1111-1111-1111-111111111111, visualization_resource_group: viz-rg}\n"
        "domains: {sales: {cost_center: CC-1, owner: sales@contoso.com}}\n",
        encoding="utf-8",
    )

    assert governance_params.main([str(config), "--output", str(tmp_path / "out.json")]) == 2
    assert "rbac.allowed_roles is empty" in capsys.readouterr().err


def test_main_bicep_loads_the_file_the_hook_writes() -> None:
    loader = template("main.bicep")["variables"]["governance"]["value"]["function"]

    assert loader["type"] == "load_json_content"
    assert INFRA / loader["parameters"]["file_path"] == governance_params.OUTPUT


def test_generated_file_is_kept_out_of_git() -> None:
    ignored = (INFRA / ".gitignore").read_text(encoding="utf-8").split("\n")

    assert "governance.generated.json" in ignored


def test_landing_zones_get_the_generated_condition() -> None:
    params = module_params("main.bicep", "landingZones")

    assert accessor(params["rbacCondition"]) == ["governance", "rbacCondition"]
    assert template("app/landing-zone.bicep")["parameters"]["rbacCondition"]["default"] is None


def test_role_assignment_right_is_granted_only_with_the_condition() -> None:
    delegated = [grant for grant in role_assignments() if grant.role == "Role Based Access Control Administrator"]

    assert [(grant.file, grant.principal, grant.scope) for grant in delegated] == [
        ("app/landing-zone.bicep", "appPrincipalId", None)
    ]
    assert delegated[0].properties["condition"] == "rbacCondition"
    assert delegated[0].properties["conditionVersion"] == "2.0"
    assert ROLE_IDS["Role Based Access Control Administrator"] == "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
