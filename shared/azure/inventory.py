"""The ARM reads every aspect shares (``shared.reads.Inventory``): groups, resources, role assignments."""

from __future__ import annotations

from collections.abc import AsyncIterator

from shared.azure.resource_groups import ResourceGroups
from shared.azure.role_assignments import RoleAssignments
from shared.model import GroupRef, ObservedAssignment, ObservedGroup, ObservedResource


class ArmInventory:
    """Delegates each shared read to the adapter that owns that resource type."""

    def __init__(self, groups: ResourceGroups, assignments: RoleAssignments) -> None:
        self._groups = groups
        self._assignments = assignments

    async def get_group(self, ref: GroupRef) -> ObservedGroup | None:
        return await self._groups.get_group(ref)

    def list_groups(self, subscription_id: str) -> AsyncIterator[ObservedGroup]:
        return self._groups.list_groups(subscription_id)

    async def list_group_resources(self, ref: GroupRef) -> tuple[ObservedResource, ...]:
        return await self._groups.list_group_resources(ref)

    def list_resources(self, subscription_id: str) -> AsyncIterator[ObservedResource]:
        return self._groups.list_resources(subscription_id)

    async def list_role_assignments_at(self, scope: str) -> tuple[ObservedAssignment, ...]:
        return await self._assignments.list_at(scope)

    def list_role_assignments(self, subscription_id: str) -> AsyncIterator[ObservedAssignment]:
        return self._assignments.list_subscription(subscription_id)
