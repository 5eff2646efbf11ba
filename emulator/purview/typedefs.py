"""Data Map type definitions (Atlas v2 ``/types``): the built-in Atlas base types and the caller's own.

Purview's Data Map is Apache Atlas: a type is created once (re-creating it is 409
``ATLAS-409-00-001``), updated with a PUT of its whole definition, read by name. An entity type names
its super types, which must exist (404 ``ATLAS-404-00-001``), and its attributes, whose types must be
primitives, containers of known types or known types (400 ``ATLAS-400-00-001``). The server adds the
bookkeeping fields (``category``, ``guid``, times in epoch ms, ``version``, ``lastModifiedTS`` as a
string) and per-attribute defaults (``valuesMinCount`` …).

The emulator knows Atlas's base entity types (``Referenceable``, ``Asset``, ``DataSet``, ``Process``)
and, of the hundreds of Azure types Purview ships, the top-level data-store types the app upserts
(``azure_storage_account``, ``azure_sql_server``, ``azure_mysql_server``, ``azure_postgresql_server``,
``azure_cosmosdb_account``, ``azure_synapse_workspace``, ``azure_data_explorer_cluster``) and two asset
types the Unified Catalog maps (``adls_gen2_path``, ``azure_sql_table``): each a ``DataSet`` with no
attributes of its own (Purview's carry more; the emulator refuses them as unknown).
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .calls import PurviewCall, PurviewResponse, epoch_ms
from .errors import AtlasError, atlas_invalid_parameters

if TYPE_CHECKING:
    from .account import PurviewAccount

__all__ = [
    "AZURE_DATASET_TYPES",
    "CATEGORIES",
    "TypeRegistry",
    "batch_create_typedefs",
    "batch_update_typedefs",
    "delete_typedef",
    "get_entity_def",
    "get_typedef",
    "list_typedefs",
    "type_not_found",
]

# The request/response arrays and the category each holds.
CATEGORIES: dict[str, str] = {
    "enumDefs": "ENUM",
    "structDefs": "STRUCT",
    "classificationDefs": "CLASSIFICATION",
    "entityDefs": "ENTITY",
    "relationshipDefs": "RELATIONSHIP",
    "businessMetadataDefs": "BUSINESS_METADATA",
}
_TYPE_PARAMETER = {
    "enum": "ENUM",
    "struct": "STRUCT",
    "classification": "CLASSIFICATION",
    "entity": "ENTITY",
    "relationship": "RELATIONSHIP",
    "business_metadata": "BUSINESS_METADATA",
}
PRIMITIVES = frozenset(
    {"boolean", "byte", "short", "int", "long", "float", "double", "biginteger", "bigdecimal", "string", "date"}
)
_CONTAINER = re.compile(r"^(array|map)<(.+)>$")
SYSTEM_USER = "ServiceAdmin"


def type_not_found(name: str) -> AtlasError:
    return AtlasError(404, "ATLAS-404-00-001", f"Given typename {name} was invalid")


def _attribute(name: str, type_name: str, *, optional: bool, unique: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "typeName": type_name,
        "isOptional": optional,
        "cardinality": "SET" if type_name.startswith("array<") else "SINGLE",
        "isUnique": unique,
        "isIndexable": True,
    }


def _builtin(
    name: str, super_types: list[str], attributes: list[dict[str, Any]], *, service_type: str = "atlas_core"
) -> dict[str, Any]:
    return {
        "category": "ENTITY",
        "name": name,
        "description": name,
        "typeVersion": "1.0",
        "serviceType": service_type,
        "superTypes": super_types,
        "attributeDefs": attributes,
    }


# Purview's built-in types for Azure data stores (top level) and two of their assets: name → serviceType.
AZURE_DATASET_TYPES = {
    "azure_storage_account": "Azure Storage",
    "azure_sql_server": "Azure SQL Database",
    "azure_mysql_server": "Azure Database for MySQL",
    "azure_postgresql_server": "Azure Database for PostgreSQL",
    "azure_cosmosdb_account": "Azure Cosmos DB",
    "azure_synapse_workspace": "Azure Synapse Analytics",
    "azure_data_explorer_cluster": "Azure Data Explorer",
    "adls_gen2_path": "Azure Data Lake Storage Gen2",
    "azure_sql_table": "Azure SQL Database",
}


BUILTIN_ENTITY_TYPES = (
    _builtin("Referenceable", [], [_attribute("qualifiedName", "string", optional=False, unique=True)]),
    _builtin(
        "Asset",
        ["Referenceable"],
        [
            _attribute("name", "string", optional=False),
            _attribute("description", "string", optional=True),
            _attribute("owner", "string", optional=True),
        ],
    ),
    _builtin("DataSet", ["Asset"], []),
    _builtin(
        "Process",
        ["Asset"],
        [_attribute("inputs", "array<DataSet>", optional=True), _attribute("outputs", "array<DataSet>", optional=True)],
    ),
    *(_builtin(name, ["DataSet"], [], service_type=service) for name, service in AZURE_DATASET_TYPES.items()),
)


@dataclass
class TypeRegistry:
    """Every type definition by name (Atlas type names are case-sensitive)."""

    defs: dict[str, dict[str, Any]]

    @classmethod
    def with_builtins(cls) -> TypeRegistry:
        registry = cls({})
        for definition in BUILTIN_ENTITY_TYPES:
            registry.defs[definition["name"]] = _stamped(copy.deepcopy(definition), SYSTEM_USER, epoch_ms())
        return registry

    def entity_type(self, name: str) -> dict[str, Any] | None:
        found = self.defs.get(name)
        return found if found is not None and found["category"] == "ENTITY" else None

    def lineage(self, name: str) -> Iterator[dict[str, Any]]:
        """The entity type and all its super types (each once)."""
        seen: set[str] = set()
        pending = [name]
        while pending:
            current = pending.pop()
            definition = self.entity_type(current)
            if current in seen or definition is None:
                continue
            seen.add(current)
            yield definition
            pending.extend(definition.get("superTypes") or [])

    def attributes(self, name: str) -> dict[str, dict[str, Any]]:
        """Every attribute an entity of this type may carry, its own and inherited."""
        found: dict[str, dict[str, Any]] = {}
        for definition in self.lineage(name):
            for attribute in definition.get("attributeDefs") or []:
                found.setdefault(attribute["name"], attribute)
        return found

    def known(self, type_name: str, pending: set[str]) -> bool:
        container = _CONTAINER.match(type_name)
        if container is not None:
            return all(self.known(part.strip(), pending) for part in container.group(2).split(","))
        return type_name in PRIMITIVES or type_name in self.defs or type_name in pending


def _stamped(definition: dict[str, Any], user: str, now: int, *, version: int = 1) -> dict[str, Any]:
    definition.setdefault("guid", str(uuid.uuid4()))
    definition.setdefault("createdBy", user)
    definition.setdefault("createTime", now)
    definition["updatedBy"] = user
    definition["updateTime"] = now
    definition["version"] = version
    definition["lastModifiedTS"] = str(version)
    for attribute in definition.get("attributeDefs") or []:
        optional = bool(attribute.setdefault("isOptional", True))
        attribute.setdefault("cardinality", "SINGLE")
        attribute.setdefault("valuesMinCount", 0 if optional else 1)
        attribute.setdefault("valuesMaxCount", 1 if attribute["cardinality"] == "SINGLE" else 2147483647)
        attribute.setdefault("isUnique", False)
        attribute.setdefault("isIndexable", False)
        attribute.setdefault("includeInNotification", False)
    return definition


def _definitions(call: PurviewCall) -> list[tuple[str, dict[str, Any]]]:
    body = call.json_object()
    found: list[tuple[str, dict[str, Any]]] = []
    for key, category in CATEGORIES.items():
        items = body.get(key) or []
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise atlas_invalid_parameters(f"{key} must be an array of objects")
        for item in items:
            if not isinstance(item.get("name"), str) or not item["name"]:
                raise atlas_invalid_parameters(f"a definition in {key} has no name")
            found.append((category, item))
    return found


def _check_references(registry: TypeRegistry, definitions: list[tuple[str, dict[str, Any]]]) -> None:
    pending = {definition["name"] for _, definition in definitions}
    for category, definition in definitions:
        if category == "ENTITY":
            for super_type in definition.get("superTypes") or []:
                if registry.entity_type(super_type) is None and super_type not in pending:
                    raise type_not_found(super_type)
        for attribute in definition.get("attributeDefs") or []:
            if not isinstance(attribute, dict) or not isinstance(attribute.get("name"), str):
                raise atlas_invalid_parameters(f"an attribute of {definition['name']} has no name")
            type_name = attribute.get("typeName")
            if not isinstance(type_name, str) or not registry.known(type_name, pending):
                raise AtlasError(
                    400,
                    "ATLAS-400-00-001",
                    f"Unknown type {type_name} for {definition['name']}.{attribute['name']}",
                )


def _response(definitions: list[dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {key: [] for key in CATEGORIES}
    by_category = {category: key for key, category in CATEGORIES.items()}
    for definition in definitions:
        body[by_category[definition["category"]]].append(copy.deepcopy(definition))
    return body


def batch_create_typedefs(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    definitions = _definitions(call)
    registry = account.types
    names = [definition["name"] for _, definition in definitions]
    for name in names:
        if name in registry.defs or names.count(name) > 1:
            raise AtlasError(409, "ATLAS-409-00-001", f"Given type {name} already exists")
    _check_references(registry, definitions)
    now = epoch_ms()
    created = []
    for category, definition in definitions:
        stored = _stamped({**copy.deepcopy(definition), "category": category}, call.caller.object_id, now)
        registry.defs[stored["name"]] = stored
        created.append(stored)
    return PurviewResponse(200, _response(created))


def batch_update_typedefs(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """Replace whole definitions: attributes may be added as optional, never removed."""
    definitions = _definitions(call)
    registry = account.types
    for category, definition in definitions:
        current = registry.defs.get(definition["name"])
        if current is None or current["category"] != category:
            raise type_not_found(definition["name"])
        old = {a["name"]: a for a in current.get("attributeDefs") or []}
        new = {a.get("name"): a for a in definition.get("attributeDefs") or [] if isinstance(a, dict)}
        for name in old:
            if name not in new:
                raise AtlasError(
                    400, "ATLAS-400-00-00D", f"{definition['name']}.{name} : attribute delete not supported"
                )
        for name, attribute in new.items():
            if name not in old and attribute.get("isOptional") is False:
                raise AtlasError(
                    400, "ATLAS-400-00-00C", f"{definition['name']}.{name} : can not add mandatory attribute"
                )
    _check_references(registry, definitions)
    now = epoch_ms()
    updated = []
    for category, definition in definitions:
        current = registry.defs[definition["name"]]
        stored = {
            **copy.deepcopy(definition),
            "category": category,
            "guid": current["guid"],
            "createdBy": current["createdBy"],
            "createTime": current["createTime"],
        }
        stored = _stamped(stored, call.caller.object_id, now, version=int(current["version"]) + 1)
        registry.defs[stored["name"]] = stored
        updated.append(stored)
    return PurviewResponse(200, _response(updated))


def list_typedefs(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    wanted = call.arg("type")
    category = _TYPE_PARAMETER.get(wanted.casefold()) if wanted else None
    if wanted and category is None:
        raise AtlasError(400, "ATLAS-400-00-015", f"Type Category {wanted} is invalid")
    chosen = [d for d in account.types.defs.values() if category is None or d["category"] == category]
    return PurviewResponse(200, _response(sorted(chosen, key=lambda d: str(d["name"]))))


def get_entity_def(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    name = call.params["name"]
    definition = account.types.entity_type(name)
    if definition is None:
        raise type_not_found(name)
    return PurviewResponse(200, copy.deepcopy(definition))


def get_typedef(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    name = call.params["name"]
    definition = account.types.defs.get(name)
    if definition is None:
        raise type_not_found(name)
    return PurviewResponse(200, copy.deepcopy(definition))


def delete_typedef(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """Delete a type nobody uses: no entities, no sub types, not a base type."""
    name = call.params["name"]
    definition = account.types.defs.get(name)
    if definition is None:
        raise type_not_found(name)
    used = definition["createdBy"] == SYSTEM_USER or account.entities.uses_type(name)
    used = used or any(name in (d.get("superTypes") or []) for d in account.types.defs.values())
    if used:
        raise AtlasError(409, "ATLAS-409-00-002", f"Given type {name} has references")
    del account.types.defs[name]
    return PurviewResponse(204)
