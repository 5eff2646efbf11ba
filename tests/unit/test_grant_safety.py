"""No grant outside the config, whatever arrives: arbitrary events, tags, names, pins and HTTP input.

The property runs the pure path every trigger takes — an event routed (or an HTTP route validated)
to a group, the group's identity resolved from its name, tags and ledger pin, the RBAC aspect's
desire and diff over arbitrary observed resources and assignments — and checks every grant the app
would make: the principal, its type and the role come from one configured binding of that scope
kind, the role is allow-listed, and the scope is the product's group (or a resource in it), its
dedicated visualization group, or its landing zone's visualization group. Deletions only ever
touch the app's own assignments.
"""

from __future__ import annotations

import datetime

import azure.functions as func
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from functions.http_api import BadRequest, group_from_route
from shared.aspects.base import Subject
from shared.aspects.rbac import CreateRoleAssignment, DeleteRoleAssignment, ObservedRbac, RbacAspect, owned
from shared.classify import Unclassified
from shared.config import load_config
from shared.events import ReconcileRequest, ResourceEvent, route_event
from shared.identity import resolve_identity
from shared.ledger import LedgerRecord
from shared.model import DataProduct, GroupRef, ObservedAssignment, ObservedGroup, ObservedResource, frozen_tags
from shared.naming import dedicated_visualization_group
from tests.unit.conftest import EXAMPLE_CONFIG
from tests.unit.fakes import AMER, EMEA

CONFIG = load_config(EXAMPLE_CONFIG)
RBAC = RbacAspect(CONFIG, object())  # type: ignore[arg-type]  # the pure path never touches the store
APP = "aaaaaaaa-0000-4000-8000-000000000001"
GUIDS = st.sampled_from(
    [
        "33333333-3333-4333-8333-333333333333",
        "44444444-4444-4444-8444-444444444444",
        "55555555-5555-4555-8555-555555555555",
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",  # Owner's id, as a principal-looking value
        "99999999-9999-4999-8999-999999999999",
    ]
)
WORDS = st.sampled_from(
    ["sales", "marketing", "finance", "hr", "orders", "churn", "Owner", "true", "dev", "tst", "prd", "x", ""]
)
pattern_names = st.builds(
    lambda d, p, e: f"dp-{d}-{p}{e}-rg",
    st.sampled_from(["sales", "sales", "marketing", "finance", "hr"]),
    st.sampled_from(["orders", "churn", "leads", "x1"]),
    st.sampled_from(["", "-dev", "-tst", "-prd", "-viz"]),
)
group_names = st.one_of(
    pattern_names,
    pattern_names,
    pattern_names,
    st.sampled_from(["churn-analytics", "lz-emea-reporting-rg", "dp-sales-orders-viz-rg", "shared-rg"]),
    st.text(st.characters(codec="ascii", categories=["L", "N"], include_characters="-_.()"), min_size=1, max_size=40),
)
tags = st.dictionaries(
    st.sampled_from(
        ["DataDomain", "DataProduct", "Environment", "DedicatedVisualization", "Owner", "Role", "PrincipalId"]
    ),
    st.one_of(WORDS, GUIDS),
    max_size=7,
)
pins = st.one_of(
    st.none(),
    st.builds(
        lambda d, p, e: (d, p, e),
        st.sampled_from(["sales", "marketing", "finance", "hr"]),
        st.sampled_from(["churn", "orders"]),
        st.sampled_from(["dev", "tst", "prd", "staging"]),
    ),
)
operations = st.sampled_from(
    [
        "Microsoft.Resources/subscriptions/resourceGroups/write",
        "Microsoft.Resources/subscriptions/resourceGroups/write",
        "Microsoft.MachineLearningServices/workspaces/write",
        "Microsoft.Authorization/roleAssignments/delete",
        "Microsoft.Resources/tags/write",
    ]
)


def allowed_grants(zone_index: int) -> set[tuple[str, str, str, str]]:
    """(scope kind, principal, principal type, role id) for every binding the config has."""
    zone = CONFIG.landing_zones[zone_index]
    allowed: set[tuple[str, str, str, str]] = set()
    bindings = [*CONFIG.role_bindings, *zone.role_bindings]
    for domain in CONFIG.domains.values():
        bindings += domain.role_bindings
        for product in domain.products.values():
            bindings += product.role_bindings
    for binding in bindings:
        allowed.add(
            (binding.scope, binding.principal_id, binding.principal_type, CONFIG.rbac.allowed_roles[binding.role])
        )
    return allowed


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    via_http=st.booleans(),
    subscription=st.sampled_from([EMEA, EMEA, EMEA, AMER, "not-a-guid"]),
    name=group_names,
    group_tags=tags,
    pin=pins,
    operation=operations,
    caller=st.one_of(st.none(), GUIDS),
    resources=st.lists(
        st.tuples(
            st.sampled_from(["Microsoft.MachineLearningServices/workspaces", "Microsoft.Storage/storageAccounts"]),
            WORDS,
        ),
        max_size=3,
    ),
    foreign=st.lists(st.tuples(GUIDS, GUIDS, st.booleans()), max_size=4),
)
def test_every_grant_comes_from_a_configured_binding_on_an_allowed_scope(
    *,
    via_http: bool,
    subscription: str,
    name: str,
    group_tags: dict[str, str],
    pin: tuple[str, str, str] | None,
    operation: str,
    caller: str | None,
    resources: list[tuple[str, str]],
    foreign: list[tuple[str, str, bool]],
) -> None:
    # 1. A trigger names a group: an event (routed) or an HTTP route (validated). Nothing else.
    if via_http:
        request = func.HttpRequest(
            "POST", "https://x/api", body=b"", route_params={"subscriptionId": subscription, "resourceGroup": name}
        )
        try:
            ref = group_from_route(request)
        except BadRequest:
            return
    else:
        uri = f"/subscriptions/{subscription}/resourceGroups/{name}"
        data: dict[str, object] = {"operationName": operation, "resourceUri": uri, "claims": {"oid": caller or ""}}
        decision = route_event(
            CONFIG,
            ResourceEvent.from_fields(
                id="e", event_type="Microsoft.Resources.ResourceWriteSuccess", subject=uri, data=data
            ),
            own_object_id=APP,
        )
        if not isinstance(decision, ReconcileRequest):
            return
        ref = decision.group
    zone = CONFIG.landing_zone_for(ref.subscription_id)
    if zone is None:
        return

    # 2. Its identity from name, tags and pin; 3. what RBAC wants, over whatever Azure holds.
    group = ObservedGroup(ref, "westeurope", frozen_tags(group_tags))
    record = None
    if pin is not None:
        product = DataProduct(zone.name, *pin)
        record = LedgerRecord(ref, product, "tags", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    identity = resolve_identity(CONFIG, zone, group, record)
    if isinstance(identity, Unclassified):
        return
    product_scope = ref.scope
    observed_resources = tuple(
        ObservedResource(f"{product_scope}/providers/{kind}/{rname or 'r'}", rname or "r", kind)
        for kind, rname in resources
    )
    observed_assignments = tuple(
        ObservedAssignment(
            "0b0e7a11-0000-4000-8000-00000000beef",
            product_scope,
            principal,
            "User",
            f"/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "dpgov: forged" if marked else None,
        )
        for principal, role, marked in foreign
    )
    subject = Subject(zone, group, identity)
    plan = RBAC.diff(RBAC.desire(subject), ObservedRbac(observed_assignments, observed_resources))

    # 4. Every grant is a configured binding on an allowed scope; every removal is the app's own.
    allowed = allowed_grants(CONFIG.landing_zones.index(zone))
    dedicated = dedicated_visualization_group(CONFIG, ref.name)
    allowed_scopes = {
        "product_group": {product_scope.lower()},
        "ml_workspaces": {r.id.lower() for r in observed_resources if r.type.endswith("workspaces")},
        "dedicated_visualization_group": {GroupRef(ref.subscription_id, dedicated).scope.lower()}
        if dedicated
        else set(),
        "landing_zone_visualization_group": {
            GroupRef(zone.subscription_id, zone.visualization_resource_group).scope.lower()
        },
    }
    event(f"grants planned: {min(len(plan.actions), 3)}+")
    for action in plan.actions:
        if isinstance(action, CreateRoleAssignment):
            grant = action.grant
            assert (grant.scope_kind, grant.principal_id, grant.principal_type, grant.role_guid) in allowed
            assert grant.role_guid in CONFIG.rbac.allowed_roles.values()
            assert grant.scope.lower() in allowed_scopes[grant.scope_kind]
        else:
            assert isinstance(action, DeleteRoleAssignment)
            assert owned(action.assignment, f"{CONFIG.managed_by}:")
