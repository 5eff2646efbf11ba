"""Everything RBAC, Policy and PolicyInsights hold, and the directory their checks consult.

One object so the emulator state gains a single attribute and ``reset`` a single line. Built-in role
and policy definitions are not here: they are constants of the providers and survive a reset.

The directory ARM consults for a role assignment's principal is three sources: principals added
through the control API (visible after the replication delay set when they were added), the
emulator's managed identities (the system-assigned one and every user-assigned one a token was
issued for), and the system-assigned identities of live policy assignments (visible after the delay
set when the assignment was created, gone with the assignment).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ...control.models import EmulatorIdentity
from ...directory.principals import Principal, Principals
from ...identity.tokens import TokenIssuer
from ..management_groups import ManagementGroups
from ..store import Store
from .index import ScopedRecords
from .records import PolicyAssignment, PolicyDefinition, Remediation, RoleAssignment

__all__ = ["AccessState"]


class AccessState:
    """Role assignments, custom policy definitions and sets, policy assignments, remediations,
    management groups and the directory's principals."""

    def __init__(self, issuer: TokenIssuer, *, others: Callable[[], Iterable[tuple[str, str]]] | None = None) -> None:
        self._issuer = issuer
        # Service principals other services own (a Purview account's identity): (object id, display name).
        self._others = others
        self.principals = Principals()
        self.management_groups = ManagementGroups()
        # Role assignment names are unique in the whole tenant, so they are keyed by name alone.
        self.role_assignments: ScopedRecords[RoleAssignment] = ScopedRecords()
        # Custom definitions and sets, and assignments and remediations, keyed by their case-folded ids.
        self.policy_definitions: ScopedRecords[PolicyDefinition] = ScopedRecords()
        self.policy_assignments: ScopedRecords[PolicyAssignment] = ScopedRecords(tag=_identity_of)
        self.remediations: ScopedRecords[Remediation] = ScopedRecords()
        # How far :meth:`prune` has followed the store's and the management groups' removals.
        self._pruned: tuple[Store, int, int] | None = None

    def prune(self, store: Store) -> None:
        """Forget records whose scope is gone: ARM deletes extension resources with their scope.

        Only records in a group the store removed something from (or replaced) since the last
        prune, and records at management groups once one was removed, are looked at; a store not
        seen before is swept whole.
        """
        groups = self.management_groups

        def alive(record: RoleAssignment | PolicyAssignment | Remediation | PolicyDefinition) -> bool:
            return record.scope.anchor.alive(store, groups)

        pruned, removals = self._pruned, len(store.removals)
        every = (self.role_assignments, self.policy_assignments, self.remediations, self.policy_definitions)
        if pruned is None or pruned[0] is not store:
            for records in every:
                records.drop_dead(alive)
        else:
            if pruned[1] != removals:
                touched = set(store.removals[pruned[1] :])
                for records in every:
                    records.drop_dead(alive, touched)
            if pruned[2] != groups.removals:
                for records in every:
                    records.drop_dead_in_management_groups(alive)
        self._pruned = (store, removals, groups.removals)

    def directory(self, store: Store) -> list[Principal]:
        """Every principal of the tenant, visible to ARM yet or not."""
        self.prune(store)
        found: dict[str, Principal] = {principal.id: principal for principal in self.principals}
        for identity in self._issuer.known_identities():
            found.setdefault(identity.principal_id.casefold(), self._managed_identity(identity))
        for other_id, other_name in self._others() if self._others is not None else ():
            found.setdefault(other_id.casefold(), _other_service(other_id, other_name))
        for assignment in self.policy_assignments.values():
            principal = _policy_identity(assignment)
            if principal is not None:
                found.setdefault(principal.id, principal)
        return list(found.values())

    def find_principal(self, principal_id: str, store: Store) -> Principal | None:
        """The principal with this object id, visible to ARM yet or not (see :meth:`Principal.visible`).

        What :meth:`directory` would list for it, without building the directory (every role
        assignment PUT asks): the policy assignments' identities are looked up by their index, and
        the other services' identities (whose listing walks the store) only when nothing else has
        the id — object ids are GUIDs, so no two kinds of principal share one.
        """
        self.prune(store)
        wanted = principal_id.casefold()
        for principal in self.principals:
            if principal.id == wanted:
                return principal
        for identity in self._issuer.known_identities():
            if identity.principal_id.casefold() == wanted:
                return self._managed_identity(identity)
        for assignment in self.policy_assignments.tagged(wanted):
            return _policy_identity(assignment)
        for other_id, other_name in self._others() if self._others is not None else ():
            if other_id.casefold() == wanted:
                return _other_service(other_id, other_name)
        return None

    def _managed_identity(self, identity: EmulatorIdentity) -> Principal:
        name = (
            "emulator system-assigned identity"
            if identity == self._issuer.system_identity
            else (f"user-assigned identity {identity.client_id}")
        )
        return Principal(identity.principal_id.casefold(), "ServicePrincipal", name, source="managedIdentity")

    def dump(self, store: Store) -> dict[str, Any]:
        """For ``GET /_emulator/state``: what RBAC and Policy hold."""
        self.prune(store)
        return {
            "managementGroups": [group.to_json() for group in self.management_groups],
            "roleAssignments": [assignment.to_json() for assignment in self.role_assignments.values()],
            "policyDefinitions": [definition.to_json() for definition in self.policy_definitions.values()],
            "policyAssignments": [assignment.to_json() for assignment in self.policy_assignments.values()],
            "remediations": [
                remediation.properties | {"id": remediation.id} for remediation in self.remediations.values()
            ],
        }


def _identity_of(assignment: PolicyAssignment) -> str | None:
    """A policy assignment's identity's object id (case-folded): its tag in the index."""
    principal_id = assignment.principal_id
    return principal_id.casefold() if principal_id is not None else None


def _policy_identity(assignment: PolicyAssignment) -> Principal | None:
    key = _identity_of(assignment)
    if key is None:
        return None
    return Principal(
        key,
        "ServicePrincipal",
        assignment.name,
        visible_at=assignment.identity_visible_at,
        source="policyAssignment",
    )


def _other_service(principal_id: str, name: str) -> Principal:
    return Principal(principal_id.casefold(), "ServicePrincipal", name, source="managedIdentity")
