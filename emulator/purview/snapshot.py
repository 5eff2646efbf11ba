"""What the control API shows of the Purview account, in typed form for tests (no I/O, no aiohttp).

``GET /_emulator/purview`` answers :meth:`PurviewSnapshot.to_json`; the control client parses it back
with :meth:`PurviewSnapshot.from_json`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .unified.snapshot import CatalogSnapshot

__all__ = [
    "PurviewCollectionState",
    "PurviewDataSourceState",
    "PurviewEntityState",
    "PurviewScanState",
    "PurviewSnapshot",
]

Json = dict[str, Any]


@dataclass(frozen=True)
class PurviewCollectionState:
    name: str
    friendly_name: str
    parent: str | None
    state: str

    def to_json(self) -> Json:
        return {"name": self.name, "friendlyName": self.friendly_name, "parent": self.parent, "state": self.state}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PurviewCollectionState:
        return cls(str(data["name"]), str(data["friendlyName"]), data.get("parent"), str(data["state"]))


@dataclass(frozen=True)
class PurviewScanState:
    name: str
    kind: str
    collection: str
    has_trigger: bool
    run_ids: Sequence[str] = ()

    def to_json(self) -> Json:
        return {
            "name": self.name,
            "kind": self.kind,
            "collection": self.collection,
            "hasTrigger": self.has_trigger,
            "runIds": list(self.run_ids),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PurviewScanState:
        return cls(
            str(data["name"]),
            str(data["kind"]),
            str(data["collection"]),
            bool(data["hasTrigger"]),
            tuple(str(run) for run in data.get("runIds") or ()),
        )


@dataclass(frozen=True)
class PurviewDataSourceState:
    name: str
    kind: str
    collection: str
    scans: Sequence[PurviewScanState] = ()

    def to_json(self) -> Json:
        return {
            "name": self.name,
            "kind": self.kind,
            "collection": self.collection,
            "scans": [scan.to_json() for scan in self.scans],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PurviewDataSourceState:
        return cls(
            str(data["name"]),
            str(data["kind"]),
            str(data["collection"]),
            tuple(PurviewScanState.from_json(scan) for scan in data.get("scans") or ()),
        )


@dataclass(frozen=True)
class PurviewEntityState:
    guid: str
    type_name: str
    qualified_name: str
    status: str
    collection_id: str

    def to_json(self) -> Json:
        return {
            "guid": self.guid,
            "typeName": self.type_name,
            "qualifiedName": self.qualified_name,
            "status": self.status,
            "collectionId": self.collection_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PurviewEntityState:
        return cls(
            str(data["guid"]),
            str(data["typeName"]),
            str(data["qualifiedName"]),
            str(data["status"]),
            str(data["collectionId"]),
        )


@dataclass(frozen=True)
class PurviewSnapshot:
    """The account's name, identity and endpoint, and everything its data plane holds (the Unified
    Catalog's domains, products, assets and relationships under ``catalog``)."""

    account: str
    principal_id: str
    endpoint: str | None
    collections: Sequence[PurviewCollectionState]
    metadata_policies: Mapping[str, Mapping[str, Any]]
    data_sources: Sequence[PurviewDataSourceState]
    entities: Sequence[PurviewEntityState]
    type_names: Sequence[str]
    catalog: CatalogSnapshot = field(default_factory=CatalogSnapshot)

    def collection(self, name: str) -> PurviewCollectionState | None:
        return next((c for c in self.collections if c.name == name.lower()), None)

    def to_json(self) -> Json:
        return {
            "account": self.account,
            "principalId": self.principal_id,
            "endpoint": self.endpoint,
            "collections": [c.to_json() for c in self.collections],
            "metadataPolicies": {name: dict(policy) for name, policy in self.metadata_policies.items()},
            "dataSources": [s.to_json() for s in self.data_sources],
            "entities": [e.to_json() for e in self.entities],
            "typeNames": list(self.type_names),
            "catalog": self.catalog.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PurviewSnapshot:
        return cls(
            account=str(data["account"]),
            principal_id=str(data["principalId"]),
            endpoint=data.get("endpoint"),
            collections=tuple(PurviewCollectionState.from_json(c) for c in data["collections"]),
            metadata_policies={str(k): dict(v) for k, v in dict(data["metadataPolicies"]).items()},
            data_sources=tuple(PurviewDataSourceState.from_json(s) for s in data["dataSources"]),
            entities=tuple(PurviewEntityState.from_json(e) for e in data["entities"]),
            type_names=tuple(str(name) for name in data["typeNames"]),
            catalog=CatalogSnapshot.from_json(data["catalog"]) if "catalog" in data else CatalogSnapshot(),
        )
