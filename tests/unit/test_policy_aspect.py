"""The policy aspect's pure core: effective effects, remediation-readiness, ownership and updates."""

from __future__ import annotations

import datetime
from typing import Any

from shared.aspects.base import FindingKind, Subject
from shared.aspects.policy import (
    DeletePolicyAssignment,
    DesiredPolicy,
    GrantPolicyIdentity,
    ObservedPolicy,
    PolicyAspect,
    PutPolicyAssignment,
    Remediate,
    RevokePolicyIdentity,
    diff_policy,
    grant_marker,
)
from shared.config import load_config
from shared.identity import Identity
from shared.ledger import Artifact, LedgerRecord
from shared.model import DataProduct, GroupRef, ObservedAssignment, ObservedGroup, ObservedPolicyAssignment
from shared.naming import role_assignment_name
from shared.plan import Plan
from shared.policy_definitions import parse_definition, parse_set, remediable
from tests.unit.conftest import EXAMPLE_CONFIG
from tests.unit.fakes import EMEA

CONFIG = load_config(EXAMPLE_CONFIG)
ZONE = CONFIG.landing_zones[0]
GROUP = GroupRef(EMEA, "dp-sales-orders-rg")
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
INITIATIVE = CONFIG.domains["sales"].policies[0].definition_id
BUILTIN = "/providers/Microsoft.Authorization/policyDefinitions"


def definition(guid: str, parameters: dict[str, Any], effect: str, roles: list[str] | None = None) -> dict[str, Any]:
    """The facts of a built-in definition the aspect reads: parameters, effect, roleDefinitionIds."""
    then: dict[str, Any] = {"effect": effect}
    if roles is not None:
        then["details"] = {
            "roleDefinitionIds": [f"/providers/microsoft.authorization/roleDefinitions/{r}" for r in roles]
        }
    return {
        "id": f"{BUILTIN}/{guid}",
        "name": guid,
        "properties": {"parameters": parameters, "policyRule": {"if": {}, "then": then}},
    }


ALLOWED_LOCATIONS = definition(
    "e56962a6-4747-49cd-b67b-bf8b01975c4c",
    {
        "listOfAllowedLocations": {"type": "Array"},
        "effect": {"type": "String", "defaultValue": "Deny", "allowedValues": ["Audit", "Deny", "Disabled"]},
    },
    "[parameters('effect')]",
)
REQUIRE_TAG = definition("871b6d14-10aa-478d-b590-94f262ecfa99", {"tagName": {"type": "String"}}, "deny")
INHERIT_TAG = definition(
    "cd3aa116-8754-49c9-a813-ad46512ece54", {"tagName": {"type": "String"}}, "modify", [CONTRIBUTOR]
)
SALES_BASELINE: dict[str, Any] = {
    "id": INITIATIVE,
    "properties": {
        "parameters": {"allowedLocations": {"type": "Array"}, "costCenterTag": {"type": "String"}},
        "policyDefinitions": [
            {
                "policyDefinitionReferenceId": "allowedLocations",
                "policyDefinitionId": ALLOWED_LOCATIONS["id"],
                "parameters": {"listOfAllowedLocations": {"value": "[parameters('allowedLocations')]"}},
            },
            {
                "policyDefinitionReferenceId": "requireCostCenterTag",
                "policyDefinitionId": REQUIRE_TAG["id"],
                "parameters": {"tagName": {"value": "[parameters('costCenterTag')]"}},
            },
            {
                "policyDefinitionReferenceId": "inheritCostCenterTag",
                "policyDefinitionId": INHERIT_TAG["id"],
                "parameters": {"tagName": {"value": "[parameters('costCenterTag')]"}},
            },
        ],
    },
}
PARSED = parse_set(
    SALES_BASELINE, {d["id"].lower(): parse_definition(d) for d in (ALLOWED_LOCATIONS, REQUIRE_TAG, INHERIT_TAG)}
)
ASPECT = PolicyAspect(CONFIG, object(), object())  # type: ignore[arg-type]  # the pure core touches neither


def desired(record: LedgerRecord | None = None, config: Any = CONFIG) -> DesiredPolicy:
    group = ObservedGroup(GROUP, "westeurope")
    product = DataProduct("lz-emea", "sales", "orders", "prd")
    aspect = ASPECT if config is CONFIG else PolicyAspect(config, object(), object())  # type: ignore[arg-type]
    return aspect.desire(Subject(ZONE, group, Identity(product, "name", recorded=True), record))


def observed(*assignments: ObservedPolicyAssignment, grants: tuple[ObservedAssignment, ...] = ()) -> ObservedPolicy:
    return ObservedPolicy(assignments, {INITIATIVE.lower(): PARSED}, grants)


def current(**changes: Any) -> ObservedPolicyAssignment:
    values: dict[str, Any] = {
        "id": f"{GROUP.scope}/providers/Microsoft.Authorization/policyAssignments/dpgov-sales-baseline",
        "name": "dpgov-sales-baseline",
        "scope": GROUP.scope,
        "definition_id": INITIATIVE,
        "display_name": "Sales data products baseline",
        "description": None,
        "parameters": {"allowedLocations": ["westeurope", "northeurope"], "costCenterTag": "CostCenter"},
        "enforcement_mode": "Default",
        "not_scopes": (),
        "messages": (("Sales data products run in West or North Europe and carry a cost centre.", None),),
        "metadata": {"managedBy": "dpgov", "dpgovPolicy": "sales/sales-baseline", "createdBy": "x"},
        "identity_type": "SystemAssigned",
        "principal_id": "77777777-7777-4777-8777-777777777777",
        "location": "westeurope",
    }
    values.update(changes)
    return ObservedPolicyAssignment(**values)


def identity_grant(principal: str = "77777777-7777-4777-8777-777777777777") -> ObservedAssignment:
    name = role_assignment_name(GROUP.scope, principal, CONTRIBUTOR)
    role = f"/subscriptions/{EMEA}/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"
    return ObservedAssignment(name, GROUP.scope, principal, "ServicePrincipal", role, f"{grant_marker('dpgov')} x")


REMEDIATED = LedgerRecord(
    GROUP,
    DataProduct("lz-emea", "sales", "orders", "prd"),
    "name",
    datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    (Artifact("policy", "remediation", "dpgov-sales-baseline|inheritCostCenterTag"),),
)


def test_only_the_modify_member_of_the_initiative_needs_an_identity_and_its_declared_role() -> None:
    (member,) = remediable(PARSED, {"allowedLocations": ["westeurope"], "costCenterTag": "CostCenter"})
    assert (member.reference_id, member.effect, member.role_ids) == ("inheritCostCenterTag", "modify", (CONTRIBUTOR,))


def test_a_parameterised_effect_is_resolved_from_the_assignment_then_the_default() -> None:
    allowed = parse_definition(ALLOWED_LOCATIONS)
    modify_by_parameter = parse_definition(
        definition(
            "x", {"effect": {"type": "String", "defaultValue": "Audit"}}, "[parameters('effect')]", [CONTRIBUTOR]
        )
    )
    assert remediable(allowed, {"listOfAllowedLocations": []}) == ()
    assert remediable(modify_by_parameter, {}) == ()
    assert [m.effect for m in remediable(modify_by_parameter, {"effect": "Modify"})] == ["Modify"]


def test_a_new_product_gets_the_assignment_then_its_identity_granted_then_one_remediation() -> None:
    plan = diff_policy(desired(), observed())

    put, grant, remediation = plan.actions
    assert isinstance(put, PutPolicyAssignment)
    assert put.new
    assert put.body["identity"] == {"type": "SystemAssigned"}
    assert put.body["location"] == "westeurope"
    assert put.body["properties"]["metadata"] == {"managedBy": "dpgov", "dpgovPolicy": "sales/sales-baseline"}
    assert put.body["properties"]["parameters"] == {
        "allowedLocations": {"value": ["westeurope", "northeurope"]},
        "costCenterTag": {"value": "CostCenter"},
    }
    assert isinstance(grant, GrantPolicyIdentity)
    assert (grant.grant.role, grant.principal_from, grant.depends_on) == ("Contributor", put.key, frozenset({put.key}))
    assert isinstance(remediation, Remediate)
    assert remediation.reference_id == "inheritCostCenterTag"
    assert remediation.depends_on == {put.key, grant.key}
    assert [[a.key for a in wave] for wave in Plan(plan.actions).waves()] == [
        [put.key],
        [grant.key],
        [remediation.key],
    ]


def test_a_compliant_product_plans_nothing() -> None:
    assert diff_policy(desired(REMEDIATED), observed(current(), grants=(identity_grant(),))).actions == ()


def test_a_changed_parameter_updates_the_assignment_in_place_and_keeps_its_identity_and_grant() -> None:
    drifted = current(parameters={"allowedLocations": ["eastus"], "costCenterTag": "CostCenter"})

    plan = diff_policy(desired(REMEDIATED), observed(drifted, grants=(identity_grant(),)))

    (put,) = plan.actions
    assert isinstance(put, PutPolicyAssignment)
    assert not put.new


def test_a_remediation_runs_once_the_ledger_remembers_it() -> None:
    plan = diff_policy(desired(), observed(current(), grants=(identity_grant(),)))

    (remediation,) = plan.actions
    assert isinstance(remediation, Remediate)
    assert remediation.depends_on == frozenset()


def test_a_foreign_assignment_is_left_alone_and_reported_and_the_apps_stale_one_removed() -> None:
    foreign = current(name="team-audit", metadata={"createdBy": "someone"}, identity_type=None, principal_id=None)
    stale = current(name="dpgov-old-baseline", identity_type=None, principal_id=None)

    plan = diff_policy(desired(REMEDIATED), observed(current(), foreign, stale, grants=(identity_grant(),)))

    assert [(type(a), getattr(a, "name", None)) for a in plan.actions] == [
        (DeletePolicyAssignment, "dpgov-old-baseline")
    ]
    assert [(f.kind, f.reason) for f in plan.findings] == [(FindingKind.NOTICE, "ForeignPolicyAssignment")]


def test_a_recreated_identity_gets_a_fresh_grant_and_the_old_one_is_revoked() -> None:
    recreated = current(definition_id=f"{BUILTIN}/something-else")
    old = identity_grant()

    plan = diff_policy(desired(REMEDIATED), observed(recreated, grants=(old,)))

    kinds = [type(a).__name__ for a in plan.actions]
    assert kinds == ["DeletePolicyAssignment", "PutPolicyAssignment", "GrantPolicyIdentity", "RevokePolicyIdentity"]
    revoke = plan.actions[-1]
    assert isinstance(revoke, RevokePolicyIdentity)
    assert revoke.assignment == old


def test_a_role_outside_the_allow_list_is_blocked_not_granted() -> None:
    narrow = CONFIG.model_copy(
        update={
            "rbac": CONFIG.rbac.model_copy(update={"allowed_roles": {"Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7"}})
        }
    )

    plan = diff_policy(desired(config=narrow), observed())

    assert [type(a).__name__ for a in plan.actions] == ["PutPolicyAssignment", "Remediate"]
    assert [(f.kind, f.reason) for f in plan.findings] == [(FindingKind.BLOCKED, "RoleNotAllowed")]


def test_an_unknown_definition_or_bad_parameters_block_without_a_write() -> None:
    missing = ObservedPolicy((), {INITIATIVE.lower(): f"{INITIATIVE} does not exist (PolicySetDefinitionNotFound)"}, ())

    plan = diff_policy(desired(), missing)

    assert plan.actions == ()
    assert [f.reason for f in plan.findings] == ["PolicyDefinitionUnavailable"]


def test_a_blocked_policy_keeps_its_assignment_and_its_identitys_grant() -> None:
    """An initiative that gained a required parameter: blocked, and nothing the assignment relies on is undone."""
    properties: dict[str, Any] = dict(SALES_BASELINE["properties"])
    properties["parameters"] = {**properties["parameters"], "owner": {"type": "String"}}
    changed = {**SALES_BASELINE, "properties": properties}
    parsed = parse_set(
        changed, {d["id"].lower(): parse_definition(d) for d in (ALLOWED_LOCATIONS, REQUIRE_TAG, INHERIT_TAG)}
    )
    seen = ObservedPolicy((current(),), {INITIATIVE.lower(): parsed}, (identity_grant(),))

    plan = diff_policy(desired(REMEDIATED), seen)

    assert plan.actions == ()
    assert [(f.kind, f.reason) for f in plan.findings] == [(FindingKind.BLOCKED, "InvalidPolicyParameters")]
