"""Collections (the account API, ``/account/collections``, api-version ``2019-11-01-preview``).

What Purview does and the emulator reproduces: a PUT answers 200 even when it creates; a new
collection is ``Creating`` for a while (here: for a configurable number of GETs of it) before it is
``Succeeded``; names are case-insensitive and answered lower-cased; ``friendlyName`` defaults to the
name; every collection but the root (named after the account) has a parent, which must exist and be
ready; a collection with children, data sources, scans or assets cannot be deleted; DELETE answers
204. Each new collection gets its metadata policy (:mod:`emulator.purview.policies`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .calls import PurviewCall, PurviewResponse, utc_now
from .errors import PurviewError, bad_body
from .paging import page

if TYPE_CHECKING:
    from .account import PurviewAccount

__all__ = [
    "Collection",
    "collection_not_found",
    "collection_not_ready",
    "create_or_update_collection",
    "delete_collection",
    "get_collection",
    "get_collection_path",
    "list_child_collection_names",
    "list_collections",
]

# What the emulator accepts for a new collection's name (Purview's own rule is not documented).
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


@dataclass
class Collection:
    """One collection; ``gets_until_ready`` counts the GETs that still answer ``Creating``."""

    name: str
    friendly_name: str
    parent: str | None
    description: str | None
    created_by: str
    created_by_type: str
    created_at: str
    modified_by: str
    modified_by_type: str
    modified_at: str
    gets_until_ready: int = 0

    @property
    def key(self) -> str:
        return self.name.casefold()

    @property
    def state(self) -> str:
        return "Creating" if self.gets_until_ready > 0 else "Succeeded"

    @property
    def ready(self) -> bool:
        return self.gets_until_ready <= 0

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name, "friendlyName": self.friendly_name}
        if self.parent is not None:
            body["parentCollection"] = {"type": "CollectionReference", "referenceName": self.parent}
        body["description"] = self.description
        body["systemData"] = {
            "createdBy": self.created_by,
            "createdByType": self.created_by_type,
            "createdAt": self.created_at,
            "lastModifiedBy": self.modified_by,
            "lastModifiedByType": self.modified_by_type,
            "lastModifiedAt": self.modified_at,
        }
        body["collectionProvisioningState"] = self.state
        return body


def collection_not_found(name: str) -> PurviewError:
    return PurviewError(404, "CollectionNotFound", f"Collection '{name.lower()}' was not found.")


def collection_not_ready(name: str) -> PurviewError:
    """A collection still being created cannot hold children, sources or scans yet (409, unverified code)."""
    return PurviewError(
        409,
        "CollectionNotReady",
        f"Collection '{name.lower()}' is still being provisioned (collectionProvisioningState 'Creating'). "
        "Retry once it has succeeded.",
    )


def _found(account: PurviewAccount, name: str) -> Collection:
    collection = account.collections.get(name.casefold())
    if collection is None:
        raise collection_not_found(name)
    return collection


def get_collection(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """A GET shows the current state, then counts toward ``Succeeded``."""
    collection = _found(account, call.params["collection"])
    body = collection.to_json()
    if collection.gets_until_ready > 0:
        collection.gets_until_ready -= 1
    return PurviewResponse(200, body)


def _optional_string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_body(f"'{key}' must be a string")
    return value


def _parent_reference(body: dict[str, Any]) -> str | None:
    parent = body.get("parentCollection")
    if parent is None:
        return None
    if not isinstance(parent, dict):
        raise bad_body("'parentCollection' must be an object")
    reference = parent.get("referenceName")
    kind = parent.get("type", "CollectionReference")
    if kind != "CollectionReference":
        raise bad_body("'parentCollection.type' must be 'CollectionReference'")
    if not isinstance(reference, str) or not reference.strip():
        raise bad_body("'parentCollection.referenceName' must be a non-empty string")
    return reference


def _invalid_parent(message: str) -> PurviewError:
    return PurviewError(400, "InvalidParentCollection", message)


def create_or_update_collection(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    name = call.params["collection"]
    body = call.json_object()
    friendly = _optional_string(body, "friendlyName")
    description = _optional_string(body, "description")
    reference = _parent_reference(body)
    existing = account.collections.get(name.casefold())
    now = utc_now()
    if existing is not None and existing.key == account.root.key:
        if reference is not None:
            raise _invalid_parent("The root collection cannot have a parent collection.")
        parent_name = None
    else:
        if existing is None and not _NAME.match(name):
            raise PurviewError(
                400,
                "InvalidCollectionName",
                f"The collection name '{name}' is invalid: use 1-36 letters, digits, '-' or '_'.",
            )
        if reference is None and existing is None:
            raise _invalid_parent("'parentCollection.referenceName' is required for a collection other than the root.")
        parent_name = _checked_parent(account, existing, name, reference) if reference is not None else None
        if parent_name is None and existing is not None:
            parent_name = existing.parent
    if existing is None:
        collection = Collection(
            name=name.lower(),
            friendly_name=friendly or name.lower(),
            parent=parent_name,
            description=description,
            created_by=call.caller.object_id,
            created_by_type=call.caller_type,
            created_at=now,
            modified_by=call.caller.object_id,
            modified_by_type=call.caller_type,
            modified_at=now,
            gets_until_ready=call.creating_gets,
        )
        account.add_collection(collection, creator=call.caller.object_id)
        return PurviewResponse(200, collection.to_json())
    if friendly is not None:
        existing.friendly_name = friendly
    if "description" in body:
        existing.description = description
    if parent_name is not None and parent_name != existing.parent:
        account.move_collection(existing, parent_name)
    existing.modified_by = call.caller.object_id
    existing.modified_by_type = call.caller_type
    existing.modified_at = now
    return PurviewResponse(200, existing.to_json())


def _checked_parent(account: PurviewAccount, existing: Collection | None, name: str, reference: str) -> str:
    parent = account.collections.get(reference.casefold())
    if parent is None:
        raise PurviewError(
            400, "ParentCollectionNotFound", f"The parent collection '{reference.lower()}' does not exist."
        )
    if parent.key == name.casefold() or (existing is not None and existing.key in account.ancestors(parent.name)):
        raise _invalid_parent(f"Collection '{name.lower()}' cannot be moved under itself or one of its descendants.")
    if not parent.ready and (existing is None or existing.parent != parent.name):
        raise collection_not_ready(parent.name)
    return parent.name


def delete_collection(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    collection = _found(account, call.params["collection"])
    if collection.key == account.root.key:
        raise PurviewError(400, "CannotDeleteRootCollection", "The root collection cannot be deleted.")
    if account.children(collection.name):
        raise PurviewError(
            409,
            "CollectionHasChildren",
            f"Collection '{collection.name}' has child collections; delete or move them first.",
        )
    if account.sources_in(collection.name):
        raise PurviewError(
            409,
            "CollectionHasDataSources",
            f"Collection '{collection.name}' holds data sources or scans; delete or move them first.",
        )
    if account.entities.active_in(collection.name):
        raise PurviewError(
            409, "CollectionHasAssets", f"Collection '{collection.name}' holds assets; delete or move them first."
        )
    account.remove_collection(collection)
    return PurviewResponse(204)


def list_collections(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    return PurviewResponse(
        200,
        page(call, list(account.collections.values()), key=lambda c: c.key, render=lambda c: c.to_json()),
    )


def list_child_collection_names(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    collection = _found(account, call.params["collection"])
    return PurviewResponse(
        200,
        page(
            call,
            account.children(collection.name),
            key=lambda c: c.key,
            render=lambda c: {"name": c.name, "friendlyName": c.friendly_name},
        ),
    )


def get_collection_path(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """The chain of parents from the root down to the collection's own parent."""
    collection = _found(account, call.params["collection"])
    parents = [account.collections[name.casefold()] for name in reversed(account.ancestors(collection.name))]
    return PurviewResponse(
        200,
        {"parentNames": [c.name for c in parents], "parentFriendlyNames": [c.friendly_name for c in parents]},
    )
