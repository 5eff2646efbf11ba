"""Resource groups, the resources in them and group tags, through ``azure-mgmt-resource`` (async).

This adapter is the shared inventory every aspect reads through (``shared.reads.Inventory``) and
the tags aspect's writer. One ``ResourceManagementClient`` per subscription, all sharing one aiohttp
session (one connection pool) and one credential (one token cache).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import ResourceGroup, Tags, TagsPatchResource

from shared.azure.clients import ArmClients
from shared.model import GroupRef, ObservedGroup, ObservedResource, frozen_tags


def _observed(ref: GroupRef, group: ResourceGroup) -> ObservedGroup:
    state = group.properties.provisioning_state if group.properties is not None else None
    return ObservedGroup(
        ref=ref,
        location=group.location,
        tags=frozen_tags(group.tags),
        provisioning_state=state or "Succeeded",
    )


def _resource(item: Any) -> ObservedResource:
    return ObservedResource(
        id=item.id or "",
        name=item.name or "",
        type=item.type or "",
        location=item.location or "",
        kind=item.kind,
        tags=frozen_tags(item.tags),
    )


class ResourceGroups:
    """Observe resource groups and their resources; write group tags."""

    def __init__(self, clients: ArmClients) -> None:
        self._clients = clients

    def _client(self, subscription_id: str) -> ResourceManagementClient:
        return self._clients.resources(subscription_id)

    async def get_group(self, ref: GroupRef) -> ObservedGroup | None:
        """One GET; None when the group does not exist (a terminal outcome, not an error)."""
        try:
            group = await self._client(ref.subscription_id).resource_groups.get(ref.name)
        except ResourceNotFoundError:
            return None
        return _observed(ref, group)  # the ref asked for, never a name echoed back

    async def list_groups(self, subscription_id: str) -> AsyncIterator[ObservedGroup]:
        """Every group in the subscription with its tags, page by page: never a GET per group."""
        async for group in self._client(subscription_id).resource_groups.list():
            yield _observed(GroupRef(subscription_id, group.name or ""), group)

    async def list_group_resources(self, ref: GroupRef) -> tuple[ObservedResource, ...]:
        """The resources in one group (one paged list); empty when the group is gone."""
        client = self._client(ref.subscription_id)
        try:
            return tuple([_resource(item) async for item in client.resources.list_by_resource_group(ref.name)])
        except ResourceNotFoundError:
            return ()

    async def list_resources(self, subscription_id: str) -> AsyncIterator[ObservedResource]:
        """Every resource in the subscription, page by page (bulk reconcile indexes them by group)."""
        async for item in self._client(subscription_id).resources.list():
            yield _resource(item)

    async def resource_properties(self, resource_id: str, api_version: str) -> Mapping[str, Any] | None:
        """One resource's provider properties (endpoints and the like); None when it is gone."""
        subscription = resource_id.strip("/").split("/")[1]
        try:
            resource = await self._client(subscription).resources.get_by_id(resource_id, api_version=api_version)
        except ResourceNotFoundError:
            return None
        return dict(resource.properties or {})

    async def create_group(self, ref: GroupRef, *, location: str, tags: Mapping[str, str]) -> ObservedGroup:
        """PUT a resource group (the visualization groups the app owns); an existing one is updated."""
        body = ResourceGroup(location=location, tags=dict(tags))
        group = await self._client(ref.subscription_id).resource_groups.create_or_update(ref.name, body)
        return _observed(ref, group)

    async def merge_tags(self, ref: GroupRef, tags: Mapping[str, str]) -> None:
        """PATCH tags-at-scope with operation Merge: adds or overwrites only the given names."""
        patch = TagsPatchResource(operation="Merge", properties=Tags(tags=dict(tags)))
        poller = await self._client(ref.subscription_id).tags.begin_update_at_scope(ref.scope, patch)
        await poller.result()
