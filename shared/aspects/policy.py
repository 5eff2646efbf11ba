"""The policy aspect: each product group carries the Azure Policy its domain (or product) prescribes.

Desired: the config's assignments (the domain's, plus or replaced by the product's) at the product
group, named deterministically (``dpgov-<name>``, within ARM's 64 characters) and marked as the app's
in ``metadata.managedBy``. Observed: the assignments made exactly at the group, the definitions and
initiatives they reference (read once per process), and the role assignments at the group.

Remediation-ready: when a definition's *effective* effect (parameters resolved) is modify or
deployIfNotExists, the assignment carries a system-assigned identity and a location; that identity
is granted, at the group, the roles the definitions declare — through the RBAC aspect's grant path,
and only roles in ``rbac.allowed_roles`` (anything else is reported ``blocked``, never granted). The
grant depends on the assignment by key: its principal exists only once the assignment does. After
that, one remediation task per modifying member fixes the resources already in the group — once,
which the ledger remembers.

Ownership: assignments with the app's ``metadata.managedBy``, and grants named after (scope,
principal, role) whose description starts ``dpgov-policy:``. Only those are updated or removed;
any other assignment on the group is left alone and reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, assert_never

from azure.core.exceptions import AzureError

from shared.aspects.base import (
    AspectPlan,
    Disposition,
    Finding,
    FindingKind,
    Outputs,
    Reads,
    Remember,
    Subject,
    Target,
)
from shared.aspects.rbac import AssignmentStore, Grant, grant_role
from shared.aspects.views import ViaReads
from shared.config import GovernanceConfig, LandingZone, PolicyAssignmentSpec
from shared.errors import disposition, error_code
from shared.ledger import Artifact, LedgerRecord
from shared.model import GroupRef, ObservedAssignment, ObservedPolicyAssignment
from shared.naming import policy_assignment_name, remediation_name, role_assignment_name
from shared.policy_definitions import Assignable, missing_parameters, remediable, undefined_parameters

NAME = "policy"
DEFINITION_PROBLEM_CODES = frozenset({"PolicyDefinitionNotFound", "PolicySetDefinitionNotFound", "ResourceNotFound"})


@dataclass(frozen=True, slots=True)
class PutPolicyAssignment:
    """Create or update (PUT, idempotent) one assignment with the whole desired body."""

    group: GroupRef
    name: str
    body: Mapping[str, Any]
    new: bool
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"policy:{self.group.scope.lower()}/{self.name}"

    @property
    def assignment_id(self) -> str:
        return put_id(self.group, self.name)

    def describe(self) -> str:
        definition = str(self.body["properties"]["policyDefinitionId"]).rsplit("/", 1)[-1]
        return f"{'assign' if self.new else 'update'} policy {self.name} ({definition}) on {self.group.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "put_policy_assignment",
            "aspect": self.aspect,
            "scope": self.group.scope,
            "name": self.name,
            "new": self.new,
            "body": dict(self.body),
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class DeletePolicyAssignment:
    group: GroupRef
    name: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"unpolicy:{self.group.scope.lower()}/{self.name}"

    def describe(self) -> str:
        return f"remove the app's policy assignment {self.name} from {self.group.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "delete_policy_assignment",
            "aspect": self.aspect,
            "scope": self.group.scope,
            "name": self.name,
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class GrantPolicyIdentity:
    """Grant one role at the group to an assignment's identity (known now, or from its PUT)."""

    grant: Grant  # principal_id is empty when it comes from ``principal_from``
    assignment: str
    principal_from: str | None = None  # the key of the PUT whose output carries the principal
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"policygrant:{self.grant.scope.lower()}/{self.assignment}/{self.grant.role_guid}"

    def describe(self) -> str:
        return (
            f"grant {self.grant.role} on {self.grant.scope.rsplit('/', 1)[-1]} to policy {self.assignment}'s identity"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "grant_policy_identity",
            "aspect": self.aspect,
            "scope": self.grant.scope,
            "assignment": self.assignment,
            "role": self.grant.role,
            "principal_id": self.grant.principal_id or None,
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class RevokePolicyIdentity:
    """Remove a grant the app made to a policy identity that no assignment needs any more."""

    assignment: ObservedAssignment
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"unpolicygrant:{self.assignment.scope.lower()}/{self.assignment.name}"

    def describe(self) -> str:
        held = self.assignment
        return f"remove the app's grant of role {held.role_guid} to policy identity {held.principal_id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "revoke_policy_identity",
            "aspect": self.aspect,
            "scope": self.assignment.scope,
            "name": self.assignment.name,
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class Remediate:
    """Start the remediation task for one modifying member, for the resources already in the group."""

    group: GroupRef
    assignment: str
    assignment_id: str
    reference_id: str | None
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"remediate:{self.group.scope.lower()}/{self.assignment}/{self.reference_id or ''}"

    @property
    def artifact(self) -> Artifact:
        return Artifact(NAME, "remediation", f"{self.assignment}|{self.reference_id or ''}")

    def describe(self) -> str:
        member = f" ({self.reference_id})" if self.reference_id else ""
        return f"start remediation of policy {self.assignment}{member} on {self.group.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "remediate",
            "aspect": self.aspect,
            "scope": self.group.scope,
            "assignment": self.assignment,
            "policy_definition_reference_id": self.reference_id,
            "depends_on": sorted(self.depends_on),
        }


PolicyAction = PutPolicyAssignment | DeletePolicyAssignment | GrantPolicyIdentity | RevokePolicyIdentity | Remediate


@dataclass(frozen=True, slots=True)
class WantedAssignment:
    spec: PolicyAssignmentSpec
    name: str
    label: str


@dataclass(frozen=True, slots=True)
class DesiredPolicy:
    group: GroupRef
    location: str
    wanted: tuple[WantedAssignment, ...]
    managed_by: str
    allowed_roles: Mapping[str, str]  # role definition GUID → role name
    remediated: frozenset[str]  # "assignment|reference" already started once (the ledger)

    def summary(self) -> tuple[str, ...]:
        lines = tuple(
            f"{wanted.label}: {wanted.spec.definition_id} assigned as {wanted.name} "
            f"(enforcement {wanted.spec.enforcement_mode})"
            for wanted in self.wanted
        )
        return lines or ("no policies",)


@dataclass(frozen=True, slots=True)
class ObservedPolicy:
    assignments: tuple[ObservedPolicyAssignment, ...]  # made exactly at the group
    definitions: Mapping[str, Assignable | str]  # by lower-cased id; a str says why it is unusable
    grants: tuple[ObservedAssignment, ...]  # role assignments at the group and below


class PolicyStore(Protocol):
    """``shared.azure.policies.PolicyAssignments``."""

    async def list_at_group(self, ref: GroupRef) -> tuple[ObservedPolicyAssignment, ...]: ...

    def list_subscription(self, subscription_id: str) -> AsyncIterator[ObservedPolicyAssignment]: ...

    async def create(self, scope: str, name: str, body: Mapping[str, Any]) -> ObservedPolicyAssignment: ...

    async def delete(self, scope: str, name: str) -> None: ...

    async def remediate(self, ref: GroupRef, name: str, assignment_id: str, reference_id: str | None) -> str: ...

    async def definition(self, definition_id: str) -> Assignable: ...


def wanted_policies(config: GovernanceConfig, subject: Subject) -> list[tuple[PolicyAssignmentSpec, str]]:
    """The domain's policies, replaced by name or added to by the product's, with their labels."""
    product = subject.product
    domain = config.domains[product.domain]
    settings = domain.products.get(product.product)
    chosen: dict[str, tuple[PolicyAssignmentSpec, str]] = {}
    if settings is None or settings.inherit_policies:
        chosen.update({spec.name: (spec, f"{product.domain}/{spec.name}") for spec in domain.policies})
    if settings is not None:
        chosen.update(
            {spec.name: (spec, f"{product.domain}/{product.product}/{spec.name}") for spec in settings.policies}
        )
    return list(chosen.values())


def assignment_body(
    wanted: WantedAssignment, group: GroupRef, location: str, managed_by: str, *, identity: bool
) -> dict[str, Any]:
    """The whole PUT body: what the config says, the owner marker, and identity when needed."""
    spec = wanted.spec
    properties: dict[str, Any] = {
        "policyDefinitionId": spec.definition_id,
        "parameters": {name: {"value": value} for name, value in sorted(spec.parameters.items())},
        "enforcementMode": spec.enforcement_mode,
        "notScopes": [f"{group.scope}/{path}" for path in spec.not_scopes],
        "nonComplianceMessages": [
            {
                "message": m.message,
                **(
                    {"policyDefinitionReferenceId": m.policy_definition_reference_id}
                    if m.policy_definition_reference_id
                    else {}
                ),
            }
            for m in spec.non_compliance_messages
        ],
        "metadata": {"managedBy": managed_by, "dpgovPolicy": wanted.label},
    }
    if spec.display_name is not None:
        properties["displayName"] = spec.display_name
    if spec.description is not None:
        properties["description"] = spec.description
    body: dict[str, Any] = {"properties": properties}
    if identity:
        body["location"] = location
        body["identity"] = {"type": "SystemAssigned"}
    return body


def _differs(observed: ObservedPolicyAssignment, body: Mapping[str, Any]) -> bool:
    """Whether the assignment differs from the body in anything the app governs."""
    properties = body["properties"]
    wanted_identity = "SystemAssigned" if "identity" in body else None
    observed_identity = observed.identity_type if observed.identity_type not in {None, "None"} else None
    wanted_messages = tuple(
        (m["message"], m.get("policyDefinitionReferenceId")) for m in properties["nonComplianceMessages"]
    )
    return (
        dict(observed.parameters) != {name: value["value"] for name, value in properties["parameters"].items()}
        or observed.enforcement_mode != properties["enforcementMode"]
        or sorted(s.lower() for s in observed.not_scopes) != sorted(s.lower() for s in properties["notScopes"])
        or observed.messages != wanted_messages
        or observed.display_name != properties.get("displayName", observed.display_name)
        or observed.description != properties.get("description", observed.description)
        or observed.metadata.get("managedBy") != properties["metadata"]["managedBy"]
        or observed_identity != wanted_identity
    )


def put_id(group: GroupRef, name: str) -> str:
    return f"{group.scope}/providers/Microsoft.Authorization/policyAssignments/{name}"


def grant_marker(managed_by: str) -> str:
    return f"{managed_by}-policy:"


def owned_grant(assignment: ObservedAssignment, managed_by: str) -> bool:
    expected = role_assignment_name(assignment.scope, assignment.principal_id, assignment.role_guid)
    return assignment.name.lower() == expected and (assignment.description or "").startswith(grant_marker(managed_by))


def diff_policy(desired: DesiredPolicy, observed: ObservedPolicy) -> AspectPlan[PolicyAction]:
    actions: list[PolicyAction] = []
    findings: list[Finding] = []
    group, scope = desired.group, desired.group.scope
    by_name = {a.name.lower(): a for a in observed.assignments}
    wanted_grants: set[tuple[str, str, str]] = set()
    wanted_names = {w.name.lower() for w in desired.wanted}
    # Identities of assignments kept as they are while their policy is blocked: their grants stay too.
    held_back: set[str] = set()

    def hold_back(name: str) -> None:
        kept = by_name.get(name.lower())
        if kept is not None and kept.principal_id:
            held_back.add(kept.principal_id.lower())

    for wanted in desired.wanted:
        definition = observed.definitions.get(wanted.spec.definition_id.lower())
        if not isinstance(definition, Assignable):
            why = definition if isinstance(definition, str) else "it could not be read"
            findings.append(Finding(FindingKind.BLOCKED, "PolicyDefinitionUnavailable", f"{wanted.label}: {why}"))
            hold_back(wanted.name)
            continue
        problems = [
            f"missing {', '.join(missing)}"
            for missing in [missing_parameters(definition, wanted.spec.parameters)]
            if missing
        ] + [
            f"undefined {', '.join(extra)}"
            for extra in [undefined_parameters(definition, wanted.spec.parameters)]
            if extra
        ]
        if problems:
            message = f"{wanted.label}: parameters do not fit {wanted.spec.definition_id}: {'; '.join(problems)}"
            findings.append(Finding(FindingKind.BLOCKED, "InvalidPolicyParameters", message))
            hold_back(wanted.name)
            continue
        modifying = remediable(definition, wanted.spec.parameters)
        body = assignment_body(wanted, group, desired.location, desired.managed_by, identity=bool(modifying))
        current = by_name.get(wanted.name.lower())
        put: PutPolicyAssignment | None = None
        if current is None:
            put = PutPolicyAssignment(group, wanted.name, body, new=True)
        elif current.definition_id.lower() != wanted.spec.definition_id.lower():
            removal = DeletePolicyAssignment(group, wanted.name)
            actions.append(removal)
            put = PutPolicyAssignment(group, wanted.name, body, new=True, depends_on=frozenset({removal.key}))
        elif _differs(current, body):
            put = PutPolicyAssignment(group, wanted.name, body, new=False)
        if put is not None:
            actions.append(put)
        if not modifying:
            continue
        # The identity: the current one, unless this PUT creates or (re)adds it.
        keeps_identity = current is not None and (put is None or not put.new) and current.principal_id
        principal = current.principal_id if keeps_identity and current is not None else None
        roles = sorted({role for member in modifying for role in member.role_ids})
        refused = [role for role in roles if role not in desired.allowed_roles]
        if refused:
            findings.append(
                Finding(
                    FindingKind.BLOCKED,
                    "RoleNotAllowed",
                    f"{wanted.label} needs role(s) {', '.join(refused)} for its identity, not in rbac.allowed_roles; "
                    "not granted",
                )
            )
        grant_keys: set[str] = set()
        for role in (r for r in roles if r in desired.allowed_roles):
            grant = Grant(
                scope,
                "product_group",
                principal or "",
                "ServicePrincipal",
                desired.allowed_roles[role],
                role,
                wanted.label,
                scope,
            )
            if principal is not None:
                wanted_grants.add(grant.triple)
                if grant.triple in {g.triple for g in observed.grants}:
                    continue
            action = GrantPolicyIdentity(
                grant,
                wanted.name,
                principal_from=put.key if principal is None and put is not None else None,
                depends_on=frozenset({put.key}) if put is not None and principal is None else frozenset(),
            )
            actions.append(action)
            grant_keys.add(action.key)
        if wanted.spec.remediate:
            after = frozenset(grant_keys | ({put.key} if put is not None else set()))
            for member in modifying:
                remediation = Remediate(group, wanted.name, put_id(group, wanted.name), member.reference_id, after)
                if remediation.artifact.id not in desired.remediated:
                    actions.append(remediation)
    for current in observed.assignments:
        if current.name.lower() in wanted_names:
            continue
        if current.metadata.get("managedBy") == desired.managed_by:
            actions.append(DeletePolicyAssignment(group, current.name))
        else:
            definition_name = current.definition_id.rsplit("/", 1)[-1]
            findings.append(
                Finding(
                    FindingKind.NOTICE,
                    "ForeignPolicyAssignment",
                    f"policy assignment {current.name} ({definition_name}) on the group is not the app's (left as is)",
                )
            )
    for held in observed.grants:
        at_group = held.scope.lower().rstrip("/") == scope.lower()
        kept = held.principal_id.lower() in held_back
        if at_group and owned_grant(held, desired.managed_by) and held.triple not in wanted_grants and not kept:
            actions.append(RevokePolicyIdentity(held))
    return AspectPlan(tuple(actions), tuple(findings))


class PolicyAspect:
    """The configured policy assignments on every product group, remediation-ready."""

    name = NAME

    def __init__(self, config: GovernanceConfig, store: PolicyStore, grants: AssignmentStore) -> None:
        self._config = config
        self._store = store
        self._grants = grants
        self._definition_ids = sorted(
            {
                spec.definition_id
                for domain in config.domains.values()
                for spec in [*domain.policies, *(p for product in domain.products.values() for p in product.policies)]
            },
            key=str.lower,
        )

    def desire(self, subject: Subject) -> DesiredPolicy:
        config = self._config
        wanted = tuple(
            WantedAssignment(spec, policy_assignment_name(config.managed_by, spec.name), label)
            for spec, label in wanted_policies(config, subject)
        )
        record = subject.record
        remediated = frozenset(
            a.id for a in (record.artifacts if record else ()) if a.aspect == NAME and a.kind == "remediation"
        )
        allowed = {role_id: name for name, role_id in config.rbac.allowed_roles.items()}
        return DesiredPolicy(subject.ref, subject.group.location, wanted, config.managed_by, allowed, remediated)

    async def _definitions(self) -> dict[str, Assignable | str]:
        """Every definition the config references (read once per process), or why it is unusable."""

        async def read(definition_id: str) -> Assignable | str:
            try:
                return await self._store.definition(definition_id)
            except Exception as error:
                if error_code(error) in DEFINITION_PROBLEM_CODES:
                    return f"{definition_id} does not exist ({error_code(error)})"
                raise

        found = await asyncio.gather(*(read(definition_id) for definition_id in self._definition_ids))
        return {definition_id.lower(): value for definition_id, value in zip(self._definition_ids, found, strict=True)}

    async def observe(self, target: Target, reads: Reads) -> ObservedPolicy:
        if not self._definition_ids:
            return ObservedPolicy((), {}, ())
        assignments, definitions, grants = await asyncio.gather(
            reads.policy_assignments(target.ref, self._store.list_subscription, self._store.list_at_group),
            self._definitions(),
            reads.role_assignments(target.ref.scope),
        )
        return ObservedPolicy(assignments, definitions, grants)

    async def observe_zone(self, zone: LandingZone, reads: Reads) -> ViaReads[ObservedPolicy]:
        """The shared reads answer from one list of the subscription's assignments (or the run's
        Resource Graph snapshot), and the definitions are read once per process."""
        del zone
        return ViaReads(self.observe, reads)

    def diff(self, desired: DesiredPolicy, observed: ObservedPolicy) -> AspectPlan[PolicyAction]:
        return diff_policy(desired, observed)

    async def execute(self, action: PolicyAction, outputs: Outputs) -> object:
        match action:
            case PutPolicyAssignment(group=group, name=name, body=body):
                return await self._store.create(group.scope, name, body)
            case DeletePolicyAssignment(group=group, name=name):
                await self._store.delete(group.scope, name)
                return None
            case GrantPolicyIdentity(grant=grant, principal_from=source):
                if source is not None:
                    created = outputs.get(source)
                    principal = getattr(created, "principal_id", None)
                    if not principal:
                        raise PolicyIdentityMissing(
                            f"policy assignment {action.assignment} came back without an identity"
                        )
                    grant = replace(grant, principal_id=str(principal))
                await grant_role(self._grants, grant, f"{grant_marker(self._config.managed_by)} {action.assignment}")
                return None
            case RevokePolicyIdentity(assignment=assignment):
                await self._grants.delete(scope=assignment.scope, name=assignment.name)
                return None
            case Remediate(group=group, assignment=assignment, assignment_id=assignment_id, reference_id=reference):
                await self._store.remediate(group, remediation_name(assignment, reference), assignment_id, reference)
                return Remember(added=(action.artifact,))
            case _:
                assert_never(action)

    def interpret(self, action: PolicyAction, error: BaseException) -> Disposition:
        code = error_code(error)
        if isinstance(action, DeletePolicyAssignment) and code == "PolicyAssignmentNotFound":
            return Disposition.DONE
        if isinstance(action, GrantPolicyIdentity):
            if code == "RoleAssignmentExists":
                return Disposition.DONE
            if code == "PrincipalNotFound":
                return Disposition.TRANSIENT  # a new identity replicating to the directory
        if isinstance(action, RevokePolicyIdentity) and code == "RoleAssignmentNotFound":
            return Disposition.DONE
        return disposition(error)

    def retire(self, record: LedgerRecord) -> AspectPlan[PolicyAction]:
        """Nothing outside the group: ARM removed everything this aspect governs with it."""
        del record
        return AspectPlan()


class PolicyIdentityMissing(AzureError):
    """ARM created a modifying assignment without reporting its identity (terminal: look at it)."""
