"""Role assignments and role definitions, through ``azure-mgmt-authorization`` (async, 2022-04-01).

Reads: the assignments at a scope (at, above and below it: the product group's list also holds its
resources' assignments) or, in bulk, every assignment of a subscription with one paged list.
Writes: create with a caller-chosen GUID name and always a ``principalType`` (ARM's documented
defence against directory replication delay for new principals), delete by scope and name.

Role names are resolved to role definition ids through the role-definitions API once per process
(per subscription and name) and checked against the id the config's allow-list holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

from shared.azure.clients import ArmClients
from shared.model import ObservedAssignment


class RoleNotResolvable(AzureError):
    """The role name does not resolve to the role definition id the allow-list names (terminal)."""


def observed_role_assignment(item: object) -> ObservedAssignment:
    """An SDK role assignment (from a list, or deserialized from a Resource Graph row) as the app sees it."""
    return ObservedAssignment(
        name=str(getattr(item, "name", "") or ""),
        scope=str(getattr(item, "scope", "") or ""),
        principal_id=str(getattr(item, "principal_id", "") or "").lower(),
        principal_type=str(getattr(item, "principal_type", "") or ""),
        role_definition_id=str(getattr(item, "role_definition_id", "") or ""),
        description=getattr(item, "description", None),
    )


def subscription_of(scope: str) -> str:
    parts = scope.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0].lower() == "subscriptions" else ""


class RoleAssignments:
    """The RBAC aspect's adapter, and the grant path the policy and Purview aspects share."""

    def __init__(self, clients: ArmClients) -> None:
        self._clients = clients
        self._roles: dict[tuple[str, str], asyncio.Task[str]] = {}

    async def list_at(self, scope: str) -> tuple[ObservedAssignment, ...]:
        """Assignments that apply at ``scope`` (at, above and below); empty if the scope is gone."""
        client = self._clients.authorization(subscription_of(scope))
        try:
            listed = client.role_assignments.list_for_scope(scope)
            return tuple([observed_role_assignment(item) async for item in listed])
        except ResourceNotFoundError:
            return ()

    async def list_subscription(self, subscription_id: str) -> AsyncIterator[ObservedAssignment]:
        """Every assignment of the subscription (and below), page by page: bulk reconcile's one list."""
        client = self._clients.authorization(subscription_id)
        async for item in client.role_assignments.list_for_subscription():
            yield observed_role_assignment(item)

    async def role_definition_id(self, subscription_id: str, role_name: str, expected_guid: str) -> str:
        """The full role definition id of ``role_name``, resolved once per process and checked."""
        key = (subscription_id.lower(), role_name)
        task = self._roles.get(key)
        if task is None or (task.done() and task.exception() is not None):
            task = self._roles[key] = asyncio.ensure_future(self._resolve(subscription_id, role_name))
        resolved = await asyncio.shield(task)
        if resolved.rstrip("/").rsplit("/", 1)[-1].lower() != expected_guid.lower():
            raise RoleNotResolvable(
                f"role {role_name!r} resolves to {resolved} in Azure, not to the allow-listed id {expected_guid}"
            )
        return resolved

    async def _resolve(self, subscription_id: str, role_name: str) -> str:
        client = self._clients.authorization(subscription_id)
        escaped = role_name.replace("'", "''")
        found = [
            definition.id
            async for definition in client.role_definitions.list(
                f"/subscriptions/{subscription_id}", filter=f"roleName eq '{escaped}'"
            )
            if definition.id
        ]
        if not found:
            raise RoleNotResolvable(f"no role definition named {role_name!r} in subscription {subscription_id}")
        return str(found[0])

    async def create(
        self,
        *,
        scope: str,
        name: str,
        role_definition_id: str,
        principal_id: str,
        principal_type: str,
        description: str,
    ) -> ObservedAssignment:
        client = self._clients.authorization(subscription_of(scope))
        parameters = RoleAssignmentCreateParameters(
            role_definition_id=role_definition_id,
            principal_id=principal_id,
            principal_type=principal_type,
            description=description,
        )
        return observed_role_assignment(await client.role_assignments.create(scope, name, parameters))

    async def delete(self, *, scope: str, name: str) -> None:
        """Delete by scope and name; an assignment already gone is fine (ARM answers 204)."""
        client = self._clients.authorization(subscription_of(scope))
        await client.role_assignments.delete(scope, name)
