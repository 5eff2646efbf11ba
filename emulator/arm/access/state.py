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
        self.policy_assignments: ScopedRecords[PolicyAssignment] = ScopedRecords()
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
            key = identity.principal_id.casefold()
            name = (
                "emulator system-assigned identity"
                if identity == self._issuer.system_identity
                else (f"user-assigned identity {identity.client_id}")
            )
            found.setdefault(key, Principal(key, "ServicePrincipal", name, source="managedIdentity"))
        for other_id, other_name in self._others() if self._others is not None else ():
            key = other_id.casefold()
            found.setdefault(key, Principal(key, "ServicePrincipal", other_name, source="managedIdentity"))
        for assignment in self.policy_assignments.values():
            principal_id = assignment.principal_id
            if principal_id is not None:
                key = principal_id.casefold()
                found.setdefault(
                    key,
                    Principal(
                        key,
                        "ServicePrincipal",
                        assignment.name,
                        visible_at=assignment.identity_visible_at,
                        source="policyAssignment",
                    ),
                )
        return list(found.values())

    def find_principal(self, principal_id: str, store: Store) -> Principal | None:
        """The principal with this object id, visible to ARM yet or not (see :meth:`Principal.visible`)."""
        wanted = principal_id.casefold()
        return next((principal for principal in self.directory(store) if principal.id == wanted), None)

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
