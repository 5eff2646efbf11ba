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
    assert json.loads(committed) == json.loads(json_schema()), "run: python -m shared.cli schema"
