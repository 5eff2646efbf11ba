"""The tags aspect's pure core: convergence, idempotency, and team tags left alone.

The properties run over arbitrary observed tag sets, including governed names in any casing and
values that drifted, so they pin the rules for states no example test thought of.
"""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from shared.aspects.base import AspectPlan, Subject
from shared.aspects.tags import DesiredTags, MergeTags, TagsAspect, cross_charging_tags, simulate, tag_drift
from shared.config import GovernanceConfig, load_config
from shared.identity import Identity, IdentityConflict
from shared.model import DataProduct, GroupRef, ObservedGroup, frozen_tags
from shared.plan import Plan
from tests.unit.conftest import EXAMPLE_CONFIG
from tests.unit.fakes import MemoryInventory

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


ASPECT = TagsAspect(CONFIG, MemoryInventory({}))


def desire(config: GovernanceConfig, ref: GroupRef, product: DataProduct) -> DesiredTags:
    group = ObservedGroup(ref=ref, location="westeurope")
    zone = next(zone for zone in config.landing_zones if zone.name == product.landing_zone)
    return TagsAspect(config, MemoryInventory({})).desire(Subject(zone, group, Identity(product, "name", True)))


def observed(tags: Mapping[str, str]) -> Mapping[str, str]:
    return frozen_tags(tags)


def plan_group(desired: DesiredTags, tags: Mapping[str, str]) -> Plan:
    planned: AspectPlan[MergeTags] = ASPECT.diff(desired, tags)
    return Plan(planned.actions)


def applied(tags: Mapping[str, str], plan: Plan) -> Mapping[str, str]:
    for action in plan:
        assert isinstance(action, MergeTags)
        tags = simulate(tags, action)
    return tags


@given(products, observed_tags)
def test_planning_after_applying_the_plan_gives_an_empty_plan(product: DataProduct, tags: dict[str, str]) -> None:
    wanted = desire(CONFIG, REF, product)
    after = applied(observed(tags), plan_group(wanted, observed(tags)))
    assert plan_group(wanted, after) == Plan()


@given(products, observed_tags)
def test_applying_a_plan_twice_equals_applying_it_once(product: DataProduct, tags: dict[str, str]) -> None:
    plan = plan_group(desire(CONFIG, REF, product), observed(tags))
    once = applied(observed(tags), plan)
    assert applied(once, plan) == once


@given(products, observed_tags)
def test_team_tags_survive_and_only_governed_names_are_written(product: DataProduct, tags: dict[str, str]) -> None:
    governed = {name.lower() for name in GOVERNED}
    plan = plan_group(desire(CONFIG, REF, product), observed(tags))
    after = applied(observed(tags), plan)
    for name, value in tags.items():
        if name.lower() not in governed:
            assert after[name] == value
    for action in plan:
        assert isinstance(action, MergeTags)
        assert action.group == REF
        assert {name.lower() for name in action.tags} <= governed


@given(products, observed_tags)
def test_a_plan_writes_only_the_tags_that_differ(product: DataProduct, tags: dict[str, str]) -> None:
    wanted = desire(CONFIG, REF, product)
    plan = plan_group(wanted, observed(tags))
    drift = tag_drift(wanted.tags, tags)
    assert [action.to_dict()["tags"] for action in plan] == ([dict(sorted(drift.items()))] if drift else [])


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


def test_a_retagged_identity_is_a_conflict_finding_and_the_pinned_tags_are_planned(config: GovernanceConfig) -> None:
    pinned = DataProduct("lz-emea", "sales", "churn", "dev")
    conflict = IdentityConflict(pinned, DataProduct("lz-emea", "finance", "churn", "dev"))
    zone = config.landing_zones[0]
    group = ObservedGroup(REF, "westeurope")
    aspect = TagsAspect(config, MemoryInventory({}))
    desired = aspect.desire(Subject(zone, group, Identity(pinned, "tags", recorded=True, conflict=conflict)))
    tags = {**cross_charging_tags(config, pinned), "DataDomain": "finance", "CostCenter": "CC-3001"}

    planned = aspect.diff(desired, tags)

    assert [action.to_dict()["tags"] for action in planned.actions] == [
        {"CostCenter": "CC-1001", "DataDomain": "sales"}
    ]
    assert [(f.kind.value, f.reason) for f in planned.findings] == [("conflict", "RetaggedIdentity")]
