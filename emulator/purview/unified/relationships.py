"""The data asset ↔ data product edge, from either side: ``…/dataAssets/{id}/relationships`` and
``…/dataProducts/{id}/relationships``.

One store holds each edge once, keyed by asset and product, so an edge made from one side lists on
the other. ``entityType`` names the other side's category (the spec's ``EntityCategory``: a value
outside it is 400); an asset relates to ``DATAPRODUCT`` entities, a product to ``DATAASSET`` ones.
The emulator holds no entities of the other categories: listing them answers an empty list, relating
to one is 404 (no such entity) and deleting one 204.

- From the asset: ``POST ?entityType=DATAPRODUCT`` with ``{"entityId", "relationshipType":
  "Related"|"Synonym", "description"?}`` answers **200** ``{entityId, relationshipType, description,
  systemData}``; the product must exist (404). Relating an asset to a product it already relates to
  answers 200 with the existing edge, unchanged.
- From the product: ``POST ?entityType=DATAASSET`` takes the spec's keyed map ``{"<any key>":
  {"entityId", "relationshipType", "description"?}}`` (every entry is checked before any is made) or
  a flat ``{"entityId", …}``, and answers 200 with the last edge. ``GET`` without ``entityType``
  lists every edge (the spec declares it optional on this route).
- ``DELETE ?entityType=…&entityId=…`` answers 204, whether the edge existed or not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..calls import PurviewCall, PurviewResponse
from .fields import enum_value, invalid, not_found, optional_str, path_uuid, skip_top, uuid_value
from .paging import offset_page
from .state import Relationship, Stored, UnifiedCatalog, created_system_data

if TYPE_CHECKING:
    from ..account import PurviewAccount

__all__ = [
    "ENTITY_CATEGORIES",
    "create_asset_relationship",
    "create_product_relationship",
    "delete_asset_relationship",
    "delete_product_relationship",
    "list_asset_relationships",
    "list_product_relationships",
]

ENTITY_CATEGORIES = (
    "DOMAIN",
    "DATAPRODUCT",
    "TERM",
    "DATAASSET",
    "OBJECTIVE",
    "KEYRESULT",
    "CRITICALDATAELEMENT",
    "DATACOLUMN",
    "CUSTOMMETADATA",
    "ATTRIBUTE",
    "ATTRIBUTEINSTANCE",
    "WORKFLOW",
    "CATALOGSNAPSHOT",
    "WORKFLOWRUN",
)
RELATIONSHIP_TYPES = ("Related", "Synonym")


def _entity_type(call: PurviewCall, *, required: bool = True) -> str | None:
    value = call.arg("entityType")
    if value is None:
        if required:
            raise invalid("entityType", "The query parameter 'entityType' is required.")
        return None
    return enum_value(value, ENTITY_CATEGORIES, "entityType")


def _entity_id(call: PurviewCall) -> str:
    value = call.arg("entityId")
    if value is None:
        raise invalid("entityId", "The query parameter 'entityId' is required.")
    return uuid_value(value, "entityId")


def _asset(catalog: UnifiedCatalog, call: PurviewCall) -> Stored:
    asset_id = path_uuid(call, "dataAssetId")
    stored = catalog.assets.get(asset_id)
    if stored is None:
        raise not_found("data asset", asset_id)
    return stored


def _product(catalog: UnifiedCatalog, call: PurviewCall) -> Stored:
    product_id = path_uuid(call, "dataProductId")
    stored = catalog.products.get(product_id)
    if stored is None:
        raise not_found("data product", product_id)
    return stored


def _request(entry: dict[str, Any], at: str) -> tuple[str, str, str | None]:
    """An edge request's ``entityId``, ``relationshipType`` and ``description``."""
    prefix = f"{at}." if at else ""
    if entry.get("entityId") is None:
        raise invalid(f"{prefix}entityId", f"The field '{prefix}entityId' is required.")
    entity_id = uuid_value(entry["entityId"], f"{prefix}entityId")
    if entry.get("relationshipType") is None:
        raise invalid(f"{prefix}relationshipType", f"The field '{prefix}relationshipType' is required.")
    kind = enum_value(entry["relationshipType"], RELATIONSHIP_TYPES, f"{prefix}relationshipType")
    return entity_id, kind, optional_str(entry, "description", f"{prefix}description")


def _relate(
    catalog: UnifiedCatalog, asset_id: str, product_id: str, *, kind: str, description: str | None, caller: str
) -> Relationship:
    existing = catalog.relationships.get((asset_id, product_id))
    if existing is not None:
        return existing
    created = Relationship(asset_id, product_id, kind, description, created_system_data(caller, provisioned=False))
    catalog.relationships[(asset_id, product_id)] = created
    return created


def _listed(
    call: PurviewCall, edges: list[Relationship], render: Callable[[Relationship], dict[str, Any]]
) -> PurviewResponse:
    skip, top = skip_top(call.arg("skip"), call.arg("top"))
    entity_type = call.arg("entityType")
    carry = {"entityType": entity_type} if entity_type is not None else {}
    return PurviewResponse(200, offset_page(call, edges, render, skip=skip, top=top, carry=carry))


def list_asset_relationships(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    asset_id = path_uuid(call, "dataAssetId")
    entity_type = _entity_type(call)
    _asset(catalog, call)
    edges = catalog.of_asset(asset_id) if entity_type == "DATAPRODUCT" else []
    return _listed(call, edges, Relationship.from_asset)


def create_asset_relationship(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    path_uuid(call, "dataAssetId")
    entity_type = _entity_type(call)
    asset_id = _asset(catalog, call).doc["id"]
    product_id, kind, description = _request(call.json_object(), "")
    if entity_type != "DATAPRODUCT" or product_id not in catalog.products:
        raise not_found("data product" if entity_type == "DATAPRODUCT" else f"{entity_type} entity", product_id)
    edge = _relate(catalog, asset_id, product_id, kind=kind, description=description, caller=call.caller.object_id)
    return PurviewResponse(200, edge.from_asset())


def delete_asset_relationship(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    path_uuid(call, "dataAssetId")
    entity_type = _entity_type(call)
    product_id = _entity_id(call)
    asset_id = _asset(catalog, call).doc["id"]
    if entity_type == "DATAPRODUCT":
        catalog.relationships.pop((asset_id, product_id), None)
    return PurviewResponse(204)


def list_product_relationships(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    product_id = path_uuid(call, "dataProductId")
    entity_type = _entity_type(call, required=False)
    _product(catalog, call)
    edges = catalog.of_product(product_id) if entity_type in (None, "DATAASSET") else []
    return _listed(call, edges, Relationship.from_product)


def _entries(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The keyed map's entries (the spec's body: every value an object), or a flat object as one entry."""
    if body and all(isinstance(entry, dict) for entry in body.values()):
        return list(body.items())
    return [("", body)]


def create_product_relationship(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    path_uuid(call, "dataProductId")
    entity_type = _entity_type(call)
    product_id = _product(catalog, call).doc["id"]
    requests = [_request(entry, at) for at, entry in _entries(call.json_object())]
    for asset_id, _, _ in requests:
        if entity_type != "DATAASSET" or asset_id not in catalog.assets:
            raise not_found("data asset" if entity_type == "DATAASSET" else f"{entity_type} entity", asset_id)
    edge: Relationship | None = None
    for asset_id, kind, description in requests:
        edge = _relate(catalog, asset_id, product_id, kind=kind, description=description, caller=call.caller.object_id)
    assert edge is not None
    return PurviewResponse(200, edge.from_product())


def delete_product_relationship(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    path_uuid(call, "dataProductId")
    entity_type = _entity_type(call)
    asset_id = _entity_id(call)
    product_id = _product(catalog, call).doc["id"]
    if entity_type == "DATAASSET":
        catalog.relationships.pop((asset_id, product_id), None)
    return PurviewResponse(204)
