"""Management groups: the part of the tenant's hierarchy above subscriptions that Policy and RBAC see.

A platform team defines policy definitions and initiatives at a management group, and they apply to
every subscription under it (and to the groups and resources in those). The emulator keeps only
what that needs: each group's name, display name, parent and the subscriptions directly in it.
They are set up through the control API (``PUT /_emulator/managementGroups/{name}``); ARM's own
``Microsoft.Management`` API is not emulated. A subscription sits in at most one group.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ManagementGroup", "ManagementGroups"]


@dataclass
class ManagementGroup:
    name: str
    display_name: str
    parent: str | None = None
    subscriptions: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"/providers/Microsoft.Management/managementGroups/{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "displayName": self.display_name,
            "parent": self.parent,
            "subscriptions": list(self.subscriptions),
        }


class ManagementGroups:
    """The tenant's management groups, by name (case-insensitive, as ARM treats names)."""

    def __init__(self) -> None:
        self._groups: dict[str, ManagementGroup] = {}
        # The group each subscription is directly in (case-folded ids and names), rebuilt on writes.
        self._of_subscription: dict[str, str] = {}
        # How many groups were removed so far (records at a removed group are gone with it).
        self.removals = 0

    def __iter__(self) -> Iterator[ManagementGroup]:
        return iter(self._groups.values())

    def find(self, name: str) -> ManagementGroup | None:
        return self._groups.get(name.casefold())

    def put(
        self, name: str, *, display_name: str | None, parent: str | None, subscriptions: Iterable[str]
    ) -> tuple[ManagementGroup, bool]:
        """Create or replace a group; its subscriptions leave any other group. ``ValueError`` if invalid."""
        key = name.casefold()
        if parent is not None:
            if self.find(parent) is None:
                raise ValueError(f"the parent management group '{parent}' does not exist")
            if key in {group.name.casefold() for group in self._chain(parent)}:
                raise ValueError(f"'{parent}' is '{name}' or below it: a management group cannot contain itself")
        wanted = list(dict.fromkeys(subscriptions))
        moved = {subscription.casefold() for subscription in wanted}
        for other in self._groups.values():
            if other.name.casefold() != key:
                other.subscriptions = [s for s in other.subscriptions if s.casefold() not in moved]
        existing = self._groups.get(key)
        group = ManagementGroup(existing.name if existing else name, display_name or name, parent, wanted)
        self._groups[key] = group
        self._reindex()
        return group, existing is None

    def remove(self, name: str) -> bool:
        """Remove an empty-of-children group; ``ValueError`` if other groups sit below it."""
        key = name.casefold()
        if key not in self._groups:
            return False
        children = [group.name for group in self._groups.values() if (group.parent or "").casefold() == key]
        if children:
            raise ValueError(f"the management group '{name}' still has child groups: {', '.join(children)}")
        del self._groups[key]
        self.removals += 1
        self._reindex()
        return True

    def _reindex(self) -> None:
        self._of_subscription = {}
        for key, group in self._groups.items():
            for subscription in group.subscriptions:
                self._of_subscription.setdefault(subscription.casefold(), key)

    def _chain(self, name: str) -> list[ManagementGroup]:
        chain: list[ManagementGroup] = []
        current = self.find(name)
        while current is not None and current not in chain:
            chain.append(current)
            current = self.find(current.parent) if current.parent else None
        return chain

    def ancestry(self, name: str) -> list[ManagementGroup]:
        """The group and the groups above it, the topmost first."""
        return list(reversed(self._chain(name)))

    def of_subscription(self, subscription_id: str) -> list[ManagementGroup]:
        """The groups a subscription is in, directly or through parents, the topmost first."""
        key = self._of_subscription.get(subscription_id.casefold())
        return self.ancestry(self._groups[key].name) if key is not None else []
