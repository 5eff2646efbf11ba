"""The ledger: the two facts about a data product that cannot live in Azure next to it.

1. **Its pinned identity.** Resource-group names are immutable in ARM; tags are not. For a group
   recognised by its team's tags, the identity (domain, product, environment) is written here at
   first classification, and a later retag is a conflict, never followed — otherwise a team could
   choose who pays, who is granted and which policy applies by editing a tag.
2. **What the app created for it outside the group's scope** (Purview collections, sources, catalog
   entries), so a product whose group is gone can still be cleaned up, and when it was first
   governed, so "first governed" can be told from "drift repaired".

It lives in an Azure Table in the Function App's own storage account, which product teams cannot
write (``shared.azure.ledger_table``). Azure stays the truth for everything inside the group; the
ledger never replaces observing.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from shared.model import DataProduct, GroupRef

IdentitySource = Literal["name", "tags"]


@dataclass(frozen=True, slots=True)
class Artifact:
    """Something an aspect created for a product outside its group (e.g. a Purview source)."""

    aspect: str
    kind: str
    id: str

    def to_dict(self) -> dict[str, str]:
        return {"aspect": self.aspect, "kind": self.kind, "id": self.id}


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """One data product's row: its identity, since when it is governed, what the app made for it."""

    ref: GroupRef
    product: DataProduct
    source: IdentitySource
    first_governed_at: datetime.datetime
    artifacts: tuple[Artifact, ...] = ()
    etag: str | None = field(default=None, compare=False)

    def with_artifacts(self, artifacts: tuple[Artifact, ...]) -> LedgerRecord:
        return replace(self, artifacts=artifacts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subscription_id": self.ref.subscription_id.lower(),
            "resource_group": self.ref.name,
            "data_product": self.product.to_dict(),
            "source": self.source,
            "pinned": self.source == "tags",
            "first_governed_at": self.first_governed_at.isoformat(),
            "artifacts": [artifact.to_dict() for artifact in self.artifacts],
        }


class LedgerConflict(Exception):
    """A write lost a race: the row was created or changed by someone else since it was read."""


class Ledger(Protocol):
    """The port the reconciler and aspects use; ``shared.azure.ledger_table`` implements it."""

    async def get(self, ref: GroupRef) -> LedgerRecord | None: ...

    async def list(self, subscription_id: str) -> Mapping[GroupRef, LedgerRecord]:
        """Every record of one landing zone, with one paged query (bulk reconcile)."""
        ...

    async def create(self, record: LedgerRecord) -> LedgerRecord:
        """Insert a new row; raise ``LedgerConflict`` if one exists (another instance won)."""
        ...

    async def replace(self, record: LedgerRecord) -> LedgerRecord:
        """Overwrite the row if unchanged since read (ETag); raise ``LedgerConflict`` otherwise."""
        ...

    async def delete(self, ref: GroupRef) -> bool:
        """Remove the row (the operator's unpin); False when there was none."""
        ...


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class UnpinRefused(Exception):
    """The record cannot be unpinned: the product's identity comes from its group's name."""
