"""Data Map entities (Atlas v2 ``/entity``): upserts keyed on type and ``qualifiedName``, reads, soft deletes.

A POST of an entity is an upsert: the first one for a ``(typeName, qualifiedName)`` answers it under
``mutatedEntities.CREATE``, later ones under ``UPDATE`` (the attributes given replace theirs, the rest
stay); ``guidAssignments`` maps the caller's placeholder guid (or the one Atlas makes up for it) to
the real one. Attributes are checked against the type and its super types: an unknown type is 404
``ATLAS-404-00-001``, an unknown attribute 400 ``ATLAS-400-00-023``, a missing mandatory one 400
``ATLAS-400-00-02B``. ``collectionId`` puts the entity into a collection (the root when absent).
Deleting marks the entity ``DELETED``; deleting what is not there is not an error (Atlas's rule).
Times are epoch milliseconds; ``lastModifiedTS`` is a string counting the entity's versions.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .calls import PurviewCall, PurviewResponse, epoch_ms
from .errors import AtlasError, atlas_invalid_parameters
from .typedefs import type_not_found

if TYPE_CHECKING:
    from .account import PurviewAccount

__all__ = [
    "Entity",
    "EntityStore",
    "batch_create_or_update_entities",
    "create_or_update_entity",
    "delete_entity",
    "delete_entity_by_unique_attribute",
    "get_entities_by_guids",
    "get_entity",
    "get_entity_by_unique_attribute",
]

_PLACEHOLDERS = itertools.count(9_514_774_903_018_162)
_UNIQUE = "attr:qualifiedName"


@dataclass
class Entity:
    guid: str
    type_name: str
    attributes: dict[str, Any]
    collection_id: str
    created_by: str
    create_time: int
    updated_by: str
    update_time: int
    status: str = "ACTIVE"
    modifications: int = 1
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return str(self.attributes.get("qualifiedName", ""))

    def header(self) -> dict[str, Any]:
        """The short form ``mutatedEntities`` lists."""
        header: dict[str, Any] = {
            "typeName": self.type_name,
            "attributes": {"qualifiedName": self.qualified_name},
            "lastModifiedTS": str(self.modifications),
            "guid": self.guid,
            "status": self.status,
        }
        if "name" in self.attributes:
            header["displayText"] = self.attributes["name"]
        return header

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "typeName": self.type_name,
            "attributes": copy.deepcopy(self.attributes),
            "lastModifiedTS": str(self.modifications),
            "guid": self.guid,
            "isIncomplete": False,
            "provenanceType": 0,
            "status": self.status,
            "createdBy": self.created_by,
            "updatedBy": self.updated_by,
            "createTime": self.create_time,
            "updateTime": self.update_time,
            "version": 0,
            "collectionId": self.collection_id,
            "relationshipAttributes": {},
            "labels": [],
            "contacts": {},
            "proxy": False,
        }
        body.update(copy.deepcopy(self.extras))
        if "name" in self.attributes:
            body["displayText"] = self.attributes["name"]
        return body


# Entity fields the caller may set and that are kept as given.
_ROUND_TRIPPED = ("relationshipAttributes", "labels", "contacts", "classifications", "meanings", "customAttributes")


@dataclass
class EntityStore:
    by_guid: dict[str, Entity]
    # The guids of the entities that were ever ACTIVE under a (typeName, qualifiedName), and each
    # entity's position in ``by_guid``; :meth:`active` checks what it finds, so entries may be stale.
    _by_unique: dict[tuple[str, str], dict[str, None]] = field(default_factory=dict, repr=False, compare=False)
    _seq: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def empty(cls) -> EntityStore:
        return cls({})

    def add(self, entity: Entity) -> None:
        """Store a new entity."""
        self.by_guid[entity.guid] = entity
        self.track(entity)

    def track(self, entity: Entity) -> None:
        """Index an entity under its type and current ``qualifiedName`` (after a change of attributes)."""
        self._seq.setdefault(entity.guid, len(self._seq))
        self._by_unique.setdefault((entity.type_name, entity.qualified_name), {})[entity.guid] = None

    def active(self, type_name: str, qualified_name: str) -> Entity | None:
        """The first (in ``by_guid``'s order) ACTIVE entity of this type and ``qualifiedName``."""
        if len(self._seq) != len(self.by_guid):  # entities stored without :meth:`add`: index them all again
            self._seq = {}
            for stored in self.by_guid.values():
                self.track(stored)
        key = (type_name, qualified_name)
        guids = self._by_unique.get(key)
        if not guids:
            return None
        found: list[Entity] = []
        for guid in list(guids):
            entity = self.by_guid.get(guid)
            if entity is None or entity.type_name != type_name or entity.qualified_name != qualified_name:
                del guids[guid]
            elif entity.status == "ACTIVE":
                found.append(entity)
        if not guids:
            del self._by_unique[key]
        return min(found, key=lambda entity: self._seq[entity.guid], default=None)

    def active_in(self, collection: str) -> list[Entity]:
        return [e for e in self.by_guid.values() if e.status == "ACTIVE" and e.collection_id == collection.lower()]

    def uses_type(self, type_name: str) -> bool:
        return any(entity.type_name == type_name for entity in self.by_guid.values())


@dataclass(frozen=True)
class _Upsert:
    placeholder: str
    entity: dict[str, Any]
    existing: Entity | None


def _target_collection(account: PurviewAccount, call: PurviewCall) -> str | None:
    """The ``collectionId`` query parameter's collection (ready), or ``None`` when not given."""
    name = call.arg("collectionId")
    if name is None:
        return None
    collection = account.collections.get(name.casefold())
    if collection is None:
        raise atlas_invalid_parameters(f"collection '{name.lower()}' does not exist")
    if not collection.ready:
        raise atlas_invalid_parameters(f"collection '{collection.name}' is still being created")
    return collection.name


def _validated(account: PurviewAccount, entity: Any) -> _Upsert:
    if not isinstance(entity, dict):
        raise atlas_invalid_parameters("entity must be an object")
    type_name = entity.get("typeName")
    if not isinstance(type_name, str) or account.types.entity_type(type_name) is None:
        raise type_not_found(str(type_name))
    attributes = entity.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise atlas_invalid_parameters("attributes must be an object")
    known = account.types.attributes(type_name)
    for name in attributes:
        if name not in known:
            raise AtlasError(400, "ATLAS-400-00-023", f"Attribute {name} not found for type {type_name}")
    guid = entity.get("guid")
    existing: Entity | None = None
    if isinstance(guid, str) and guid and not guid.startswith("-"):
        existing = account.entities.by_guid.get(guid)
        if existing is None:
            raise AtlasError(404, "ATLAS-404-00-005", f"Given instance guid {guid} is invalid/not found")
        if existing.type_name != type_name:
            raise AtlasError(400, "ATLAS-400-00-010", f"Given type {type_name} doesn't match {existing.type_name}")
    merged = {**(existing.attributes if existing is not None else {}), **attributes}
    for name, definition in known.items():
        if definition.get("isOptional") is False and merged.get(name) in (None, "", [], {}):
            owner = next(
                d["name"] for d in account.types.lineage(type_name) if definition in d.get("attributeDefs", [])
            )
            raise AtlasError(400, "ATLAS-400-00-02B", f"Mandatory field {owner}.{name} has empty/null value")
    if existing is None:
        existing = account.entities.active(type_name, str(merged["qualifiedName"]))
    placeholder = guid if isinstance(guid, str) and guid else f"-{next(_PLACEHOLDERS)}"
    return _Upsert(placeholder, entity, existing)


def _apply(account: PurviewAccount, call: PurviewCall, upsert: _Upsert, collection: str | None) -> tuple[str, Entity]:
    now = epoch_ms()
    extras = {key: copy.deepcopy(upsert.entity[key]) for key in _ROUND_TRIPPED if key in upsert.entity}
    attributes = upsert.entity.get("attributes") or {}
    entity = upsert.existing
    if entity is None:
        entity = Entity(
            guid=str(uuid.uuid4()),
            type_name=str(upsert.entity["typeName"]),
            attributes=copy.deepcopy(attributes),
            collection_id=collection or account.root.name,
            created_by=call.caller.object_id,
            create_time=now,
            updated_by=call.caller.object_id,
            update_time=now,
            extras=extras,
        )
        account.entities.add(entity)
        return "CREATE", entity
    entity.attributes.update(copy.deepcopy(attributes))
    account.entities.track(entity)
    entity.extras.update(extras)
    if collection is not None:
        entity.collection_id = collection
    entity.updated_by = call.caller.object_id
    entity.update_time = now
    entity.modifications += 1
    return "UPDATE", entity


def _upsert_all(account: PurviewAccount, call: PurviewCall, entities: list[Any]) -> PurviewResponse:
    """Validate every entity first, then apply them all (a batch fails as a whole)."""
    collection = _target_collection(account, call)
    upserts = [_validated(account, entity) for entity in entities]
    mutated: dict[str, list[dict[str, Any]]] = {}
    assignments: dict[str, str] = {}
    for upsert in upserts:
        operation, entity = _apply(account, call, upsert, collection)
        mutated.setdefault(operation, []).append(entity.header())
        assignments[upsert.placeholder] = entity.guid
    return PurviewResponse(200, {"mutatedEntities": mutated, "guidAssignments": assignments})


def create_or_update_entity(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    body = call.json_object()
    if "entity" not in body:
        raise atlas_invalid_parameters("entity is required")
    return _upsert_all(account, call, [body["entity"]])


def batch_create_or_update_entities(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    body = call.json_object()
    entities = body.get("entities")
    if not isinstance(entities, list) or not entities:
        raise atlas_invalid_parameters("entities must be a non-empty array")
    return _upsert_all(account, call, entities)


def _by_guid(account: PurviewAccount, guid: str) -> Entity:
    entity = account.entities.by_guid.get(guid)
    if entity is None:
        raise AtlasError(404, "ATLAS-404-00-005", f"Given instance guid {guid} is invalid/not found")
    return entity


def get_entity(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    entity = _by_guid(account, call.params["guid"])
    return PurviewResponse(200, {"referredEntities": {}, "entity": entity.to_json()})


def get_entities_by_guids(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    guids = call.args("guid")
    if not guids:
        raise atlas_invalid_parameters("guid is required")
    return PurviewResponse(200, {"referredEntities": {}, "entities": [_by_guid(account, g).to_json() for g in guids]})


def _unique(account: PurviewAccount, call: PurviewCall) -> tuple[str, str, Entity | None]:
    type_name = call.params["type"]
    if account.types.entity_type(type_name) is None:
        raise type_not_found(type_name)
    qualified_name = call.arg(_UNIQUE)
    if qualified_name is None:
        raise atlas_invalid_parameters(f"{_UNIQUE} is required")
    return type_name, qualified_name, account.entities.active(type_name, qualified_name)


def get_entity_by_unique_attribute(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    type_name, qualified_name, entity = _unique(account, call)
    if entity is None:
        raise AtlasError(
            404,
            "ATLAS-404-00-009",
            f"Instance {type_name} with unique attribute {{qualifiedName={qualified_name}}} does not exist",
        )
    return PurviewResponse(200, {"referredEntities": {}, "entity": entity.to_json()})


def _deleted(entity: Entity | None, caller: str) -> PurviewResponse:
    if entity is None or entity.status != "ACTIVE":
        return PurviewResponse(200, {})
    entity.status = "DELETED"
    entity.updated_by = caller
    entity.update_time = epoch_ms()
    entity.modifications += 1
    return PurviewResponse(200, {"mutatedEntities": {"DELETE": [entity.header()]}})


def delete_entity_by_unique_attribute(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    _, _, entity = _unique(account, call)
    return _deleted(entity, call.caller.object_id)


def delete_entity(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    return _deleted(account.entities.by_guid.get(call.params["guid"]), call.caller.object_id)
