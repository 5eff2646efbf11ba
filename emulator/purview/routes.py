"""Every data-plane route of the account: path pattern, methods, REST operation ids, handlers.

Routing is on the path alone, whatever the host, because Purview's services answer under several
host names and prefixes: collections at ``/account/collections`` (the Python SDK) and ``/collections``
(.NET), scanning at ``/datasources`` and ``/scan/datasources``, the policy store at ``/policyStore``
and ``/policystore``, Atlas under ``/datamap/api`` and ``/catalog/api``, the Unified Catalog under
``/datagovernance/catalog`` (in Azure on its own host, ``api.purview-service.microsoft.com``). Fixed
segments match case-insensitively. Each route belongs to a service, which fixes its api-versions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import collections, entities, policies, scanning, typedefs
from .calls import PurviewCall, PurviewResponse
from .unified import assets, domains, products, relationships

if TYPE_CHECKING:
    from .account import PurviewAccount

__all__ = ["ROUTES", "SERVICES", "Route", "Service", "find_route"]

Handler = Callable[["PurviewAccount", PurviewCall], PurviewResponse]


@dataclass(frozen=True)
class Service:
    """One of the account's services: its api-versions and whether a request must name one."""

    name: str
    api_versions: tuple[str, ...]
    requires_api_version: bool
    atlas_errors: bool = False


ACCOUNT = Service("account", ("2019-11-01-preview",), requires_api_version=True)
POLICY_STORE = Service("policystore", ("2021-07-01-preview", "2021-07-01"), requires_api_version=True)
SCANNING = Service(
    "scanning",
    (
        "2018-12-01-preview",
        "2021-10-01-preview",
        "2022-02-01-preview",
        "2022-07-01-preview",
        "2023-06-01-preview",
        "2023-09-01",
        "2023-10-01-preview",
    ),
    requires_api_version=True,
)
# The Data Map SDK sends 2023-09-01 on some routes only; the catalog SDK sends none on Atlas routes.
DATA_MAP = Service(
    "datamap",
    ("2022-03-01-preview", "2022-08-01-preview", "2023-09-01", "2023-10-01-preview", "2024-03-01-preview"),
    requires_api_version=False,
    atlas_errors=True,
)
UNIFIED_CATALOG = Service(
    "unifiedcatalog",
    ("2025-09-15-preview", "2026-03-20-preview"),
    requires_api_version=True,
)
SERVICES = (ACCOUNT, POLICY_STORE, SCANNING, DATA_MAP, UNIFIED_CATALOG)


@dataclass(frozen=True)
class Route:
    service: Service
    pattern: re.Pattern[str]
    operations: Mapping[str, tuple[str, Handler]]


_NAME = r"[^/]+"
_ACCOUNT = r"^(?:/account)?/collections"
_POLICY = r"^/policystore"
_SOURCE = rf"^(?:/scan)?/datasources/(?P<source>{_NAME})"
_SCAN = rf"{_SOURCE}/scans/(?P<scan>{_NAME})"
_ATLAS = r"^/(?:datamap|catalog)/api/atlas/v2"
_UC = r"^/datagovernance/catalog"
_UUID_PARAM = r"[^/]+"  # checked by the handler: a malformed uuid is 400, not an unknown route


def _route(service: Service, pattern: str, operations: Mapping[str, tuple[str, Handler]]) -> Route:
    return Route(service, re.compile(pattern + "/?$", re.IGNORECASE), operations)


ROUTES: tuple[Route, ...] = (
    _route(ACCOUNT, _ACCOUNT, {"GET": ("Collections_ListCollections", collections.list_collections)}),
    _route(
        ACCOUNT,
        rf"{_ACCOUNT}/(?P<collection>{_NAME})/getChildCollectionNames",
        {"GET": ("Collections_ListChildCollectionNames", collections.list_child_collection_names)},
    ),
    _route(
        ACCOUNT,
        rf"{_ACCOUNT}/(?P<collection>{_NAME})/getCollectionPath",
        {"GET": ("Collections_GetCollectionPath", collections.get_collection_path)},
    ),
    _route(
        ACCOUNT,
        rf"{_ACCOUNT}/(?P<collection>{_NAME})",
        {
            "GET": ("Collections_GetCollection", collections.get_collection),
            "PUT": ("Collections_CreateOrUpdateCollection", collections.create_or_update_collection),
            "DELETE": ("Collections_DeleteCollection", collections.delete_collection),
        },
    ),
    _route(POLICY_STORE, rf"{_POLICY}/metadataRoles", {"GET": ("MetadataRoles_List", policies.list_metadata_roles)}),
    _route(POLICY_STORE, rf"{_POLICY}/metadataPolicies", {"GET": ("MetadataPolicy_ListAll", policies.list_policies)}),
    _route(
        POLICY_STORE,
        rf"{_POLICY}/metadataPolicies/(?P<policy>{_NAME})",
        {
            "GET": ("MetadataPolicy_Get", policies.get_policy),
            "PUT": ("MetadataPolicy_Update", policies.update_policy),
        },
    ),
    _route(
        POLICY_STORE,
        rf"{_POLICY}/collections/(?P<collection>{_NAME})/metadataPolicy",
        {"GET": ("MetadataPolicy_GetByCollection", policies.get_collection_policy)},
    ),
    _route(SCANNING, r"^(?:/scan)?/datasources", {"GET": ("DataSources_ListAll", scanning.list_data_sources)}),
    _route(
        SCANNING,
        _SOURCE,
        {
            "GET": ("DataSources_Get", scanning.get_data_source),
            "PUT": ("DataSources_CreateOrUpdate", scanning.create_or_update_data_source),
            "DELETE": ("DataSources_Delete", scanning.delete_data_source),
        },
    ),
    _route(SCANNING, rf"{_SOURCE}/scans", {"GET": ("Scans_ListByDataSource", scanning.list_scans)}),
    _route(
        SCANNING,
        _SCAN,
        {
            "GET": ("Scans_Get", scanning.get_scan),
            "PUT": ("Scans_CreateOrUpdate", scanning.create_or_update_scan),
            "DELETE": ("Scans_Delete", scanning.delete_scan),
        },
    ),
    _route(
        SCANNING,
        rf"{_SCAN}/triggers/default",
        {
            "GET": ("Triggers_GetTrigger", scanning.get_trigger),
            "PUT": ("Triggers_CreateTrigger", scanning.create_trigger),
            "DELETE": ("Triggers_DeleteTrigger", scanning.delete_trigger),
        },
    ),
    _route(SCANNING, rf"{_SCAN}/runs", {"GET": ("ScanResult_ListScanHistory", scanning.list_scan_history)}),
    _route(
        SCANNING, rf"{_SCAN}/runs/(?P<run>{_NAME})/:cancel", {"POST": ("ScanResult_CancelScan", scanning.cancel_scan)}
    ),
    _route(SCANNING, rf"{_SCAN}/runs/(?P<run>{_NAME})", {"PUT": ("ScanResult_RunScan", scanning.run_scan)}),
    _route(
        DATA_MAP,
        rf"{_ATLAS}/types/typedefs",
        {
            "GET": ("TypeDefinition_Get", typedefs.list_typedefs),
            "POST": ("TypeDefinition_BatchCreate", typedefs.batch_create_typedefs),
            "PUT": ("TypeDefinition_BatchUpdate", typedefs.batch_update_typedefs),
        },
    ),
    _route(
        DATA_MAP,
        rf"{_ATLAS}/types/entitydef/name/(?P<name>{_NAME})",
        {"GET": ("TypeDefinition_GetEntityByName", typedefs.get_entity_def)},
    ),
    _route(
        DATA_MAP,
        rf"{_ATLAS}/types/typedef/name/(?P<name>{_NAME})",
        {
            "GET": ("TypeDefinition_GetByName", typedefs.get_typedef),
            "DELETE": ("TypeDefinition_Delete", typedefs.delete_typedef),
        },
    ),
    _route(DATA_MAP, rf"{_ATLAS}/entity", {"POST": ("Entity_CreateOrUpdate", entities.create_or_update_entity)}),
    _route(
        DATA_MAP,
        rf"{_ATLAS}/entity/bulk",
        {
            "GET": ("Entity_GetByIds", entities.get_entities_by_guids),
            "POST": ("Entity_BatchCreateOrUpdate", entities.batch_create_or_update_entities),
        },
    ),
    _route(
        DATA_MAP,
        rf"{_ATLAS}/entity/guid/(?P<guid>{_NAME})",
        {"GET": ("Entity_Get", entities.get_entity), "DELETE": ("Entity_Delete", entities.delete_entity)},
    ),
    _route(
        DATA_MAP,
        rf"{_ATLAS}/entity/uniqueAttribute/type/(?P<type>{_NAME})",
        {
            "GET": ("Entity_GetByUniqueAttribute", entities.get_entity_by_unique_attribute),
            "DELETE": ("Entity_DeleteByUniqueAttribute", entities.delete_entity_by_unique_attribute),
        },
    ),
    _route(
        UNIFIED_CATALOG,
        rf"{_UC}/businessdomains",
        {
            "GET": ("BusinessDomain_Enumerate", domains.list_domains),
            "POST": ("BusinessDomain_Create", domains.create_domain),
        },
    ),
    _route(
        UNIFIED_CATALOG,
        rf"{_UC}/businessdomains/(?P<domainId>{_UUID_PARAM})",
        {
            "GET": ("BusinessDomain_Get", domains.get_domain),
            "PUT": ("BusinessDomain_Update", domains.update_domain),
            "DELETE": ("BusinessDomain_Delete", domains.delete_domain),
        },
    ),
    _route(
        UNIFIED_CATALOG,
        rf"{_UC}/dataProducts",
        {
            "GET": ("DataProducts_List", products.list_products),
            "POST": ("DataProducts_Create", products.create_product),
        },
    ),
    # Before ``dataProducts/{id}``, which would take "query" for an id.
    _route(UNIFIED_CATALOG, rf"{_UC}/dataProducts/query", {"POST": ("DataProducts_Query", products.query_products)}),
    _route(
        UNIFIED_CATALOG, rf"{_UC}/dataProducts/query/count", {"POST": ("DataProducts_Count", products.count_products)}
    ),
    _route(
        UNIFIED_CATALOG,
        rf"{_UC}/dataProducts/(?P<dataProductId>{_UUID_PARAM})",
        {
            "GET": ("DataProducts_Get", products.get_product),
            "PUT": ("DataProducts_Update", products.update_product),
            "DELETE": ("DataProducts_Delete", products.delete_product),
        },
    ),
    _route(
        UNIFIED_CATALOG,
        rf"{_UC}/dataProducts/(?P<dataProductId>{_UUID_PARAM})/relationships",
        {
            "GET": ("DataProducts_ListRelationships", relationships.list_product_relationships),
            "POST": ("DataProducts_CreateRelationship", relationships.create_product_relationship),
            "DELETE": ("DataProducts_DeleteRelationship", relationships.delete_product_relationship),
        },
    ),
    _route(
        UNIFIED_CATALOG,
        rf"{_UC}/dataAssets",
        {
            "GET": ("DataAssets_List", assets.list_assets),
            "POST": ("DataAssets_Create", assets.create_asset),
        },
    ),
    _route(UNIFIED_CATALOG, rf"{_UC}/dataAssets/query", {"POST": ("DataAssets_Query", assets.query_assets)}),
    _route(
        UNIFIED_CATALOG,
        rf"{_UC}/dataAssets/(?P<dataAssetId>{_UUID_PARAM})",
        {
            "GET": ("DataAssets_GetById", assets.get_asset),
            "PUT": ("DataAssets_Update", assets.update_asset),
            "DELETE": ("DataAssets_DeleteById", assets.delete_asset),
        },
    ),
    _route(
        UNIFIED_CATALOG,
        rf"{_UC}/dataAssets/(?P<dataAssetId>{_UUID_PARAM})/relationships",
        {
            "GET": ("DataAssets_ListRelationships", relationships.list_asset_relationships),
            "POST": ("DataAssets_CreateRelationship", relationships.create_asset_relationship),
            "DELETE": ("DataAssets_DeleteRelationship", relationships.delete_asset_relationship),
        },
    ),
)


def find_route(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route serving ``path`` and its captured parameters, or ``None``."""
    for route in ROUTES:
        match = route.pattern.match(path)
        if match is not None:
            return route, match.groupdict()
    return None
