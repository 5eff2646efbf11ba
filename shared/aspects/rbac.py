"""The RBAC aspect: the configured principals hold the configured roles on a product's scopes.

Bindings come from the config only (global and landing-zone bindings on the landing zone's
visualization group; domain and product bindings on the product group, its dedicated visualization
group and its Azure ML workspaces, optionally only in some environments — the ML dev/test/prod rule).
Nothing in an event, a tag or a request can name a principal, a role or a scope: the product's
identity (its name, or its ledger pin) only selects which bindings apply.

Ownership: an assignment is the app's when its name is the deterministic GUID of (scope, principal,
role definition) *and* its description carries the app's marker (``dpgov: <binding>``). The app
creates those, and deletes only those when the config stops wanting them. An equal grant made by
someone else (same scope, principal and role under another name: ARM answers 409
``RoleAssignmentExists``) satisfies the binding and stays theirs. Other assignments on the product's
scopes — broader, conflicting, or for other principals — are never touched; those held by a
principal the bindings name are reported as a notice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, assert_never

from shared.aspects.base import AspectPlan, Disposition, Finding, FindingKind, Outputs, Reads, Subject, Target
from shared.aspects.views import ViaReads
from shared.aspects.visualization import dedicated_group, group_key, landing_zone_group
from shared.config import GovernanceConfig, LandingZone, RoleBinding, ScopeKind
from shared.errors import disposition, error_code
from shared.ledger import LedgerRecord
from shared.model import GroupRef, ObservedAssignment, ObservedResource
from shared.naming import dedicated_visualization_group, role_assignment_name
from shared.reads import within
from shared.write_slots import released

NAME = "rbac"
ML_WORKSPACES = "Microsoft.MachineLearningServices/workspaces"
# A principal created moments ago may not have replicated to ARM's directory yet.
PRINCIPAL_RETRY_DELAYS = (1.0, 2.0)


@dataclass(frozen=True, slots=True)
class Grant:
    """One role assignment the config wants."""

    scope: str
    scope_kind: ScopeKind
    principal_id: str
    principal_type: str
    role: str
    role_guid: str
    binding: str
    product_scope: str  # the product group's scope: a 404 there means the product is gone
    after: frozenset[str] = frozenset()  # keys of actions that create the scope

    @property
    def triple(self) -> tuple[str, str, str]:
        return (self.scope.lower(), self.principal_id.lower(), self.role_guid.lower())

    @property
    def name(self) -> str:
        return role_assignment_name(self.scope, self.principal_id, self.role_guid)


@dataclass(frozen=True, slots=True)
class CreateRoleAssignment:
    grant: Grant
    marker: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        scope, principal, role = self.grant.triple
        return f"role:{scope}:{principal}:{role}"

    def describe(self) -> str:
        grant = self.grant
        return f"grant {grant.role} to {grant.principal_type} {grant.principal_id} on {_short(grant.scope)}"

    def to_dict(self) -> dict[str, Any]:
        grant = self.grant
        return {
            "key": self.key,
            "kind": "create_role_assignment",
            "aspect": self.aspect,
            "scope": grant.scope,
            "name": grant.name,
            "role": grant.role,
            "principal_id": grant.principal_id,
            "principal_type": grant.principal_type,
            "binding": grant.binding,
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class DeleteRoleAssignment:
    """Remove an assignment the app made that no binding wants any more."""

    assignment: ObservedAssignment
    product_scope: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"unrole:{self.assignment.scope.lower()}/{self.assignment.name}"

    def describe(self) -> str:
        a = self.assignment
        return f"remove the app's grant of role {a.role_guid} to {a.principal_id} on {_short(a.scope)}"

    def to_dict(self) -> dict[str, Any]:
        a = self.assignment
        return {
            "key": self.key,
            "kind": "delete_role_assignment",
            "aspect": self.aspect,
            "scope": a.scope,
            "name": a.name,
            "principal_id": a.principal_id,
            "role_definition_id": a.role_definition_id,
            "depends_on": sorted(self.depends_on),
        }


RbacAction = CreateRoleAssignment | DeleteRoleAssignment


@dataclass(frozen=True, slots=True)
class DesiredRbac:
    grants: tuple[Grant, ...]
    ml_grants: tuple[Grant, ...]  # templates without a scope: one grant per ML workspace observed
    product_scope: str
    governed_scopes: tuple[str, ...]  # where the app's own assignments are looked after (and below)
    marker_prefix: str

    def summary(self) -> tuple[str, ...]:
        lines = [
            f"{grant.role} to {grant.principal_type} {grant.principal_id} on {_short(grant.scope)} "
            f"(binding {grant.binding}, {grant.scope_kind})"
            for grant in self.grants
        ]
        lines += [
            f"{grant.role} to {grant.principal_type} {grant.principal_id} on each Azure ML workspace in the group "
            f"(binding {grant.binding})"
            for grant in self.ml_grants
        ]
        return tuple(lines) or ("no role bindings",)


@dataclass(frozen=True, slots=True)
class ObservedRbac:
    assignments: tuple[ObservedAssignment, ...]
    resources: tuple[ObservedResource, ...]  # the product group's; grants go to its ML workspaces only


class AssignmentStore(Protocol):
    """The grant path (``shared.azure.role_assignments.RoleAssignments``)."""

    async def role_definition_id(self, subscription_id: str, role_name: str, expected_guid: str) -> str: ...

    async def create(
        self,
        *,
        scope: str,
        name: str,
        role_definition_id: str,
        principal_id: str,
        principal_type: str,
        description: str,
    ) -> ObservedAssignment: ...

    async def delete(self, *, scope: str, name: str) -> None: ...


def _short(scope: str) -> str:
    """``…/resourceGroups/rg[/providers/ns/type/name]`` → ``rg[/name]`` for messages."""
    parts = scope.split("/")
    lowered = [part.lower() for part in parts]
    group = parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else scope
    return f"{group}/{parts[-1]}" if "providers" in lowered else group


async def grant_role(store: AssignmentStore, grant: Grant, marker: str) -> None:
    """The grant path every aspect shares: the role resolved by name (once per process, checked
    against the allow-listed id), the deterministic name, ``principalType`` always, and a short
    retry while a new principal replicates to ARM's directory (``PrincipalNotFound``)."""
    subscription = grant.product_scope.split("/")[2]
    role_definition_id = await store.role_definition_id(subscription, grant.role, grant.role_guid)
    for delay in (*PRINCIPAL_RETRY_DELAYS, None):
        try:
            await store.create(
                scope=grant.scope,
                name=grant.name,
                role_definition_id=role_definition_id,
                principal_id=grant.principal_id,
                principal_type=grant.principal_type,
                description=marker,
            )
            return
        except Exception as error:
            if error_code(error) != "PrincipalNotFound" or delay is None:
                raise
            async with released():
                await asyncio.sleep(delay)


def owned(assignment: ObservedAssignment, marker_prefix: str) -> bool:
    """The app's own: its deterministic name and its marker in the description."""
    expected = role_assignment_name(assignment.scope, assignment.principal_id, assignment.role_guid)
    return assignment.name.lower() == expected and (assignment.description or "").startswith(marker_prefix)


def product_bindings(config: GovernanceConfig, subject: Subject) -> list[RoleBinding]:
    domain = config.domains[subject.product.domain]
    product = domain.products.get(subject.product.product)
    bindings = list(product.role_bindings) if product is not None else []
    if product is None or product.inherit_role_bindings:
        bindings = list(domain.role_bindings) + bindings
    return [binding for binding in bindings if binding.applies_in(subject.product.environment)]


def zone_bindings(config: GovernanceConfig, zone: LandingZone) -> list[RoleBinding]:
    return list(config.role_bindings) + list(zone.role_bindings)


def diff_rbac(desired: DesiredRbac, observed: ObservedRbac) -> AspectPlan[RbacAction]:
    """Create what is missing, delete the app's own that is unwanted, report foreign grants."""
    grants = list(desired.grants)
    workspaces = [
        resource
        for resource in observed.resources
        if resource.is_type(ML_WORKSPACES) and within(resource.id, desired.product_scope)
    ]
    for workspace in workspaces:
        grants += [replace(template, scope=workspace.id) for template in desired.ml_grants]
    present = {(a.scope.lower(), a.principal_id.lower(), a.role_guid) for a in observed.assignments}
    wanted = {grant.triple for grant in grants}
    actions: list[RbacAction] = [
        CreateRoleAssignment(grant, f"{desired.marker_prefix} {grant.binding}", grant.after)
        for grant in grants
        if grant.triple not in present
    ]
    principals = {grant.principal_id.lower() for grant in (*grants, *desired.ml_grants)}
    findings: list[Finding] = []
    for assignment in observed.assignments:
        triple = (assignment.scope.lower(), assignment.principal_id.lower(), assignment.role_guid)
        if triple in wanted or not any(within(assignment.scope, s) for s in desired.governed_scopes):
            continue
        if owned(assignment, desired.marker_prefix):
            actions.append(DeleteRoleAssignment(assignment, desired.product_scope))
        elif assignment.principal_id.lower() in principals:
            findings.append(
                Finding(
                    FindingKind.NOTICE,
                    "ForeignAssignment",
                    f"{assignment.principal_type or 'principal'} {assignment.principal_id} holds role "
                    f"{assignment.role_guid} on {_short(assignment.scope)} outside the config (left as is)",
                )
            )
    return AspectPlan(tuple(actions), tuple(findings))


class RbacAspect:
    """Role bindings from config on each product's scopes and its landing zone's visualization group."""

    name = NAME

    def __init__(self, config: GovernanceConfig, store: AssignmentStore) -> None:
        self._config = config
        self._store = store

    def _role_guid(self, role: str) -> str:
        guid = self._config.rbac.role_id(role)
        if guid is None:  # config validation makes this unreachable
            raise ValueError(f"role {role!r} is not in rbac.allowed_roles")
        return guid

    def desire(self, subject: Subject) -> DesiredRbac:
        config, zone = self._config, subject.zone
        product_scope = subject.ref.scope
        lz_group = landing_zone_group(zone)
        dedicated = dedicated_group(config, subject)
        grants: list[Grant] = []

        def grant(scope: str, kind: ScopeKind, binding: RoleBinding, after: Iterable[str] = ()) -> Grant:
            return Grant(
                scope,
                kind,
                binding.principal_id,
                binding.principal_type,
                binding.role,
                self._role_guid(binding.role),
                binding.name,
                product_scope,
                frozenset(after),
            )

        for binding in zone_bindings(config, zone):
            grants.append(grant(lz_group.scope, "landing_zone_visualization_group", binding, [group_key(lz_group)]))
        ml: list[Grant] = []
        for binding in product_bindings(config, subject):
            if binding.scope == "product_group":
                grants.append(grant(product_scope, "product_group", binding))
            elif binding.scope == "dedicated_visualization_group":
                if dedicated is not None:
                    grants.append(grant(dedicated.scope, binding.scope, binding, [group_key(dedicated)]))
            elif binding.scope == "ml_workspaces":
                ml.append(grant("", "ml_workspaces", binding))
        governed = [product_scope, lz_group.scope]
        dedicated_name = dedicated_visualization_group(config, subject.ref.name)
        if dedicated_name is not None:
            governed.append(GroupRef(subject.ref.subscription_id, dedicated_name).scope)
        return DesiredRbac(tuple(grants), tuple(ml), product_scope, tuple(governed), f"{config.managed_by}:")

    def observed_scopes(self, target: Target) -> list[str]:
        """The groups whose assignments this aspect reads for a product (before it is classified)."""
        scopes = [target.ref.scope, landing_zone_group(target.zone).scope]
        dedicated = dedicated_visualization_group(self._config, target.ref.name)
        if dedicated is not None:
            scopes.append(GroupRef(target.ref.subscription_id, dedicated).scope)
        return scopes

    async def observe(self, target: Target, reads: Reads) -> ObservedRbac:
        scopes = self.observed_scopes(target)
        lists, resources = await asyncio.gather(
            asyncio.gather(*(reads.role_assignments(scope) for scope in scopes)), reads.resources(target.ref)
        )
        return ObservedRbac(tuple(assignment for listed in lists for assignment in listed), resources)

    async def observe_zone(self, zone: LandingZone, reads: Reads) -> ViaReads[ObservedRbac]:
        """The shared reads answer from one list of the subscription's assignments and resources."""
        del zone
        return ViaReads(self.observe, reads)

    def diff(self, desired: DesiredRbac, observed: ObservedRbac) -> AspectPlan[RbacAction]:
        return diff_rbac(desired, observed)

    async def execute(self, action: RbacAction, outputs: Outputs) -> None:
        del outputs
        match action:
            case CreateRoleAssignment(grant=grant, marker=marker):
                await grant_role(self._store, grant, marker)
            case DeleteRoleAssignment(assignment=assignment):
                await self._store.delete(scope=assignment.scope, name=assignment.name)
            case _:
                assert_never(action)

    def interpret(self, action: RbacAction, error: BaseException) -> Disposition:
        code = error_code(error)
        if code in {"RoleAssignmentExists", "RoleAssignmentNotFound", "ResourceNotFound"}:
            # An equal grant under another name; already removed; or the ML workspace is gone.
            return Disposition.DONE
        if code == "PrincipalNotFound":
            return Disposition.TRANSIENT  # directory replication: the redelivery will find it
        if isinstance(action, CreateRoleAssignment):
            scope, product_scope = action.grant.scope, action.grant.product_scope
        else:
            scope, product_scope = action.assignment.scope, action.product_scope
        if code in {"ResourceGroupNotFound", "ResourceGroupBeingDeleted"} and not within(scope, product_scope):
            return Disposition.TRANSIENT  # a visualization group, not the product: the retry recreates it
        return disposition(error)

    def retire(self, record: LedgerRecord) -> AspectPlan[RbacAction]:
        """Nothing outside the group: ARM removed everything this aspect governs with it."""
        del record
        return AspectPlan()
