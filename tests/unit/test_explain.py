"""Why a group is or is not a data product: the recognition rules in order, the ledger, each desire."""

from __future__ import annotations

import datetime

from shared.aspects.base import AnyAspect
from shared.aspects.rbac import RbacAspect
from shared.aspects.tags import TagsAspect
from shared.config import load_config
from shared.explain import Check, explain, plain_data
from shared.ledger import Artifact, LedgerRecord
from shared.model import DataProduct, GroupRef, ObservedGroup, frozen_tags
from tests.unit.conftest import EXAMPLE_CONFIG
from tests.unit.fakes import EMEA

CONFIG = load_config(EXAMPLE_CONFIG)
PATTERN = CONFIG.recognition.name_pattern
FIRST = datetime.datetime(2026, 1, 1, 9, 30, tzinfo=datetime.UTC)
ASPECTS: list[AnyAspect] = [
    TagsAspect(CONFIG, object()),  # type: ignore[arg-type]  # desire never writes
    RbacAspect(CONFIG, object()),  # type: ignore[arg-type]
]
ZONE_CHECK = Check("landing zone", True, f"subscription {EMEA} is landing zone lz-emea")


def group(name: str, tags: dict[str, str] | None = None) -> ObservedGroup:
    return ObservedGroup(GroupRef(EMEA, name), "westeurope", frozen_tags(tags))


def test_a_named_product_is_explained_by_the_pattern_with_each_aspects_desire() -> None:
    orders = group("dp-sales-orders-dev-rg")

    explained = explain(CONFIG, orders.ref, orders, None, ASPECTS)

    assert explained.product == DataProduct("lz-emea", "sales", "orders", "dev")
    assert (explained.source, explained.reason) == (
        "name",
        "a data product, sales/orders (dev), recognised by its name (immutable)",
    )
    assert explained.checks == (
        ZONE_CHECK,
        Check("visualization group", False, "not a visualization group"),
        Check(
            "name pattern",
            True,
            f"'dp-sales-orders-dev-rg' matches {PATTERN}: domain sales, product orders, environment dev",
        ),
        Check("tags", None, "not consulted: the name decides"),
        Check("ledger", None, "no record: the app has not governed this group"),
    )
    tags, rbac = explained.aspects
    assert tags.summary == (
        "tag CostCenter=CC-1001",
        "tag DataDomain=sales",
        "tag DataProduct=orders",
        "tag LandingZone=lz-emea",
        "tag Environment=dev",
        "tag Owner=sales-data@contoso.com",
        "tag ManagedBy=dpgov",
    )
    assert tags.desired["tags"]["CostCenter"] == "CC-1001"
    assert rbac.summary == (
        "Reader to ServicePrincipal 55555555-5555-4555-8555-555555555555 on lz-emea-reporting-rg "
        "(binding powerbi-gateway, landing_zone_visualization_group)",
        "Reader to Group 44444444-4444-4444-8444-444444444444 on dp-sales-orders-dev-rg "
        "(binding report-authors-read, product_group)",
        "Contributor to Group 44444444-4444-4444-8444-444444444444 on dp-sales-orders-dev-viz-rg "
        "(binding report-authors-viz, dedicated_visualization_group)",
        "AzureML Data Scientist to Group 33333333-3333-4333-8333-333333333333 on each Azure ML workspace in the "
        "group (binding data-scientists-dev)",
    )


def test_a_name_without_an_environment_takes_the_landing_zones_default() -> None:
    orders = group("dp-sales-orders-rg")

    explained = explain(CONFIG, orders.ref, orders, None, [])

    assert explained.checks[2].detail == (
        f"'dp-sales-orders-rg' matches {PATTERN}: domain sales, product orders, "
        "environment prd (the landing zone's default)"
    )


def test_a_name_naming_an_unconfigured_domain_says_so_and_plans_nothing() -> None:
    hr = group("dp-hr-payroll-rg")

    explained = explain(CONFIG, hr.ref, hr, None, ASPECTS)

    assert (explained.product, explained.aspects) == (None, ())
    assert explained.reason == "domain 'hr' (from name) is not configured"
    assert explained.checks[2:4] == (
        Check(
            "name pattern",
            False,
            f"'dp-hr-payroll-rg' matches {PATTERN}, but domain 'hr' (from name) is not configured",
        ),
        Check("tags", None, "not consulted: the name decides"),
    )


def test_a_visualization_group_is_never_a_data_product() -> None:
    dedicated = group("dp-sales-orders-viz-rg", {"DataDomain": "sales", "DataProduct": "orders"})

    explained = explain(CONFIG, dedicated.ref, dedicated, None, ASPECTS)

    assert explained.reason == "a visualization resource group"
    assert explained.checks == (
        ZONE_CHECK,
        Check(
            "visualization group", True, "the dedicated visualization group of dp-sales-orders-rg: never a data product"
        ),
        Check("ledger", None, "no record: the app has not governed this group"),
    )


def test_a_retagged_pinned_product_keeps_its_pin_and_names_the_conflict() -> None:
    churn = group("churn-analytics", {"DataDomain": "marketing", "DataProduct": "churn", "Environment": "dev"})
    record = LedgerRecord(
        churn.ref, DataProduct("lz-emea", "sales", "churn", "dev"), "tags", FIRST, (Artifact("purview", "source", "x"),)
    )

    explained = explain(CONFIG, churn.ref, churn, record, ASPECTS)

    assert explained.product == DataProduct("lz-emea", "sales", "churn", "dev")
    assert (
        explained.reason
        == "a data product, sales/churn (dev), recognised by the tags it had when first governed (pinned)"
    )
    assert explained.conflict == "tags claim marketing/churn (dev) but the product is pinned as sales/churn (dev)"
    assert explained.checks[2:] == (
        Check("name pattern", False, f"'churn-analytics' does not match {PATTERN}"),
        Check("tags", True, "DataDomain='marketing', DataProduct='churn', Environment='dev': marketing/churn (dev)"),
        Check(
            "ledger",
            True,
            "pinned as sales/churn (dev) from its tags since 2026-01-01 09:30 UTC; 1 artefact outside the group",
        ),
    )
    assert explained.to_dict()["ledger"] == record.to_dict()


def test_a_group_outside_every_landing_zone_names_the_configured_ones() -> None:
    ref = GroupRef("99999999-9999-9999-9999-999999999999", "dp-sales-orders-rg")

    explained = explain(CONFIG, ref, None, None, ASPECTS)

    assert (explained.landing_zone, explained.reason) == (None, "the subscription is not a configured landing zone")
    assert explained.checks == (
        Check(
            "landing zone",
            False,
            "subscription 99999999-9999-9999-9999-999999999999 is none of lz-emea "
            "(11111111-1111-1111-1111-111111111111), lz-amer (22222222-2222-2222-2222-222222222222)",
        ),
    )


def test_a_gone_group_the_ledger_still_holds_is_explained_as_awaiting_retirement() -> None:
    ref = GroupRef(EMEA, "dp-sales-orders-rg")
    record = LedgerRecord(ref, DataProduct("lz-emea", "sales", "orders", "prd"), "name", FIRST)

    explained = explain(CONFIG, ref, None, record, ASPECTS)

    assert (explained.exists, explained.product) == (False, None)
    assert explained.reason == (
        "the resource group does not exist; the ledger still holds its product, whose artefacts the next "
        "reconcile retires"
    )


def test_plain_data_turns_desires_into_json_ready_values() -> None:
    value = {"ref": GroupRef(EMEA, "g"), "keys": frozenset({"b", "a"}), "tags": frozen_tags({"x": "1"}), "when": FIRST}

    assert plain_data(value) == {
        "ref": {"subscription_id": EMEA, "name": "g"},
        "keys": ["a", "b"],
        "tags": {"x": "1"},
        "when": "2026-01-01T09:30:00+00:00",
    }
