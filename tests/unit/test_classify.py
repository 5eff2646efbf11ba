"""Recognising data products: by name, by the team's tags, and never for an unconfigured domain."""

from __future__ import annotations

import pytest

from shared.classify import Unclassified, classify, may_be_data_product
from shared.config import GovernanceConfig
from shared.model import DataProduct


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dp-sales-orders-rg", DataProduct("lz-emea", "sales", "orders", "prd")),
        ("dp-sales-orders-dev-rg", DataProduct("lz-emea", "sales", "orders", "dev")),
        ("DP-Marketing-Leads-TST-RG", DataProduct("lz-emea", "marketing", "leads", "tst")),
    ],
)
def test_name_pattern_gives_domain_product_and_environment(
    config: GovernanceConfig, name: str, expected: DataProduct
) -> None:
    assert classify(config, config.landing_zones[0], name, {}) == expected


def test_unknown_domain_in_name_is_unclassified(config: GovernanceConfig) -> None:
    result = classify(config, config.landing_zones[0], "dp-hr-payroll-rg", {})
    assert result == Unclassified("domain 'hr' (from name) is not configured", named_something=True)


def test_team_tags_recognise_a_group_with_any_name(config: GovernanceConfig) -> None:
    tags = {"datadomain": "Sales", "DataProduct": "Churn", "Environment": "dev"}
    result = classify(config, config.landing_zones[0], "team-churn", tags)
    assert result == DataProduct("lz-emea", "sales", "churn", "dev")


def test_tags_naming_an_unconfigured_domain_select_nothing(config: GovernanceConfig) -> None:
    tags = {"DataDomain": "everything", "DataProduct": "x"}
    assert isinstance(classify(config, config.landing_zones[0], "team-x", tags), Unclassified)


def test_visualization_group_is_never_a_data_product(config: GovernanceConfig) -> None:
    zone = config.landing_zones[0]
    tags = {"DataDomain": "sales", "DataProduct": "orders"}
    assert isinstance(classify(config, zone, zone.visualization_resource_group, tags), Unclassified)


def test_without_tag_recognition_only_names_count(config: GovernanceConfig) -> None:
    strict = config.model_copy(update={"recognition": config.recognition.model_copy(update={"use_tags": False})})
    tags = {"DataDomain": "sales", "DataProduct": "orders"}
    assert isinstance(classify(strict, strict.landing_zones[0], "team-x", tags), Unclassified)
    assert not may_be_data_product(strict, strict.landing_zones[0], "team-x")
    assert may_be_data_product(strict, strict.landing_zones[0], "dp-sales-orders-rg")


def test_a_name_matching_the_pattern_decides_alone_even_with_tag_recognition(config: GovernanceConfig) -> None:
    zone = config.landing_zones[0]

    assert config.recognition.use_tags
    assert may_be_data_product(config, zone, "dp-sales-orders-rg")
    assert not may_be_data_product(config, zone, "dp-hr-payroll-rg"), "hr is not a configured domain"
    assert not may_be_data_product(config, zone, zone.visualization_resource_group)
    assert may_be_data_product(config, zone, "team-x"), "its tags may make it one"


def test_an_environment_outside_the_config_is_not_governed(config: GovernanceConfig) -> None:
    tags = {"DataDomain": "sales", "DataProduct": "orders", "Environment": "staging"}
    result = classify(config, config.landing_zones[0], "team-orders", tags)
    assert result == Unclassified("environment 'staging' (from tags) is not configured", named_something=True)
