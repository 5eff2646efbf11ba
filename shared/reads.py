"""The shared ARM reads of one reconcile: each thing read once, however many aspects ask.

``GroupReads`` serves a single-group reconcile: the first ask starts the GET (or list) and every
later ask awaits the same task, so the reconciler and each aspect can observe concurrently in one
round trip without repeating a request. ``ZoneReads`` serves a bulk reconcile of one landing zone:
groups arrive from the subscription's paged list as the reconciler streams it, and the resources,
role assignments and policy assignments of every group come from one paged list per kind for the
whole subscription, started on first ask. In a large run (``GraphSnapshot``) groups, role
assignments and policy assignments come from Resource Graph instead, one query per kind for every
landing zone of the run; a group the reconciler must confirm is then ``refresh``-ed: its reads go
to ARM again.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable, Iterable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from shared.config import LandingZone
from shared.model import GroupRef, ObservedAssignment, ObservedGroup, ObservedPolicyAssignment, ObservedResource

T = TypeVar("T")


class Inventory(Protocol):
    """The ARM reads every aspect may share (implemented by ``shared.azure.resource_groups``)."""

    async def get_group(self, ref: GroupRef) -> ObservedGroup | None: ...

    def list_groups(self, subscription_id: str) -> AsyncIterator[ObservedGroup]: ...

    async def list_group_resources(self, ref: GroupRef) -> tuple[ObservedResource, ...]: ...

    def list_resources(self, subscription_id: str) -> AsyncIterator[ObservedResource]: ...

    async def list_role_assignments_at(self, scope: str) -> tuple[ObservedAssignment, ...]: ...

    def list_role_assignments(self, subscription_id: str) -> AsyncIterator[ObservedAssignment]: ...


PolicyListing = Callable[[str], AsyncIterator[ObservedPolicyAssignment]]
"""A subscription's policy assignments from ARM, page by page (the policy aspect's store)."""
PolicyAtGroup = Callable[[GroupRef], Coroutine[Any, Any, tuple[ObservedPolicyAssignment, ...]]]
"""The policy assignments made exactly at a group, from ARM (the policy aspect's store)."""


class EstateIndex(Protocol):
    """Many subscriptions' groups and assignments from one index that lags ARM
    (``shared.azure.resource_graph``).

    Good for finding drift, not for acting on it: a group created after the index saw ARM is
    missing, and what it says of a group may be stale.
    """

    def list_groups(self, subscription_ids: Sequence[str]) -> AsyncIterator[ObservedGroup]: ...

    def list_role_assignments(self, subscription_ids: Sequence[str]) -> AsyncIterator[ObservedAssignment]: ...

    def list_policy_assignments(self, subscription_ids: Sequence[str]) -> AsyncIterator[ObservedPolicyAssignment]: ...


class GraphSnapshot:
    """One bulk run's reads from the estate index: each kind is one query over every landing zone's
    subscription, started on the first ask (a run whose aspects never ask for policy assignments
    sends no policy query), and answered by subscription."""

    def __init__(self, index: EstateIndex, subscription_ids: Sequence[str]) -> None:
        self._index = index
        self._subscriptions = list(dict.fromkeys(subscription_ids))
        self._queries: SingleFlight[dict[str, list[Any]]] = SingleFlight()

    async def groups(self, subscription_id: str) -> list[ObservedGroup]:
        by_subscription = await self._queries.get("groups", lambda: self._by_subscription(self._index.list_groups))
        return by_subscription.get(subscription_id.lower(), [])

    async def role_assignments(self, subscription_id: str) -> list[ObservedAssignment]:
        listing = self._index.list_role_assignments
        by_subscription = await self._queries.get("roles", lambda: self._by_subscription(listing))
        return by_subscription.get(subscription_id.lower(), [])

    async def policy_assignments(self, subscription_id: str) -> list[ObservedPolicyAssignment]:
        listing = self._index.list_policy_assignments
        by_subscription = await self._queries.get("policies", lambda: self._by_subscription(listing))
        return by_subscription.get(subscription_id.lower(), [])

    async def _by_subscription(self, listing: Callable[[Sequence[str]], AsyncIterator[Any]]) -> dict[str, list[Any]]:
        found: defaultdict[str, list[Any]] = defaultdict(list)
        async for item in listing(self._subscriptions):
            scope = item.ref.scope if isinstance(item, ObservedGroup) else item.scope
            found[subscription_of(scope)].append(item)
        return dict(found)

    async def close(self) -> None:
        await self._queries.close()


class SingleFlight(Generic[T]):
    """One task per key, shared by every caller; a cancelled caller does not cancel the others."""

    def __init__(self) -> None:
        self._tasks: dict[Hashable, asyncio.Task[T]] = {}

    async def get(self, key: Hashable, load: Callable[[], Coroutine[Any, Any, T]]) -> T:
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = asyncio.create_task(load())
        return await asyncio.shield(task)

    async def close(self) -> None:
        """Cancel reads nobody awaits any more, and collect their outcomes."""
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)


class GroupReads:
    """Reads for one group's reconcile (and the other groups its aspects look at)."""

    def __init__(self, inventory: Inventory) -> None:
        self._inventory = inventory
        self._groups: SingleFlight[ObservedGroup | None] = SingleFlight()
        self._resources: SingleFlight[tuple[ObservedResource, ...]] = SingleFlight()
        self._assignments: SingleFlight[tuple[ObservedAssignment, ...]] = SingleFlight()
        self._policies: SingleFlight[tuple[ObservedPolicyAssignment, ...]] = SingleFlight()
        self._once: SingleFlight[Any] = SingleFlight()

    async def group(self, ref: GroupRef) -> ObservedGroup | None:
        return await self._groups.get(ref.key, lambda: self._inventory.get_group(ref))

    async def resources(self, ref: GroupRef) -> tuple[ObservedResource, ...]:
        return await self._resources.get(ref.key, lambda: self._inventory.list_group_resources(ref))

    async def role_assignments(self, scope: str) -> tuple[ObservedAssignment, ...]:
        """Assignments at ``scope`` and below it (what is inherited from above is dropped)."""
        listed = await self._assignments.get(scope.lower(), lambda: self._inventory.list_role_assignments_at(scope))
        return tuple(assignment for assignment in listed if within(assignment.scope, scope))

    async def policy_assignments(
        self, ref: GroupRef, listing: PolicyListing, at_group: PolicyAtGroup
    ) -> tuple[ObservedPolicyAssignment, ...]:
        """Made exactly at the group: one read at the group (``listing`` is for bulk reads)."""
        del listing
        return await self._policies.get(ref.key, lambda: at_group(ref))

    async def once(self, key: str, load: Callable[[], Coroutine[Any, Any, T]]) -> T:
        result: T = await self._once.get(key, load)
        return result

    async def close(self) -> None:
        await self._groups.close()
        await self._policies.close()
        await self._resources.close()
        await self._assignments.close()
        await self._once.close()


class ZoneReads:
    """Reads for a bulk reconcile of one landing zone, answered from subscription-wide lists (or
    from the run's Resource Graph snapshot), except for the groups the reconciler ``refresh``-ed."""

    def __init__(
        self,
        inventory: Inventory,
        zone: LandingZone,
        estate: SingleFlight[Any],
        snapshot: GraphSnapshot | None = None,
    ) -> None:
        self._inventory = inventory
        self._zone = zone
        self._estate = estate  # reads shared by every landing zone of the run
        self._snapshot = snapshot
        self._groups: dict[str, ObservedGroup] = {}
        self._listed = asyncio.get_running_loop().create_future()
        self._resources: asyncio.Task[dict[str, tuple[ObservedResource, ...]]] | None = None
        self._assignments: asyncio.Task[dict[str, tuple[ObservedAssignment, ...]]] | None = None
        self._policies: asyncio.Task[dict[str, tuple[ObservedPolicyAssignment, ...]]] | None = None
        self._fresh: set[str] = set()  # groups (lower-cased names) whose reads go to ARM
        self._live = GroupReads(inventory)

    # -- fed by the reconciler as it streams the group list ------------------------------------

    def add(self, group: ObservedGroup) -> None:
        self._groups[group.ref.name.lower()] = group

    def listed(self, ref: GroupRef) -> bool:
        """Whether the (complete) listing held this group."""
        return ref.name.lower() in self._groups

    def complete(self) -> None:
        if not self._listed.done():
            self._listed.set_result(None)

    def fail(self, error: BaseException) -> None:
        if not self._listed.done():
            self._listed.set_exception(error)
            self._listed.exception()  # retrieved here; every waiter still gets it raised

    def refresh(self, names: Iterable[str]) -> None:
        """From now on, answer for these groups of the zone from ARM (single flight per group and
        kind): the groups Resource Graph showed drifted, before anything is written for them."""
        self._fresh.update(name.lower() for name in names)

    # -- the Reads protocol -----------------------------------------------------------------------

    async def group(self, ref: GroupRef) -> ObservedGroup | None:
        if self._is_fresh(ref.scope):
            return await self._live.group(ref)
        found = self._groups.get(ref.name.lower())
        if found is None and ref.subscription_id.lower() == self._zone.subscription_id:
            await asyncio.shield(self._listed)
            found = self._groups.get(ref.name.lower())
        return found

    async def resources(self, ref: GroupRef) -> tuple[ObservedResource, ...]:
        if self._resources is None:
            self._resources = asyncio.ensure_future(self._list_resources())
        index = await asyncio.shield(self._resources)
        return index.get(ref.name.lower(), ())

    async def role_assignments(self, scope: str) -> tuple[ObservedAssignment, ...]:
        """From one list of the subscription's assignments, indexed by group, started on first ask."""
        group = group_of(scope)
        if self._is_fresh(scope):
            return await self._live.role_assignments(scope)
        if self._assignments is None:
            self._assignments = asyncio.ensure_future(self._list_assignments())
        index = await asyncio.shield(self._assignments)
        return tuple(a for a in index.get(group, ()) if within(a.scope, scope)) if group else ()

    async def policy_assignments(
        self, ref: GroupRef, listing: PolicyListing, at_group: PolicyAtGroup
    ) -> tuple[ObservedPolicyAssignment, ...]:
        """Made exactly at the group: from one list of the subscription's (``listing``) or the run's
        snapshot, indexed by scope, started on first ask; from ARM (``at_group``) once refreshed."""
        if self._is_fresh(ref.scope):
            return await self._live.policy_assignments(ref, listing, at_group)
        if self._policies is None:
            self._policies = asyncio.ensure_future(self._list_policies(listing))
        index = await asyncio.shield(self._policies)
        return index.get(ref.scope.lower(), ())

    async def once(self, key: str, load: Callable[[], Coroutine[Any, Any, T]]) -> T:
        result: T = await self._estate.get(key, load)
        return result

    def _is_fresh(self, scope: str) -> bool:
        return (
            bool(self._fresh)
            and subscription_of(scope) == self._zone.subscription_id.lower()
            and (group_of(scope) in self._fresh)
        )

    async def _list_assignments(self) -> dict[str, tuple[ObservedAssignment, ...]]:
        by_group: defaultdict[str, list[ObservedAssignment]] = defaultdict(list)
        if self._snapshot is not None:
            listed: Iterable[ObservedAssignment] = await self._snapshot.role_assignments(self._zone.subscription_id)
        else:
            listed = [a async for a in self._inventory.list_role_assignments(self._zone.subscription_id)]
        for assignment in listed:
            group = group_of(assignment.scope)
            if group:
                by_group[group].append(assignment)
        return {name: tuple(items) for name, items in by_group.items()}

    async def _list_policies(self, listing: PolicyListing) -> dict[str, tuple[ObservedPolicyAssignment, ...]]:
        by_scope: defaultdict[str, list[ObservedPolicyAssignment]] = defaultdict(list)
        if self._snapshot is not None:
            listed: Iterable[ObservedPolicyAssignment] = await self._snapshot.policy_assignments(
                self._zone.subscription_id
            )
        else:
            listed = [a async for a in listing(self._zone.subscription_id)]
        for assignment in listed:
            by_scope[assignment.scope.lower().rstrip("/")].append(assignment)
        return {scope: tuple(items) for scope, items in by_scope.items()}

    async def _list_resources(self) -> dict[str, tuple[ObservedResource, ...]]:
        by_group: defaultdict[str, list[ObservedResource]] = defaultdict(list)
        async for resource in self._inventory.list_resources(self._zone.subscription_id):
            by_group[group_of(resource.id)].append(resource)
        return {name: tuple(resources) for name, resources in by_group.items()}

    async def close(self) -> None:
        if not self._listed.done():
            self._listed.cancel()
        for task in (self._resources, self._assignments, self._policies):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self._live.close()


def group_of(resource_id: str) -> str:
    """The (lower-cased) group name in ``/subscriptions/{s}/resourceGroups/{g}[/providers/…]``."""
    parts = resource_id.split("/")
    for index, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            return parts[index + 1].lower()
    return ""


def within(scope: str, parent: str) -> bool:
    """``scope`` is ``parent`` or below it (scopes compare case-insensitively)."""
    scope, parent = scope.lower().rstrip("/"), parent.lower().rstrip("/")
    return scope == parent or scope.startswith(parent + "/")


def subscription_of(scope: str) -> str:
    """The (lower-cased) subscription id in ``/subscriptions/{s}/…``."""
    parts = scope.strip("/").split("/")
    return parts[1].lower() if len(parts) > 1 and parts[0].lower() == "subscriptions" else ""
