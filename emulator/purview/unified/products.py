"""Data products: ``/datagovernance/catalog/dataProducts[/{dataProductId}|/query|/query/count]``.

A product is created with the client's ``id`` (a uuid, required), a non-empty ``name``, the ``domain``
it belongs to (an existing business domain, else 400 naming ``domain``) and a ``type``; ``status``
defaults to ``DRAFT``. Enums (``type``, ``status``, ``updateFrequency``, ``audience``), ``contacts``
(``owner``/``expert``/``databaseAdmin`` lists of ``{id, description?}``) and the link lists
(``termsOfUse``/``documentation``: ``{url, name, dataAssetId?}``) are checked; ``description``,
``businessUse``, ``sensitivityLabel``, ``endorsed`` and ``managedAttributes`` pass through once their
types are right. PUT replaces the whole product: what the body leaves out is gone, except the
server's fields — ``systemData`` (``expiredAt``/``expiredBy`` while ``EXPIRED``),
``additionalProperties.assetCount`` (its related data assets) and ``activeSubscriberCount`` (0).

Publishing needs a published domain (400 ``DomainNotPublished``); a product's name is unique in its
domain (409 ``DuplicateName``, case-insensitive); an id in use is 409 ``AlreadyExists``. Deleting a
product removes its relationships. The list pages by ``skip``/``top`` and filters by ``domainId``;
``POST …/query`` filters by ``ids``, ``domainIds``, ``nameKeyword``, ``type``/``types``, ``owners`` and
``status``/``multiStatus`` (spelled ``Draft``/``Published``/``Expired`` there); ``…/query/count``
counts the products whose name contains ``nameKeyword``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..calls import PurviewCall, PurviewResponse, utc_now
from ..errors import PurviewError
from .domains import CATALOG_STATUSES
from .fields import (
    already_exists,
    boolean_query,
    conflict,
    contacts,
    enum_list,
    invalid,
    links,
    managed_attributes,
    not_found,
    optional_bool,
    optional_enum,
    optional_str,
    path_uuid,
    required_enum,
    required_str,
    skip_top,
    uuid_list,
    uuid_value,
)
from .paging import offset_page
from .state import Stored, UnifiedCatalog, created_system_data, updated_system_data

if TYPE_CHECKING:
    from ..account import PurviewAccount

__all__ = [
    "PRODUCT_TYPES",
    "count_products",
    "create_product",
    "delete_product",
    "get_product",
    "list_products",
    "query_products",
    "update_product",
]

PRODUCT_TYPES = (
    "Master",
    "Reference",
    "Analytical",
    "AI",
    "MasterDataAndReferenceData",
    "BusinessSystemOrApplication",
    "ModelTypes",
    "DashboardsOrReports",
    "Operational",
    "MLAITrainingDataSet",
    "MLAITestingDataSet",
    "TransactionalDataset",
    "AnalyticsModel",
    "SemanticModel",
)
UPDATE_FREQUENCIES = ("Hourly", "Daily", "Weekly", "Monthly", "Quarterly", "Yearly")
AUDIENCES = (
    "DataEngineer",
    "BIEngineer",
    "DataAnalyst",
    "DataScientist",
    "BusinessAnalyst",
    "SoftwareEngineer",
    "BusinessUser",
    "Executive",
)
# SharedEntityStatus: the query filters' spelling of CatalogModelStatus.
FILTER_STATUSES = {"Draft": "DRAFT", "Published": "PUBLISHED", "Expired": "EXPIRED"}
_STRINGS = ("description", "businessUse", "sensitivityLabel")


def _fields(catalog: UnifiedCatalog, body: dict[str, Any]) -> dict[str, Any]:
    """The client's fields of a product, checked; absent optional fields stay absent."""
    fields: dict[str, Any] = {"name": required_str(body, "name")}
    for key in _STRINGS:
        value = optional_str(body, key)
        if value is not None:
            fields[key] = value
    if body.get("domain") is None:
        raise invalid("domain", "The field 'domain' is required.")
    domain = uuid_value(body["domain"], "domain")
    if domain not in catalog.domains:
        raise invalid("domain", f"The business domain '{domain}' does not exist.")
    fields["domain"] = domain
    fields["type"] = required_enum(body, "type", PRODUCT_TYPES)
    fields["status"] = optional_enum(body, "status", CATALOG_STATUSES) or "DRAFT"
    frequency = optional_enum(body, "updateFrequency", UPDATE_FREQUENCIES)
    if frequency is not None:
        fields["updateFrequency"] = frequency
    if body.get("audience") is not None:
        fields["audience"] = enum_list(body["audience"], AUDIENCES, "audience")
    if body.get("contacts") is not None:
        fields["contacts"] = contacts(body["contacts"])
    for key in ("termsOfUse", "documentation"):
        if body.get(key) is not None:
            fields[key] = links(body[key], key)
    endorsed = optional_bool(body, "endorsed")
    if endorsed is not None:
        fields["endorsed"] = endorsed
    if body.get("managedAttributes") is not None:
        fields["managedAttributes"] = managed_attributes(body["managedAttributes"])
    if fields["status"] == "PUBLISHED" and catalog.domains[domain].doc["status"] != "PUBLISHED":
        raise PurviewError(
            400,
            "DomainNotPublished",
            f"A data product can be published only in a published business domain; '{domain}' is not published.",
            target="status",
        )
    return fields


def _check_name(catalog: UnifiedCatalog, fields: dict[str, Any], product_id: str) -> None:
    name = fields["name"].casefold()
    for other in catalog.products_in(fields["domain"]):
        if other.doc["id"] != product_id and other.doc["name"].casefold() == name:
            raise conflict(
                "DuplicateName",
                f"A data product named '{fields['name']}' already exists in business domain '{fields['domain']}'.",
            )


def _system_data(
    previous: dict[str, Any] | None, previous_status: str | None, status: str, caller: str
) -> dict[str, Any]:
    """Created or updated ``systemData``; ``expiredAt``/``expiredBy`` mark when the product became ``EXPIRED``."""
    data = created_system_data(caller) if previous is None else updated_system_data(previous, caller)
    if status == "EXPIRED":
        if previous_status != "EXPIRED" or "expiredAt" not in data:
            data["expiredAt"] = utc_now()
            data["expiredBy"] = caller
    else:
        data.pop("expiredAt", None)
        data.pop("expiredBy", None)
    return data


def _existing(catalog: UnifiedCatalog, call: PurviewCall) -> Stored:
    product_id = path_uuid(call, "dataProductId")
    stored = catalog.products.get(product_id)
    if stored is None:
        raise not_found("data product", product_id)
    return stored


def create_product(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    body = call.json_object()
    if body.get("id") is None:
        raise invalid("id", "The field 'id' is required.")
    product_id = uuid_value(body["id"], "id")
    fields = _fields(catalog, body)
    if product_id in catalog.products:
        raise already_exists("data product", product_id)
    _check_name(catalog, fields, product_id)
    doc = {"id": product_id, **fields, "systemData": _system_data(None, None, fields["status"], call.caller.object_id)}
    stored = Stored(catalog.next_seq(), doc)
    catalog.products[product_id] = stored
    return PurviewResponse(201, catalog.render_product(stored))


def get_product(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    return PurviewResponse(200, catalog.render_product(_existing(catalog, call)))


def update_product(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """``DataProducts_Update``: a full replace of an existing product."""
    catalog = account.catalog
    stored = _existing(catalog, call)
    product_id = stored.doc["id"]
    body = call.json_object()
    if body.get("id") is not None and uuid_value(body["id"], "id") != product_id:
        raise invalid("id", f"The id in the body ('{body['id']}') is not the id in the path ('{product_id}').")
    fields = _fields(catalog, body)
    _check_name(catalog, fields, product_id)
    system_data = _system_data(stored.doc["systemData"], stored.doc["status"], fields["status"], call.caller.object_id)
    stored.doc = {"id": product_id, **fields, "systemData": system_data}
    return PurviewResponse(200, catalog.render_product(stored))


def delete_product(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    catalog.remove_product(_existing(catalog, call).doc["id"])
    return PurviewResponse(204)


def list_products(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """``DataProducts_List``: ``skip``/``top`` paging, ``domainId`` filter; ``orderBy`` is ignored."""
    catalog = account.catalog
    skip, top = skip_top(call.arg("skip"), call.arg("top"))
    domain = call.arg("domainId")
    carry: dict[str, str] = {}
    products = list(catalog.products.values())
    if domain is not None:
        domain = uuid_value(domain, "domainId")
        carry["domainId"] = domain
        products = [p for p in products if p.doc["domain"] == domain]
    return PurviewResponse(200, offset_page(call, products, catalog.render_product, skip=skip, top=top, carry=carry))


def _matches_name(doc: dict[str, Any], keyword: str | None) -> bool:
    return keyword is None or keyword.casefold() in doc["name"].casefold()


def query_products(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """``DataProducts_Query``: the body's filters, its ``skip``/``top`` (a ``skip`` in the URL, as a
    ``nextLink`` carries it, wins); ``orderby`` and ``managedAttributes`` are checked and ignored."""
    catalog = account.catalog
    body = call.json_object()
    skip, top = skip_top(call.arg("skip") if call.arg("skip") is not None else body.get("skip"), body.get("top"))
    owned_only = boolean_query(call, "dataProductOwner", required=False)
    ids = set(uuid_list(body["ids"], "ids")) if body.get("ids") is not None else None
    domains = set(uuid_list(body["domainIds"], "domainIds")) if body.get("domainIds") is not None else None
    owners = set(uuid_list(body["owners"], "owners")) if body.get("owners") is not None else None
    keyword = optional_str(body, "nameKeyword")
    types: set[str] | None = None
    if body.get("type") is not None or body.get("types") is not None:
        types = set(enum_list(body.get("types") or [], PRODUCT_TYPES, "types"))
        single = optional_enum(body, "type", PRODUCT_TYPES)
        types |= {single} if single is not None else set()
    statuses: set[str] | None = None
    if body.get("status") is not None or body.get("multiStatus") is not None:
        statuses = set(enum_list(body.get("multiStatus") or [], tuple(FILTER_STATUSES), "multiStatus"))
        single = optional_enum(body, "status", tuple(FILTER_STATUSES))
        statuses |= {single} if single is not None else set()
        statuses = {FILTER_STATUSES[s] for s in statuses}
    for key in ("orderby", "managedAttributes"):
        if body.get(key) is not None and not isinstance(body[key], list):
            raise invalid(key, f"The field '{key}' must be an array.")
    caller = call.caller.object_id.lower()

    def wanted(doc: dict[str, Any]) -> bool:
        owner_ids = {c["id"] for c in doc.get("contacts", {}).get("owner", [])}
        return (
            (ids is None or doc["id"] in ids)
            and (domains is None or doc["domain"] in domains)
            and _matches_name(doc, keyword)
            and (types is None or doc["type"] in types)
            and (statuses is None or doc["status"] in statuses)
            and (owners is None or bool(owner_ids & owners))
            and (not owned_only or caller in owner_ids)
        )

    chosen = [p for p in catalog.products.values() if wanted(p.doc)]
    return PurviewResponse(200, offset_page(call, chosen, catalog.render_product, skip=skip, top=top))


def count_products(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """``DataProducts_Count``: how many products' names contain ``nameKeyword`` (case-insensitive)."""
    body = call.json_object()
    keyword = required_str(body, "nameKeyword")
    count = sum(_matches_name(p.doc, keyword) for p in account.catalog.products.values())
    return PurviewResponse(200, {"count": count})
