"""Planning cross-charging tags: convergence, idempotency, and team tags left alone.

The properties run over arbitrary observed tag sets, including governed names in any casing and
values that drifted, so they pin the rules for states no example test thought of.
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from shared.config import GovernanceConfig, load_config
from shared.desire import cross_charging_tags, desire
from shared.model import DataProduct, GroupRef, ObservedGroup, frozen_tags
from shared.plan import MergeTags, Plan, plan_group, simulate, tag_drift
from tests.unit.conftest import EXAMPLE_CONFIG

CONFIG = load_config(EXAMPLE_CONFIG)
REF = GroupRef("11111111-1111-1111-1111-111111111111", "dp-sales-orders-rg")
GOVERNED = list(CONFIG.tags.model_dump().values())

products = st.builds(
    DataProduct,
    landing_zone=st.sampled_from([zone.name for zone in CONFIG.landing_zones]),
    domain=st.sampled_from(sorted(CONFIG.domains)),
    product=st.sampled_from(["orders", "forecast", "leads", "churn"]),
    environment=st.sampled_from(["dev", "tst", "prd"]),
)


@st.composite
def tag_names(draw: st.DrawFn) -> str:
    governed = draw(st.sampled_from(GOVERNED))
    recased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in governed)
    free = draw(st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=12))
    name: str = draw(st.sampled_from([governed, recased, free]))
    return name


def distinct_names(tags: Mapping[str, str]) -> bool:
    return len({name.lower() for name in tags}) == len(tags)


observed_tags = st.dictionaries(tag_names(), st.text(max_size=8), max_size=12).filter(distinct_names)


def observed(tags: Mapping[str, str]) -> ObservedGroup:
    return ObservedGroup(ref=REF, location="westeurope", tags=frozen_tags(tags))


@given(products, observed_tags)
def test_planning_after_applying_the_plan_gives_an_empty_plan(product: DataProduct, tags: dict[str, str]) -> None:
    wanted = desire(CONFIG, REF, product)
    after = simulate(observed(tags), plan_group(wanted, observed(tags)))
    assert plan_group(wanted, after) == Plan()


@given(products, observed_tags)
def test_applying_a_plan_twice_equals_applying_it_once(product: DataProduct, tags: dict[str, str]) -> None:
    plan = plan_group(desire(CONFIG, REF, product), observed(tags))
    once = simulate(observed(tags), plan)
    assert simulate(once, plan).tags == once.tags


@given(products, observed_tags)
def test_team_tags_survive_and_only_governed_names_are_written(product: DataProduct, tags: dict[str, str]) -> None:
    governed = {name.lower() for name in GOVERNED}
    plan = plan_group(desire(CONFIG, REF, product), observed(tags))
    after = simulate(observed(tags), plan)
    for name, value in tags.items():
        if name.lower() not in governed:
            assert after.tags[name] == value
    for action in plan:
        assert isinstance(action, MergeTags)
        assert action.group == REF
        assert {name.lower() for name in action.tags} <= governed


@given(products, observed_tags)
def test_a_plan_writes_only_the_tags_that_differ(product: DataProduct, tags: dict[str, str]) -> None:
    wanted = desire(CONFIG, REF, product)
    plan = plan_group(wanted, observed(tags))
    drift = tag_drift(wanted.tags, tags)
    assert [dict(action.tags) for action in plan] == ([drift] if drift else [])


def test_compliant_group_plans_nothing(config: GovernanceConfig) -> None:
    product = DataProduct("lz-emea", "sales", "orders", "prd")
    tags = {**cross_charging_tags(config, product), "team": "blue"}
    assert not plan_group(desire(config, REF, product), observed(tags))


def test_tag_name_casing_alone_is_not_drift(config: GovernanceConfig) -> None:
    product = DataProduct("lz-emea", "sales", "orders", "prd")
    tags = {name.lower(): value for name, value in cross_charging_tags(config, product).items()}
    assert not plan_group(desire(config, REF, product), observed(tags))


def test_drifted_value_is_corrected_and_product_override_wins(config: GovernanceConfig) -> None:
    product = DataProduct("lz-emea", "sales", "forecast", "dev")
    tags = {**cross_charging_tags(config, product), "CostCenter": "CC-9999", "team": "blue"}
    plan = plan_group(desire(config, REF, product), observed(tags))
    assert [action.to_dict()["tags"] for action in plan] == [{"CostCenter": "CC-1042"}]


def test_plan_is_data_that_serialises(config: GovernanceConfig) -> None:
    product = DataProduct("lz-emea", "marketing", "leads", "tst")
    plan = plan_group(desire(config, REF, product), observed({}))
    (action,) = plan.to_list()
    assert action["kind"] == "merge_tags"
    assert action["scope"] == "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/dp-sales-orders-rg"
    assert action["tags"]["Owner"] == "marketing-data@contoso.com"
    assert plan.waves() == [[plan.actions[0]]]
