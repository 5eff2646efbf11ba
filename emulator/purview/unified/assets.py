"""Data assets: ``/datagovernance/catalog/dataAssets[/{dataAssetId}|/query]``.

A data asset registers a Data Map asset in the catalog: the body is ``{"source": {"assetId"}, "contacts"?,
"openInUrl"?}`` and ``source.assetId`` must be the guid of an ``ACTIVE`` entity of the account's Data
Map (else 400 naming ``source.assetId``); one catalog asset per Data Map asset (a second is 409
``AlreadyExists`` naming the first). The server fills the rest from the entity: ``name`` (its ``name``
attribute, else its ``qualifiedName``), ``type`` (``ADLSGen2Path`` for ``adls_gen2_path``,
``AzureSqlTable`` for ``azure_sql_table``, else ``General``), ``source`` (``type`` ``DataMap``,
``assetType`` the Atlas type, ``fqn`` the qualified name, the account's name, when and by whom it was
read) and empty ``classifications``, ``schema`` and ``typeProperties``; ``contacts`` is ``{}`` and
``openInUrl`` ``null`` when not given. A PUT replaces ``contacts`` and ``openInUrl``, may not change
``source.assetId`` (400), and reads the entity again while it is active.

Reads need ``includeExtendedProperties`` (and, for one asset, ``includeLineage``): each ``true`` or
``false``, missing is 400. One asset answers with ``"lineage": {}``. ``POST …/query`` filters by
``ids``, ``nameKeyword`` (case-insensitive substring), ``owners``, ``sourceAssetIds``, ``assetTypes``
(the Atlas type names) and ``includingOrphans`` (``false``: only assets related to a data product);
an absent filter matches everything.
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

from ..calls import PurviewCall, PurviewResponse, utc_now
from .fields import (
    boolean_query,
    conflict,
    contacts,
    invalid,
    not_found,
    optional_bool,
    optional_object,
    optional_str,
    path_uuid,
    skip_top,
    uuid_list,
    uuid_value,
)
from .paging import offset_page
from .state import Stored, UnifiedCatalog, created_system_data, updated_system_data

if TYPE_CHECKING:
    from ..account import PurviewAccount
    from ..entities import Entity

__all__ = [
    "ASSET_TYPES",
    "create_asset",
    "delete_asset",
    "get_asset",
    "list_assets",
    "query_assets",
    "update_asset",
]

# The catalog's asset type (DataAsset's discriminator) for each Atlas type it knows; anything else is General.
ASSET_TYPES = {"adls_gen2_path": "ADLSGen2Path", "azure_sql_table": "AzureSqlTable"}


def _source_asset_id(body: dict[str, Any]) -> str | None:
    source = optional_object(body, "source")
    if source is None:
        return None
    if source.get("assetId") is None:
        raise invalid("source.assetId", "The field 'source.assetId' is required.")
    return uuid_value(source["assetId"], "source.assetId")


def _client_fields(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "contacts": contacts(body["contacts"]) if body.get("contacts") is not None else {},
        "openInUrl": optional_str(body, "openInUrl"),
    }


def _active_entity(account: PurviewAccount, guid: str) -> Entity:
    entity = account.entities.by_guid.get(guid)
    if entity is None or entity.status != "ACTIVE":
        raise invalid("source.assetId", f"'{guid}' is not the guid of an active asset in the Data Map.")
    return entity


def _from_entity(account: PurviewAccount, entity: Entity, caller: str) -> dict[str, Any]:
    """What the server reads from the Data Map entity."""
    name = entity.attributes.get("name")
    return {
        "name": name if isinstance(name, str) and name else entity.qualified_name,
        "type": ASSET_TYPES.get(entity.type_name, "General"),
        "source": {
            "type": "DataMap",
            "assetId": entity.guid,
            "assetType": entity.type_name,
            "fqn": entity.qualified_name,
            "accountName": account.name,
            "lastRefreshedAt": utc_now(),
            "lastRefreshedBy": caller,
        },
    }


def _document(
    asset_id: str, read: dict[str, Any], client: dict[str, Any], system_data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": asset_id,
        "name": read["name"],
        "type": read["type"],
        "description": None,
        "classifications": [],
        "contacts": client["contacts"],
        "openInUrl": client["openInUrl"],
        "schema": [],
        "typeProperties": {},
        "source": read["source"],
        "systemData": system_data,
    }


def _existing(catalog: UnifiedCatalog, call: PurviewCall) -> Stored:
    asset_id = path_uuid(call, "dataAssetId")
    stored = catalog.assets.get(asset_id)
    if stored is None:
        raise not_found("data asset", asset_id)
    return stored


def create_asset(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    body = call.json_object()
    guid = _source_asset_id(body)
    if guid is None:
        raise invalid("source", "The field 'source' is required.")
    client = _client_fields(body)
    entity = _active_entity(account, guid)
    existing = catalog.asset_for_source(entity.guid)
    if existing is not None:
        raise conflict(
            "AlreadyExists",
            f"The Data Map asset '{entity.guid}' is already registered as data asset '{existing.doc['id']}'.",
        )
    caller = call.caller.object_id
    asset_id = str(uuid.uuid4())
    doc = _document(asset_id, _from_entity(account, entity, caller), client, created_system_data(caller))
    catalog.assets[asset_id] = Stored(catalog.next_seq(), doc)
    return PurviewResponse(201, copy.deepcopy(doc))


def get_asset(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """``DataAssets_GetById``: the asset and its lineage (always empty: nothing is scanned here)."""
    path_uuid(call, "dataAssetId")
    boolean_query(call, "includeExtendedProperties", required=True)
    boolean_query(call, "includeLineage", required=True)
    stored = _existing(account.catalog, call)
    return PurviewResponse(200, {**copy.deepcopy(stored.doc), "lineage": {}})


def list_assets(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """``DataAssets_List``: ``skip``/``top`` paging; ``orderBy`` is ignored."""
    extended = boolean_query(call, "includeExtendedProperties", required=True)
    skip, top = skip_top(call.arg("skip"), call.arg("top"))
    assets = list(account.catalog.assets.values())
    carry = {"includeExtendedProperties": "true" if extended else "false"}
    return PurviewResponse(
        200, offset_page(call, assets, lambda a: copy.deepcopy(a.doc), skip=skip, top=top, carry=carry)
    )


def update_asset(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """``DataAssets_Update``: replaces ``contacts`` and ``openInUrl``; the Data Map asset stays the same."""
    catalog = account.catalog
    stored = _existing(catalog, call)
    body = call.json_object()
    guid = _source_asset_id(body)
    current = stored.doc["source"]["assetId"]
    if guid is not None and guid != current:
        raise invalid("source.assetId", f"A data asset's Data Map asset cannot change (it is '{current}').")
    client = _client_fields(body)
    caller = call.caller.object_id
    entity = account.entities.by_guid.get(current)
    if entity is not None and entity.status == "ACTIVE":
        read = _from_entity(account, entity, caller)
    else:
        read = {key: stored.doc[key] for key in ("name", "type", "source")}
    system_data = updated_system_data(stored.doc["systemData"], caller)
    stored.doc = _document(stored.doc["id"], read, client, system_data)
    return PurviewResponse(200, copy.deepcopy(stored.doc))


def delete_asset(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    catalog.remove_asset(_existing(catalog, call).doc["id"])
    return PurviewResponse(204)


def _strings(body: dict[str, Any], key: str) -> set[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid(key, f"The field '{key}' must be an array of strings.")
    return set(value)


def query_assets(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """``DataAssets_Query``: the body filters; pages continue at the ``nextLink`` (its ``skip``)."""
    catalog = account.catalog
    body = call.json_object()
    skip, _ = skip_top(call.arg("skip"), None)
    ids = set(uuid_list(body["ids"], "ids")) if body.get("ids") is not None else None
    owners = set(uuid_list(body["owners"], "owners")) if body.get("owners") is not None else None
    sources = None
    if body.get("sourceAssetIds") is not None:
        sources = set(uuid_list(body["sourceAssetIds"], "sourceAssetIds"))
    types = _strings(body, "assetTypes")
    keyword = optional_str(body, "nameKeyword")
    orphans = optional_bool(body, "includingOrphans")
    related = {asset_id for asset_id, _ in catalog.relationships}

    def wanted(doc: dict[str, Any]) -> bool:
        owner_ids = {c["id"] for c in doc["contacts"].get("owner", [])}
        return (
            (ids is None or doc["id"] in ids)
            and (keyword is None or keyword.casefold() in doc["name"].casefold())
            and (owners is None or bool(owner_ids & owners))
            and (sources is None or doc["source"]["assetId"] in sources)
            and (types is None or doc["source"]["assetType"] in types)
            and (orphans is not False or doc["id"] in related)
        )

    chosen = [a for a in catalog.assets.values() if wanted(a.doc)]
    return PurviewResponse(200, offset_page(call, chosen, lambda a: copy.deepcopy(a.doc), skip=skip, top=None))
