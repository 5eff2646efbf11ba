"""The emulated Purview account: its collections, policies, data sources, Data Map and Unified Catalog,
seeded and reset.

One account per emulator, named by a setting. It starts (and restarts after a reset) as a new
account does: the root collection, named after the account, ``Succeeded``, with its metadata policy
naming the account's creator — the emulator's managed identity, as if it had created the account —
as root collection administrator. The account's own managed identity (the one Purview scans with)
comes from :mod:`emulator.purview.identity`.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence

from .calls import utc_now
from .collections import Collection
from .entities import EntityStore
from .identity import AccountPrincipal, account_principal
from .policies import PolicyStore
from .scanning import DataSource
from .snapshot import (
    PurviewCollectionState,
    PurviewDataSourceState,
    PurviewEntityState,
    PurviewScanState,
    PurviewSnapshot,
)
from .typedefs import TypeRegistry
from .unified.state import UnifiedCatalog

__all__ = ["DEFAULT_ACCOUNT_NAME", "HOME_RESOURCE_GROUP", "HOME_SUBSCRIPTION_ID", "PurviewAccount"]

DEFAULT_ACCOUNT_NAME = "dpgov-purview"
# Where the account's ARM resource lives: a platform subscription of its own, as Purview usually does
# (one account per tenant, in a management subscription), apart from the landing zones it governs.
HOME_SUBSCRIPTION_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://dpgov.invalid/emulator/purview-subscription"))
HOME_RESOURCE_GROUP = "rg-dpgov-purview"
HOME_LOCATION = "westeurope"


class PurviewAccount:
    """Everything one account's data plane holds (no HTTP here)."""

    def __init__(self, name: str, *, tenant_id: str, creator: str) -> None:
        self.name = name
        # The data plane's URL, known once the listener is bound (the ARM resource's endpoints name it).
        self.endpoint: str | None = None
        self.tenant_id = tenant_id
        self.creator = creator
        self.collections: dict[str, Collection] = {}
        # The keys of each collection's children (by the parent's case-folded name), and each
        # collection's position in ``collections``, so children are found without a scan.
        self._children: dict[str, dict[str, None]] = {}
        self._seq: dict[str, int] = {}
        self._next_seq = 0
        self.policies = PolicyStore.empty()
        self.sources: dict[str, DataSource] = {}
        self.types = TypeRegistry.with_builtins()
        self.entities = EntityStore.empty()
        self.catalog = UnifiedCatalog()
        self.reset()

    @property
    def principal(self) -> AccountPrincipal:
        """The account's system-assigned identity (to register in a principal directory)."""
        return account_principal(self.tenant_id, self.name)

    @property
    def resource_id(self) -> str:
        """The ARM id of the account's resource (``Microsoft.Purview/accounts``) in its home group."""
        return (
            f"/subscriptions/{HOME_SUBSCRIPTION_ID}/resourceGroups/{HOME_RESOURCE_GROUP}"
            f"/providers/Microsoft.Purview/accounts/{self.name}"
        )

    @property
    def root(self) -> Collection:
        return self.collections[self.name.casefold()]

    def reset(self) -> None:
        """Back to a new account: the root collection and its policy, an empty Unified Catalog with
        its default rate limit, nothing else."""
        now = utc_now()
        self.collections = {}
        self._children = {}
        self._seq = {}
        self.policies = PolicyStore.empty()
        self.sources = {}
        self.types = TypeRegistry.with_builtins()
        self.entities = EntityStore.empty()
        self.catalog = UnifiedCatalog()
        root = Collection(
            name=self.name.lower(),
            friendly_name=self.name,
            parent=None,
            description="The root collection.",
            created_by=self.creator,
            created_by_type="Application",
            created_at=now,
            modified_by=self.creator,
            modified_by_type="Application",
            modified_at=now,
        )
        self.add_collection(root, creator=self.creator)

    def add_collection(self, collection: Collection, *, creator: str) -> None:
        if collection.key not in self.collections:
            self._seq[collection.key] = self._next_seq
            self._next_seq += 1
        self.collections[collection.key] = collection
        self._index_child(collection)
        self.policies.create(collection.name, collection.parent, [creator])

    def remove_collection(self, collection: Collection) -> None:
        del self.collections[collection.key]
        self._seq.pop(collection.key, None)
        self.policies.remove(collection.name)

    def move_collection(self, collection: Collection, parent: str) -> None:
        """Put a collection under another parent (its policy follows)."""
        collection.parent = parent
        self._index_child(collection)
        self.policies.reparent(collection.name, parent)

    def _index_child(self, collection: Collection) -> None:
        if collection.parent is not None:
            self._children.setdefault(collection.parent.casefold(), {})[collection.key] = None

    def children(self, name: str) -> list[Collection]:
        """The collections directly under this one, in ``collections``' order."""
        wanted = name.casefold()
        keys = self._children.get(wanted)
        if not keys:
            return []
        found: list[Collection] = []
        for key in list(keys):
            child = self.collections.get(key)
            if child is None or child.parent is None or child.parent.casefold() != wanted:
                del keys[key]  # removed or moved elsewhere
            else:
                found.append(child)
        return sorted(found, key=lambda child: self._seq[child.key])

    def ancestors(self, name: str) -> list[str]:
        """The names above a collection, its parent first, the root last."""
        found: list[str] = []
        current = self.collections.get(name.casefold())
        while current is not None and current.parent is not None:
            found.append(current.parent)
            current = self.collections.get(current.parent.casefold())
        return found

    def descendants(self, name: str) -> list[str]:
        found: list[str] = []
        pending = [name]
        while pending:
            for child in self.children(pending.pop()):
                found.append(child.name)
                pending.append(child.name)
        return found

    def sources_in(self, name: str) -> Sequence[str]:
        """The data sources and scans (``source/scan``) that live in a collection."""
        wanted = name.casefold()
        found = [s.name for s in self.sources.values() if s.collection.casefold() == wanted]
        found += [
            f"{s.name}/{scan.name}"
            for s in self.sources.values()
            for scan in s.scans.values()
            if scan.collection.casefold() == wanted
        ]
        return found

    def snapshot(self) -> PurviewSnapshot:
        """Everything the account holds, for the control API."""
        return PurviewSnapshot(
            account=self.name,
            principal_id=self.principal.principal_id,
            endpoint=self.endpoint,
            collections=tuple(
                PurviewCollectionState(c.name, c.friendly_name, c.parent, c.state)
                for c in sorted(self.collections.values(), key=lambda c: c.key)
            ),
            metadata_policies={name: copy.deepcopy(p) for name, p in sorted(self.policies.by_collection.items())},
            data_sources=tuple(
                PurviewDataSourceState(
                    s.name,
                    s.kind,
                    s.collection,
                    tuple(
                        PurviewScanState(
                            scan.name,
                            scan.kind,
                            scan.collection,
                            scan.trigger is not None,
                            tuple(r["id"] for r in scan.runs),
                        )
                        for scan in s.scans.values()
                    ),
                )
                for s in sorted(self.sources.values(), key=lambda s: s.name.casefold())
            ),
            entities=tuple(
                PurviewEntityState(e.guid, e.type_name, e.qualified_name, e.status, e.collection_id)
                for e in self.entities.by_guid.values()
            ),
            type_names=tuple(sorted(self.types.defs)),
            catalog=self.catalog.snapshot(),
        )
