"""A data product's identity: the name when it matches, else the ledger's pin — never a later retag."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from shared.classify import Unclassified
from shared.config import GovernanceConfig, load_config
from shared.identity import Identity, IdentityConflict, resolve_identity
from shared.ledger import LedgerRecord
from shared.model import DataProduct, GroupRef, ObservedGroup, frozen_tags
from tests.unit.conftest import EXAMPLE_CONFIG
from tests.unit.fakes import EMEA

CONFIG = load_config(EXAMPLE_CONFIG)
ZONE = CONFIG.landing_zones[0]
CHURN = GroupRef(EMEA, "churn-analytics")
SALES_CHURN = DataProduct("lz-emea", "sales", "churn", "dev")
FIRST = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def group(ref: GroupRef, tags: dict[str, str]) -> ObservedGroup:
    return ObservedGroup(ref, "westeurope", frozen_tags(tags))


def pinned(product: DataProduct = SALES_CHURN) -> LedgerRecord:
    return LedgerRecord(CHURN, product, "tags", FIRST)


def test_a_matching_name_is_the_identity_whatever_the_tags_or_ledger_say(config: GovernanceConfig) -> None:
    ref = GroupRef(EMEA, "dp-sales-orders-dev-rg")
    tags = {"DataDomain": "finance", "DataProduct": "ledger"}

    identity = resolve_identity(config, ZONE, group(ref, tags), None)

    assert identity == Identity(DataProduct("lz-emea", "sales", "orders", "dev"), "name", recorded=False)


def test_first_classification_by_tags_is_not_yet_pinned(config: GovernanceConfig) -> None:
    tags = {"DataDomain": "Sales", "DataProduct": "churn", "Environment": "dev"}

    identity = resolve_identity(config, ZONE, group(CHURN, tags), None)

    assert identity == Identity(SALES_CHURN, "tags", recorded=False)


def test_a_retag_to_another_domain_is_a_conflict_and_the_pin_stays_the_identity(config: GovernanceConfig) -> None:
    tags = {"DataDomain": "finance", "DataProduct": "churn", "Environment": "dev"}

    identity = resolve_identity(config, ZONE, group(CHURN, tags), pinned())

    assert isinstance(identity, Identity)
    assert identity.product == SALES_CHURN
    assert identity.conflict == IdentityConflict(SALES_CHURN, DataProduct("lz-emea", "finance", "churn", "dev"))
    assert (
        identity.conflict.describe() == "tags claim finance/churn (dev) but the product is pinned as sales/churn (dev)"
    )


def test_a_retag_to_an_unconfigured_domain_is_a_conflict_too(config: GovernanceConfig) -> None:
    tags = {"DataDomain": "nowhere", "DataProduct": "churn"}

    identity = resolve_identity(config, ZONE, group(CHURN, tags), pinned())

    assert isinstance(identity, Identity)
    assert identity.product == SALES_CHURN
    assert identity.conflict is not None
    assert identity.conflict.claimed == Unclassified("domain 'nowhere' (from tags) is not configured", True)


def test_removed_identity_tags_are_drift_not_a_conflict(config: GovernanceConfig) -> None:
    identity = resolve_identity(config, ZONE, group(CHURN, {"team": "churn"}), pinned())

    assert identity == Identity(SALES_CHURN, "tags", recorded=True)


def test_a_pin_whose_domain_left_the_config_no_longer_governs(config: GovernanceConfig) -> None:
    record = pinned(DataProduct("lz-emea", "hr", "churn", "dev"))

    identity = resolve_identity(config, ZONE, group(CHURN, {}), record)

    assert identity == Unclassified("pinned domain 'hr' is no longer configured")


def test_without_tag_recognition_a_pin_is_not_consulted(config: GovernanceConfig) -> None:
    strict = config.model_copy(update={"recognition": config.recognition.model_copy(update={"use_tags": False})})

    identity = resolve_identity(strict, ZONE, group(CHURN, {}), pinned())

    assert identity == Unclassified("name does not match the data-product pattern")


identity_tags = st.fixed_dictionaries(
    {},
    optional={
        "DataDomain": st.sampled_from(["sales", "SALES", "marketing", "finance", "hr", ""]),
        "DataProduct": st.sampled_from(["churn", "orders", "x", ""]),
        "Environment": st.sampled_from(["dev", "tst", "prd", "staging"]),
        "CostCenter": st.sampled_from(["CC-3001", "CC-HACK"]),
    },
)


@given(identity_tags)
def test_no_retag_changes_a_pinned_identity(tags: dict[str, str]) -> None:
    identity = resolve_identity(CONFIG, ZONE, group(CHURN, tags), pinned())

    assert isinstance(identity, Identity)
    assert identity.product == SALES_CHURN
    assert identity.recorded
