"""A mapping of scope-bound records that keeps them indexed by scope, subscription and group.

The handlers read and write it as the dict it replaces (same keys, same insertion order); the
indexes, maintained on every write, let a list at a scope and the pruning of records whose scope
was deleted look at the records concerned rather than at all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, ItemsView, Iterator, KeysView, MutableMapping, ValuesView
from typing import Protocol, TypeVar

from ..scopes import ResolvedScope

__all__ = ["GroupKey", "ScopedRecords"]

# A resource group as the indexes name it: (case-folded subscription id, case-folded group name).
GroupKey = tuple[str, str]


class _Scoped(Protocol):
    @property
    def scope(self) -> ResolvedScope: ...


R = TypeVar("R", bound=_Scoped)
K = TypeVar("K")
V = TypeVar("V")


def _subscription_of(scope: ResolvedScope) -> str | None:
    subscription_id = scope.scope.subscription_id
    return subscription_id.casefold() if subscription_id is not None else None


def _group_of(scope: ResolvedScope) -> GroupKey | None:
    subscription_id, group = scope.scope.subscription_id, scope.scope.group
    if subscription_id is None or group is None:
        return None
    return subscription_id.casefold(), group.casefold()


class ScopedRecords(MutableMapping[str, R]):
    """Records by key (insertion-ordered, as a dict), indexed by scope key, subscription and group."""

    def __init__(self, tag: Callable[[R], str | None] | None = None) -> None:
        # ``tag``: one more lookup key of a record (e.g. its identity's object id), indexed as well;
        # a record is never changed after it is stored (a PUT stores a new one), so the tag holds.
        self._tag = tag
        self._by_tag: dict[str, dict[str, R]] = {}
        self._items: dict[str, R] = {}
        # Position of each key in ``_items`` (kept when a key's record is replaced, as a dict keeps it).
        self._seq: dict[str, int] = {}
        self._next = 0
        self._by_scope: dict[str, dict[str, R]] = {}
        self._by_subscription: dict[str, dict[str, R]] = {}
        self._by_group: dict[GroupKey, dict[str, R]] = {}
        self._in_management_groups: dict[str, R] = {}

    # The mapping.

    def __getitem__(self, key: str) -> R:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: str, default: R | None = None) -> R | None:  # type: ignore[override]
        return self._items.get(key, default)

    def keys(self) -> KeysView[str]:
        return self._items.keys()

    def values(self) -> ValuesView[R]:
        return self._items.values()

    def items(self) -> ItemsView[str, R]:
        return self._items.items()

    def __setitem__(self, key: str, record: R) -> None:
        previous = self._items.get(key)
        if previous is not None:
            self._unindex(key, previous)
        else:
            self._seq[key] = self._next
            self._next += 1
        self._items[key] = record
        self._index(key, record)

    def __delitem__(self, key: str) -> None:
        record = self._items.pop(key)
        del self._seq[key]
        self._unindex(key, record)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"

    # The indexes.

    def _index(self, key: str, record: R) -> None:
        scope = record.scope
        self._by_scope.setdefault(scope.key, {})[key] = record
        subscription = _subscription_of(scope)
        if subscription is not None:
            self._by_subscription.setdefault(subscription, {})[key] = record
        group = _group_of(scope)
        if group is not None:
            self._by_group.setdefault(group, {})[key] = record
        if scope.anchor.management_group is not None:
            self._in_management_groups[key] = record
        tag = self._tag(record) if self._tag is not None else None
        if tag is not None:
            self._by_tag.setdefault(tag, {})[key] = record

    def _unindex(self, key: str, record: R) -> None:
        scope = record.scope
        _discard(self._by_scope, scope.key, key)
        subscription = _subscription_of(scope)
        if subscription is not None:
            _discard(self._by_subscription, subscription, key)
        group = _group_of(scope)
        if group is not None:
            _discard(self._by_group, group, key)
        self._in_management_groups.pop(key, None)
        tag = self._tag(record) if self._tag is not None else None
        if tag is not None:
            _discard(self._by_tag, tag, key)

    def _ordered(self, keys: Collection[str]) -> list[R]:
        """The records of these keys in the mapping's order."""
        return [self._items[key] for key in sorted(keys, key=self._seq.__getitem__)]

    def tagged(self, tag: str) -> list[R]:
        """The records whose tag is ``tag``, in insertion order."""
        return self._ordered(self._by_tag.get(tag, {}).keys())

    def at(self, scope_key: str) -> list[R]:
        """The records exactly at a scope (by its case-folded id), in the mapping's order."""
        return list(self._by_scope.get(scope_key, {}).values())

    def at_any(self, scope_keys: Collection[str]) -> list[R]:
        """The records at any of these scopes (case-folded ids), in the mapping's order."""
        keys: set[str] = set()
        for scope_key in scope_keys:
            keys.update(self._by_scope.get(scope_key, {}))
        return self._ordered(keys)

    def near(self, scope_keys: Collection[str], *, subscription_id: str | None, group: str | None) -> list[R]:
        """A superset of the records at, above or below a scope, in the mapping's order: those at
        ``scope_keys`` (the scope and what is above it) and those in its group, else in its
        subscription, else (tenant or management group) all of them."""
        if subscription_id is None:
            return list(self._items.values())
        keys = {key for scope_key in scope_keys for key in self._by_scope.get(scope_key, {})}
        if group is not None:
            keys.update(self._by_group.get((subscription_id.casefold(), group.casefold()), {}))
        else:
            keys.update(self._by_subscription.get(subscription_id.casefold(), {}))
        return self._ordered(keys)

    def drop_dead(self, alive: Callable[[R], bool], groups: Collection[GroupKey] | None = None) -> None:
        """Forget the records ``alive`` rejects: all of them, or only those in ``groups``."""
        if groups is None:
            candidates = list(self._items.items())
        else:
            candidates = [item for group in groups for item in self._by_group.get(group, {}).items()]
        for key, record in candidates:
            if not alive(record):
                del self[key]

    def drop_dead_in_management_groups(self, alive: Callable[[R], bool]) -> None:
        """Forget the records at management groups that ``alive`` rejects."""
        for key, record in list(self._in_management_groups.items()):
            if not alive(record):
                del self[key]


def _discard(index: dict[K, dict[str, V]], bucket: K, key: str) -> None:
    records = index.get(bucket)
    if records is not None:
        records.pop(key, None)
        if not records:
            del index[bucket]
