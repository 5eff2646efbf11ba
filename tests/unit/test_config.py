"""The governance config: the example is valid, and bad files fail with the key and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.config import ConfigError, GovernanceConfig, json_schema, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def minimal() -> dict[str, object]:
    return {
        "landing_zones": [
            {
                "name": "lz-one",
                "subscription_id": "11111111-1111-1111-1111-111111111111",
                "visualization_resource_group": "lz-one-reporting-rg",
            }
        ],
        "domains": {"sales": {"cost_center": "CC-1", "owner": "sales@contoso.com"}},
    }


def test_example_config_meets_the_acceptance_contract(config: GovernanceConfig) -> None:
    assert config.landing_zones[0].subscription_id == "11111111-1111-1111-1111-111111111111"
    assert {"sales", "marketing"} <= set(config.domains)
    pattern = config.recognition.compiled()
    assert pattern.fullmatch("dp-sales-orders-rg")
    assert pattern.fullmatch("dp-sales-orders-dev-rg")["environment"] == "dev"  # type: ignore[index]


def test_unknown_key_is_an_error_naming_the_key() -> None:
    document = minimal()
    document["domains"] = {"sales": {"cost_centre": "CC-1", "owner": "x"}}
    with pytest.raises(ConfigError, match=r"domains\.sales\.cost_centre: Extra inputs are not permitted"):
        parse_config(document)


def test_bad_subscription_id_names_the_landing_zone() -> None:
    document = minimal()
    document["landing_zones"][0]["subscription_id"] = "not-a-guid"  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"landing_zones\.0\.subscription_id"):
        parse_config(document)


def test_name_pattern_must_define_domain_and_product() -> None:
    document = minimal()
    document["recognition"] = {"name_pattern": "dp-(?P<domain>[a-z]+)-rg"}
    with pytest.raises(ConfigError, match=r"recognition\.name_pattern.*\['product'\]"):
        parse_config(document)


def test_duplicate_subscription_across_landing_zones_is_rejected() -> None:
    document = minimal()
    zone = dict(document["landing_zones"][0])  # type: ignore[index]
    document["landing_zones"] = [zone, {**zone, "name": "lz-two"}]
    with pytest.raises(ConfigError, match="subscription_id must be unique"):
        parse_config(document)


def test_governed_tag_names_must_differ_case_insensitively() -> None:
    document = minimal()
    document["tags"] = {"domain": "Owner", "owner": "owner"}
    with pytest.raises(ConfigError, match="tag names must be distinct"):
        parse_config(document)


def test_missing_file_and_bad_yaml_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read governance config"):
        load_config(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("landing_zones: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        load_config(broken)


def test_subscription_lookup_ignores_case() -> None:
    document = minimal()
    document["landing_zones"][0]["subscription_id"] = "ABCDEF01-1111-1111-1111-111111111111"  # type: ignore[index]
    config = parse_config(document)
    assert config.landing_zone_for("abcdef01-1111-1111-1111-111111111111") is not None
    assert config.landing_zone_for("ABCDEF01-1111-1111-1111-111111111111") is not None


def test_committed_json_schema_is_current() -> None:
    committed = (ROOT / "governance.schema.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(json_schema()), "run: dpgov schema > governance.schema.json"


def binding(role: str = "Reader", scope: str = "product_group", **extra: object) -> dict[str, object]:
    return {
        "name": "readers",
        "principal_id": "33333333-3333-4333-8333-333333333333",
        "principal_type": "Group",
        "role": role,
        "scope": scope,
        **extra,
    }


def with_rbac(roles: dict[str, str], domain_bindings: list[dict[str, object]]) -> dict[str, object]:
    document = minimal()
    document["rbac"] = {"allowed_roles": roles}
    document["domains"] = {"sales": {"cost_center": "CC-1", "owner": "o", "role_bindings": domain_bindings}}
    return document


READER = {"Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7"}


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ({"Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"}, "'Owner' manages access itself"),
        ({"Boss": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"}, "'Boss' manages access itself"),
        (
            {"Role Based Access Control Administrator": "00000000-0000-4000-8000-000000000001"},
            "'Role Based Access Control Administrator' manages access itself",
        ),
    ],
)
def test_access_management_roles_can_never_be_allowed(roles: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(with_rbac(roles, []))


def test_a_binding_outside_the_allow_list_fails_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"domains\.sales\.role_bindings\.0\.role: 'Contributor' is not in rbac"):
        parse_config(with_rbac(READER, [binding("Contributor")]))


def test_a_domain_binding_cannot_target_the_shared_visualization_group() -> None:
    with pytest.raises(
        ConfigError, match=r"role_bindings\.0\.scope: 'landing_zone_visualization_group' is not allowed"
    ):
        parse_config(with_rbac(READER, [binding(scope="landing_zone_visualization_group")]))


def test_a_binding_environment_must_be_configured() -> None:
    with pytest.raises(ConfigError, match=r"role_bindings\.0\.environments: \['staging'\] are not in environments"):
        parse_config(with_rbac(READER, [binding(environments=["staging"])]))


def test_the_abac_condition_names_exactly_the_allowed_role_ids_and_principal_types(config: GovernanceConfig) -> None:
    from shared.abac import rbac_condition

    condition = rbac_condition(config)

    ids = (
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1, acdd72a7-3385-48ef-bd42-f606fba81ae7, "
        "b24988ac-6180-42a0-ab88-20f7382dd24c, f6c7c914-8db3-469d-8ca1-694a8f32e121"
    )
    assert condition.count(f"ForAnyOfAnyValues:GuidEquals {{{ids}}}") == 2
    assert condition.count("StringEqualsIgnoreCase {'Group', 'ServicePrincipal'}") == 2
    assert condition.startswith("((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[")
    assert "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[" in condition
