"""Business (governance) domains: ``/datagovernance/catalog/businessdomains[/{domainId}]``.

A domain needs a non-empty ``name`` and a ``type``; ``status`` defaults to ``DRAFT``. A client's ``id``
(a uuid) is kept, else the server makes one; an id in use is 409 ``AlreadyExists``. ``parentId`` names
an existing domain (never the domain itself or one below it); two domains of one parent cannot share
a name (409 ``DuplicateName``, case-insensitive). The server fills ``systemData``, ``thumbnail``
(``{"color": "#FFFFFF"}``), ``domains`` (``[]``: the service's related collections, not settable
here), ``managedAttributes`` (``[]``), ``isRestricted`` (``false``) and ``parentId`` (``null`` at the
top). PUT replaces the domain whole; a domain holding data products or sub-domains cannot be
deleted (409 ``DomainNotEmpty``). The list pages by skip token.
"""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any

from ..calls import PurviewCall, PurviewResponse
from .fields import (
    already_exists,
    boolean_query,
    conflict,
    enum_value,
    invalid,
    managed_attributes,
    not_found,
    optional_bool,
    optional_object,
    optional_str,
    path_uuid,
    required_enum,
    required_str,
    uuid_value,
)
from .paging import token_page
from .state import Stored, UnifiedCatalog, created_system_data, updated_system_data

if TYPE_CHECKING:
    from ..account import PurviewAccount

__all__ = [
    "CATALOG_STATUSES",
    "DOMAIN_TYPES",
    "create_domain",
    "delete_domain",
    "get_domain",
    "list_domains",
    "update_domain",
]

DOMAIN_TYPES = ("FunctionalUnit", "LineOfBusiness", "DataDomain", "Regulatory", "Project")
# CatalogModelStatus, the status of entity bodies (query filters spell it Draft|Published|Expired).
CATALOG_STATUSES = ("DRAFT", "PUBLISHED", "EXPIRED")
DEFAULT_THUMBNAIL = {"color": "#FFFFFF"}


def _ancestors(catalog: UnifiedCatalog, domain_id: str) -> list[str]:
    found: list[str] = []
    current = catalog.domains.get(domain_id)
    while current is not None and current.doc.get("parentId") and current.doc["parentId"] not in found:
        found.append(current.doc["parentId"])
        current = catalog.domains.get(current.doc["parentId"])
    return found


def _fields(catalog: UnifiedCatalog, body: dict[str, Any], domain_id: str) -> dict[str, Any]:
    """The client's fields of a domain, checked, with the server's defaults."""
    fields: dict[str, Any] = {"name": required_str(body, "name")}
    description = optional_str(body, "description")
    if description is not None:
        fields["description"] = description
    fields["type"] = required_enum(body, "type", DOMAIN_TYPES)
    status = body.get("status")
    fields["status"] = enum_value(status, CATALOG_STATUSES, "status") if status is not None else "DRAFT"
    fields["isRestricted"] = bool(optional_bool(body, "isRestricted"))
    parent = body.get("parentId")
    if parent is not None:
        parent = uuid_value(parent, "parentId")
        if parent not in catalog.domains:
            raise invalid("parentId", f"The parent business domain '{parent}' does not exist.")
        if parent == domain_id or domain_id in _ancestors(catalog, parent):
            raise invalid("parentId", f"The business domain '{domain_id}' cannot be placed under itself.")
    fields["parentId"] = parent
    thumbnail = optional_object(body, "thumbnail")
    if thumbnail is not None:
        optional_str(thumbnail, "color", "thumbnail.color")
    fields["thumbnail"] = copy.deepcopy(thumbnail) if thumbnail is not None else dict(DEFAULT_THUMBNAIL)
    attributes = body.get("managedAttributes")
    fields["managedAttributes"] = managed_attributes(attributes) if attributes is not None else []
    return fields


def _check_name(catalog: UnifiedCatalog, fields: dict[str, Any], domain_id: str) -> None:
    name = fields["name"].casefold()
    for other in catalog.domains.values():
        doc = other.doc
        if doc["id"] != domain_id and doc["parentId"] == fields["parentId"] and doc["name"].casefold() == name:
            raise conflict(
                "DuplicateName", f"A business domain named '{fields['name']}' already exists under the same parent."
            )


def _existing(catalog: UnifiedCatalog, call: PurviewCall) -> Stored:
    domain_id = path_uuid(call, "domainId")
    stored = catalog.domains.get(domain_id)
    if stored is None:
        raise not_found("business domain", domain_id)
    return stored


def list_domains(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """``BusinessDomain_Enumerate``. ``writeOnly`` is checked and ignored: every caller may write everything."""
    boolean_query(call, "writeOnly", required=False)
    catalog = account.catalog
    return PurviewResponse(200, token_page(call, list(catalog.domains.values()), lambda d: copy.deepcopy(d.doc)))


def create_domain(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    body = call.json_object()
    domain_id = uuid_value(body["id"], "id") if body.get("id") is not None else str(uuid.uuid4())
    fields = _fields(catalog, body, domain_id)
    if domain_id in catalog.domains:
        raise already_exists("business domain", domain_id)
    _check_name(catalog, fields, domain_id)
    doc = {"id": domain_id, **fields, "domains": [], "systemData": created_system_data(call.caller.object_id)}
    catalog.domains[domain_id] = Stored(catalog.next_seq(), doc)
    return PurviewResponse(201, copy.deepcopy(doc))


def get_domain(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    return PurviewResponse(200, copy.deepcopy(_existing(account.catalog, call).doc))


def update_domain(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """``BusinessDomain_Update``: a full replace of an existing domain."""
    catalog = account.catalog
    stored = _existing(catalog, call)
    domain_id = stored.doc["id"]
    body = call.json_object()
    if body.get("id") is not None and uuid_value(body["id"], "id") != domain_id:
        raise invalid("id", f"The id in the body ('{body['id']}') is not the id in the path ('{domain_id}').")
    fields = _fields(catalog, body, domain_id)
    _check_name(catalog, fields, domain_id)
    stored.doc = {
        "id": domain_id,
        **fields,
        "domains": stored.doc["domains"],
        "systemData": updated_system_data(stored.doc["systemData"], call.caller.object_id),
    }
    return PurviewResponse(200, copy.deepcopy(stored.doc))


def delete_domain(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    catalog = account.catalog
    stored = _existing(catalog, call)
    domain_id = stored.doc["id"]
    products = catalog.products_in(domain_id)
    if products:
        raise conflict(
            "DomainNotEmpty",
            f"The business domain '{domain_id}' still holds {len(products)} data product(s); "
            "delete or move them first.",
        )
    if catalog.subdomains(domain_id):
        raise conflict("DomainNotEmpty", f"The business domain '{domain_id}' still has sub-domains; delete them first.")
    del catalog.domains[domain_id]
    return PurviewResponse(204)
