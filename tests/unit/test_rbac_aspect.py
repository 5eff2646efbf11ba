"""The RBAC and visualization aspects' pure core: bindings from config, ML's dev/test/prod rule,
ownership, and the visualization groups the grants depend on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.aspects.base import Subject
from shared.aspects.rbac import (
    CreateRoleAssignment,
    DeleteRoleAssignment,
    ObservedRbac,
    RbacAspect,
    diff_rbac,
)
from shared.aspects.visualization import CreateGroup, TagGroup, VisualizationAspect
from shared.config import load_config
from shared.identity import Identity
from shared.model import DataProduct, GroupRef, ObservedAssignment, ObservedGroup, ObservedResource, frozen_tags
from shared.naming import role_assignment_name
from tests.unit.conftest import EXAMPLE_CONFIG
from tests.unit.fakes import EMEA, MemoryInventory

CONFIG = load_config(EXAMPLE_CONFIG)
ZONE = CONFIG.landing_zones[0]
SCIENTISTS = "33333333-3333-4333-8333-333333333333"
AUTHORS = "44444444-4444-4444-8444-444444444444"
GATEWAY = "55555555-5555-4555-8555-555555555555"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
ML_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
LZ_VIZ = f"/subscriptions/{EMEA}/resourceGroups/lz-emea-reporting-rg"


class NoStore:
    """The pure core never calls the store; any call is a test failure."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"pure code called the store: {name}")


RBAC = RbacAspect(CONFIG, NoStore())  # type: ignore[arg-type]
VIZ = VisualizationAspect(CONFIG, MemoryInventory({}))


def subject(group: str, product: DataProduct, tags: dict[str, str] | None = None) -> Subject:
    observed = ObservedGroup(GroupRef(EMEA, group), "westeurope", frozen_tags(tags))
    return Subject(ZONE, observed, Identity(product, "name", recorded=True))


def workspace(group: str, name: str = "mlw") -> ObservedResource:
    rid = f"/subscriptions/{EMEA}/resourceGroups/{group}/providers/Microsoft.MachineLearningServices/workspaces/{name}"
    return ObservedResource(rid, name, "Microsoft.MachineLearningServices/workspaces", "westeurope")


def grants(actions: object) -> set[tuple[str, str, str]]:
    assert isinstance(actions, tuple)
    return {
        (a.grant.scope, a.grant.principal_id, a.grant.role_guid) for a in actions if isinstance(a, CreateRoleAssignment)
    }


def test_data_scientists_get_the_ml_role_in_dev_reader_in_test_and_nothing_in_prod() -> None:
    planned = {}
    for environment in ("dev", "tst", "prd"):
        group = f"dp-sales-churn-{environment}-rg"
        wanted = RBAC.desire(subject(group, DataProduct("lz-emea", "sales", "churn", environment)))
        planned[environment] = grants(diff_rbac(wanted, ObservedRbac((), (workspace(group),))).actions)

    ws = workspace("dp-sales-churn-dev-rg").id
    assert (ws, SCIENTISTS, ML_DATA_SCIENTIST) in planned["dev"]
    assert (workspace("dp-sales-churn-tst-rg").id, SCIENTISTS, READER) in planned["tst"]
    assert not any(principal == SCIENTISTS for _, principal, _ in planned["prd"])


def test_report_authors_read_the_product_and_the_gateway_reads_the_landing_zone_group() -> None:
    group = "dp-sales-leads-rg"
    wanted = RBAC.desire(subject(group, DataProduct("lz-emea", "sales", "leads", "prd")))

    planned = diff_rbac(wanted, ObservedRbac((), ())).actions

    assert grants(planned) == {
        (f"/subscriptions/{EMEA}/resourceGroups/{group}", AUTHORS, READER),
        (LZ_VIZ, GATEWAY, READER),
    }
    (gateway,) = [a for a in planned if isinstance(a, CreateRoleAssignment) and a.grant.principal_id == GATEWAY]
    assert gateway.depends_on == {f"group:{LZ_VIZ.lower()}"}, "after the group exists (if it must be created)"
    assert gateway.marker == "dpgov: powerbi-gateway"


def test_a_product_with_a_dedicated_group_gets_it_created_tagged_and_its_authors_granted_after() -> None:
    orders = subject("dp-sales-orders-rg", DataProduct("lz-emea", "sales", "orders", "prd"))
    dedicated = f"/subscriptions/{EMEA}/resourceGroups/dp-sales-orders-viz-rg"

    viz = VIZ.diff(VIZ.desire(orders), {"lz-emea-reporting-rg": None, "dp-sales-orders-viz-rg": None}).actions
    rbac = diff_rbac(RBAC.desire(orders), ObservedRbac((), ())).actions

    created = {a.group.name: a for a in viz if isinstance(a, CreateGroup)}
    assert set(created) == {"lz-emea-reporting-rg", "dp-sales-orders-viz-rg"}
    assert created["dp-sales-orders-viz-rg"].tags["CostCenter"] == "CC-1001"
    assert dict(created["lz-emea-reporting-rg"].tags) == {"ManagedBy": "dpgov", "LandingZone": "lz-emea"}
    assert created["lz-emea-reporting-rg"].location == "westeurope"
    (authors,) = [a for a in rbac if isinstance(a, CreateRoleAssignment) and a.grant.scope == dedicated]
    assert (authors.grant.principal_id, authors.grant.role_guid) == (AUTHORS, CONTRIBUTOR)
    assert authors.depends_on == {created["dp-sales-orders-viz-rg"].key}


def test_the_selection_tag_only_selects_the_dedicated_group_option() -> None:
    team_asks = subject(
        "dp-sales-leads-rg", DataProduct("lz-emea", "sales", "leads", "prd"), {"DedicatedVisualization": "true"}
    )

    created = [a for a in VIZ.diff(VIZ.desire(team_asks), {}).actions if isinstance(a, CreateGroup)]
    planned = grants(diff_rbac(RBAC.desire(team_asks), ObservedRbac((), ())).actions)

    assert [a.group.name for a in created] == ["lz-emea-reporting-rg", "dp-sales-leads-viz-rg"]
    assert (f"/subscriptions/{EMEA}/resourceGroups/dp-sales-leads-viz-rg", AUTHORS, CONTRIBUTOR) in planned


def test_an_existing_visualization_group_only_gets_its_missing_governed_tags() -> None:
    orders = subject("dp-sales-leads-rg", DataProduct("lz-emea", "sales", "leads", "prd"))
    existing = ObservedGroup(GroupRef(EMEA, "lz-emea-reporting-rg"), "westeurope", frozen_tags({"team": "bi"}))

    actions = VIZ.diff(VIZ.desire(orders), {"lz-emea-reporting-rg": existing}).actions

    assert [(type(a), dict(a.tags)) for a in actions if isinstance(a, TagGroup)] == [
        (TagGroup, {"ManagedBy": "dpgov", "LandingZone": "lz-emea"})
    ]


def assignment(
    scope: str, principal: str, role: str, *, owned: bool, description: str | None = None
) -> ObservedAssignment:
    name = role_assignment_name(scope, principal, role) if owned else "0b0e7a11-0000-4000-8000-00000000beef"
    marker = description if description is not None else ("dpgov: old-binding" if owned else None)
    return ObservedAssignment(
        name, scope, principal, "Group", f"/providers/Microsoft.Authorization/roleDefinitions/{role}", marker
    )


def test_the_app_removes_only_its_own_grants_the_config_no_longer_wants() -> None:
    group = "dp-sales-leads-rg"
    scope = f"/subscriptions/{EMEA}/resourceGroups/{group}"
    stale = assignment(scope, AUTHORS, CONTRIBUTOR, owned=True)
    foreign = assignment(scope, AUTHORS, "00000000-0000-4000-8000-00000000abcd", owned=False)
    other_principal = assignment(scope, "66666666-6666-4666-8666-666666666666", CONTRIBUTOR, owned=False)
    lookalike = assignment(scope, SCIENTISTS, CONTRIBUTOR, owned=True, description="someone else's")
    wanted = RBAC.desire(subject(group, DataProduct("lz-emea", "sales", "leads", "prd")))

    planned = diff_rbac(wanted, ObservedRbac((stale, foreign, other_principal, lookalike), ()))

    deletes = [a.assignment for a in planned.actions if isinstance(a, DeleteRoleAssignment)]
    assert deletes == [stale]
    assert [f.reason for f in planned.findings] == ["ForeignAssignment"]
    assert AUTHORS in planned.findings[0].message


def test_an_equal_grant_under_another_name_satisfies_the_binding() -> None:
    group = "dp-sales-leads-rg"
    scope = f"/subscriptions/{EMEA}/resourceGroups/{group}"
    theirs = assignment(scope, AUTHORS, READER, owned=False)
    wanted = RBAC.desire(subject(group, DataProduct("lz-emea", "sales", "leads", "prd")))

    planned = diff_rbac(wanted, ObservedRbac((theirs,), ()))

    assert (scope, AUTHORS, READER) not in grants(planned.actions)
    assert planned.findings == ()


@given(st.sampled_from(["dev", "tst", "prd"]), st.lists(st.sampled_from(["a", "b", "c"]), unique=True))
def test_granting_then_planning_again_plans_nothing(environment: str, workspaces: list[str]) -> None:
    group = f"dp-sales-churn-{environment}-rg"
    wanted = RBAC.desire(subject(group, DataProduct("lz-emea", "sales", "churn", environment)))
    resources = tuple(workspace(group, name) for name in workspaces)
    first = diff_rbac(wanted, ObservedRbac((), resources))
    created = tuple(
        ObservedAssignment(
            a.grant.name, a.grant.scope, a.grant.principal_id, a.grant.principal_type, a.grant.role_guid, a.marker
        )
        for a in first.actions
        if isinstance(a, CreateRoleAssignment)
    )

    assert diff_rbac(wanted, ObservedRbac(created, resources)).actions == ()
