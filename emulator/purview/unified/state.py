"""What the Unified Catalog holds: business domains, data products, data assets and their relationships.

Documents are kept in their wire form (what a GET answers), keyed by lower-cased id, in creation
order; ``seq`` numbers them for the domain list's skip token. One relationship store serves both
sides of the asset ↔ product edge, keyed ``(asset id, product id)``. The catalog belongs to the
Purview account and is renewed with it on reset, rate limit included.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from ..calls import utc_now
from .ratelimit import CatalogRateLimit
from .snapshot import CatalogRelationshipState, CatalogSnapshot

__all__ = ["Relationship", "Stored", "UnifiedCatalog", "created_system_data", "updated_system_data"]


def created_system_data(caller: str, *, provisioned: bool = True) -> dict[str, Any]:
    """``systemData`` of a new entity: created and last modified now, by the caller.

    Entities carry ``provisioningState``; relationships (the spec's plain ``SystemData``) do not.
    """
    now = utc_now()
    data: dict[str, Any] = {"createdAt": now, "createdBy": caller, "lastModifiedAt": now, "lastModifiedBy": caller}
    if provisioned:
        data["provisioningState"] = "Succeeded"
    return data


def updated_system_data(previous: dict[str, Any], caller: str) -> dict[str, Any]:
    """``systemData`` after a replace: creation kept, modification now, by the caller."""
    return {
        **copy.deepcopy(previous),
        "lastModifiedAt": utc_now(),
        "lastModifiedBy": caller,
        "provisioningState": "Succeeded",
    }


@dataclass
class Stored:
    """A document and its place in creation order."""

    seq: int
    doc: dict[str, Any]


@dataclass
class Relationship:
    """One edge between a data asset and a data product."""

    data_asset_id: str
    data_product_id: str
    relationship_type: str
    description: str | None
    system_data: dict[str, Any] = field(default_factory=dict)

    def _wire(self, entity_id: str) -> dict[str, Any]:
        return {
            "entityId": entity_id,
            "relationshipType": self.relationship_type,
            "description": self.description,
            "systemData": copy.deepcopy(self.system_data),
        }

    def from_asset(self) -> dict[str, Any]:
        """As the asset side shows it: ``entityId`` is the product."""
        return self._wire(self.data_product_id)

    def from_product(self) -> dict[str, Any]:
        """As the product side shows it: ``entityId`` is the asset."""
        return self._wire(self.data_asset_id)


class UnifiedCatalog:
    """The account's Unified Catalog and its rate limit."""

    def __init__(self) -> None:
        self.domains: dict[str, Stored] = {}
        self.products: dict[str, Stored] = {}
        self.assets: dict[str, Stored] = {}
        self.relationships: dict[tuple[str, str], Relationship] = {}
        self.rate_limit = CatalogRateLimit()
        self._sequence = itertools.count(1)

    def next_seq(self) -> int:
        return next(self._sequence)

    # -- reads -------------------------------------------------------------------------------------

    def products_in(self, domain_id: str) -> list[Stored]:
        return [p for p in self.products.values() if p.doc["domain"] == domain_id]

    def subdomains(self, domain_id: str) -> list[Stored]:
        return [d for d in self.domains.values() if d.doc.get("parentId") == domain_id]

    def asset_for_source(self, source_asset_id: str) -> Stored | None:
        return next((a for a in self.assets.values() if a.doc["source"]["assetId"] == source_asset_id), None)

    def of_asset(self, asset_id: str) -> list[Relationship]:
        return [r for r in self.relationships.values() if r.data_asset_id == asset_id]

    def of_product(self, product_id: str) -> list[Relationship]:
        return [r for r in self.relationships.values() if r.data_product_id == product_id]

    def render_product(self, stored: Stored) -> dict[str, Any]:
        """A data product as a GET answers it: the stored document and the counts the server keeps."""
        body = copy.deepcopy(stored.doc)
        body["additionalProperties"] = {"assetCount": len(self.of_product(body["id"]))}
        body["activeSubscriberCount"] = 0
        return body

    # -- removals ----------------------------------------------------------------------------------

    def remove_product(self, product_id: str) -> None:
        del self.products[product_id]
        for key in [k for k in self.relationships if k[1] == product_id]:
            del self.relationships[key]

    def remove_asset(self, asset_id: str) -> None:
        del self.assets[asset_id]
        for key in [k for k in self.relationships if k[0] == asset_id]:
            del self.relationships[key]

    # -- control -----------------------------------------------------------------------------------

    def snapshot(self) -> CatalogSnapshot:
        return CatalogSnapshot(
            domains=tuple(copy.deepcopy(d.doc) for d in self.domains.values()),
            data_products=tuple(self.render_product(p) for p in self.products.values()),
            data_assets=tuple(copy.deepcopy(a.doc) for a in self.assets.values()),
            relationships=tuple(
                CatalogRelationshipState(r.data_asset_id, r.data_product_id, r.relationship_type, r.description)
                for r in self.relationships.values()
            ),
            rate_limit=self.rate_limit.settings,
        )
