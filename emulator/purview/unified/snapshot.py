"""What the control API shows of the Unified Catalog, in typed form (no I/O, no aiohttp).

``GET /_emulator/purview/catalog`` answers :meth:`CatalogSnapshot.to_json` (it is also the ``catalog``
of the account's snapshot); ``GET|PUT /_emulator/purview/catalog/rate-limit`` read and set
:class:`CatalogRateLimitSettings`. Domains, data products and data assets are their wire documents,
exactly as a GET of each answers them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_RATE_WINDOW_SECONDS",
    "CatalogRateLimitSettings",
    "CatalogRelationshipState",
    "CatalogSnapshot",
]

Json = dict[str, Any]
# The documented limit of the Unified Catalog's API: 100 requests per 20-second window.
DEFAULT_RATE_LIMIT = 100
DEFAULT_RATE_WINDOW_SECONDS = 20.0


@dataclass(frozen=True)
class CatalogRateLimitSettings:
    """The per-caller sliding window over Unified Catalog requests (on by default, 100 per 20 s)."""

    enabled: bool = True
    limit: int = DEFAULT_RATE_LIMIT
    window_seconds: float = DEFAULT_RATE_WINDOW_SECONDS

    def to_json(self) -> Json:
        return {"enabled": self.enabled, "limit": self.limit, "windowSeconds": self.window_seconds}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CatalogRateLimitSettings:
        """Parse a control request; absent keys take their defaults."""
        enabled = data.get("enabled", True)
        limit = data.get("limit", DEFAULT_RATE_LIMIT)
        window = data.get("windowSeconds", DEFAULT_RATE_WINDOW_SECONDS)
        if not isinstance(enabled, bool):
            raise ValueError("'enabled' must be a boolean")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError("'limit' must be a positive integer")
        if not isinstance(window, int | float) or isinstance(window, bool) or window <= 0:
            raise ValueError("'windowSeconds' must be a positive number")
        return cls(enabled, limit, float(window))


@dataclass(frozen=True)
class CatalogRelationshipState:
    """One asset ↔ product edge (seen from both sides on the wire)."""

    data_asset_id: str
    data_product_id: str
    relationship_type: str
    description: str | None = None

    def to_json(self) -> Json:
        return {
            "dataAssetId": self.data_asset_id,
            "dataProductId": self.data_product_id,
            "relationshipType": self.relationship_type,
            "description": self.description,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CatalogRelationshipState:
        return cls(
            str(data["dataAssetId"]),
            str(data["dataProductId"]),
            str(data["relationshipType"]),
            data.get("description"),
        )


@dataclass(frozen=True)
class CatalogSnapshot:
    """Every business domain, data product, data asset and relationship, and the rate limit."""

    domains: Sequence[Mapping[str, Any]] = ()
    data_products: Sequence[Mapping[str, Any]] = ()
    data_assets: Sequence[Mapping[str, Any]] = ()
    relationships: Sequence[CatalogRelationshipState] = ()
    rate_limit: CatalogRateLimitSettings = CatalogRateLimitSettings()

    def domain(self, domain_id: str) -> Mapping[str, Any] | None:
        return next((d for d in self.domains if d["id"] == domain_id.lower()), None)

    def data_product(self, product_id: str) -> Mapping[str, Any] | None:
        return next((p for p in self.data_products if p["id"] == product_id.lower()), None)

    def data_asset(self, asset_id: str) -> Mapping[str, Any] | None:
        return next((a for a in self.data_assets if a["id"] == asset_id.lower()), None)

    def to_json(self) -> Json:
        return {
            "domains": [dict(d) for d in self.domains],
            "dataProducts": [dict(p) for p in self.data_products],
            "dataAssets": [dict(a) for a in self.data_assets],
            "relationships": [r.to_json() for r in self.relationships],
            "rateLimit": self.rate_limit.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CatalogSnapshot:
        return cls(
            domains=tuple(dict(d) for d in data["domains"]),
            data_products=tuple(dict(p) for p in data["dataProducts"]),
            data_assets=tuple(dict(a) for a in data["dataAssets"]),
            relationships=tuple(CatalogRelationshipState.from_json(r) for r in data["relationships"]),
            rate_limit=CatalogRateLimitSettings.from_json(data["rateLimit"]),
        )
