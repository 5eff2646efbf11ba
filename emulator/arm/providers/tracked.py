"""Tracked resources in a group (the data stores and compute of a data product), served from the store.

ARM's contract for a tracked resource is the same in every provider: PUT creates (201) or replaces
(200) it with a ``location`` that cannot change, GET/HEAD read it, PATCH updates what it is given,
DELETE removes it and everything nested in it (200, or 204 if it was not there), and a GET of the
collection lists it at group and subscription scope. What differs per type — the body rules and the
read-only properties the provider fills in — comes from the type's :class:`TrackedRules`, declared in
its provider's module. Every write publishes the event Azure publishes, once all checks have passed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ...eventgrid.events import resource_event
from ..calls import ArmCall, ArmResponse, method_not_allowed
from ..errors import ArmError, invalid_request_content, resource_not_found
from ..listing import page_of
from ..paths import ArmTarget, ResourceRef, ScopeKind
from ..registry import ResourceType
from ..store import Resource, ResourceGroup, Store, normalize_location, utc_now_iso
from ..tags import parse_tags, validate_tags
from .resources import writable

if TYPE_CHECKING:
    from ...state import EmulatorState

__all__ = [
    "ResourceWrite",
    "TrackedRules",
    "crud_operations",
    "missing_property",
    "stable_id",
    "tracked_type",
]

_NAMESPACE = uuid.UUID("0b4c6f55-3a55-4d0b-9d7e-5d8f6a1c2e30")


@dataclass(frozen=True)
class ResourceWrite:
    """A PUT (or a PATCH merged onto the stored resource) as a type's rules see it."""

    ref: ResourceRef
    group: ResourceGroup
    body: Mapping[str, Any]
    location: str
    existing: Resource | None
    store: Store

    @property
    def name(self) -> str:
        return self.ref.names[-1]

    @property
    def properties(self) -> Mapping[str, Any]:
        properties = self.body.get("properties")
        return properties if isinstance(properties, Mapping) else {}

    @property
    def sku(self) -> Mapping[str, Any] | None:
        sku = self.body.get("sku")
        return sku if isinstance(sku, Mapping) else None

    @property
    def kind(self) -> str | None:
        kind = self.body.get("kind")
        return kind if isinstance(kind, str) and kind else None


def _accept(write: ResourceWrite) -> None:
    del write


def _nothing(resource: Resource) -> Mapping[str, Any]:
    del resource
    return {}


@dataclass(frozen=True)
class TrackedRules:
    """What one type adds to the tracked-resource contract.

    ``validate`` raises the provider's ARM error for a body it refuses (after the common checks:
    location, tags, JSON shapes). ``derive`` returns the read-only properties the provider sets on
    every write (endpoints, ids, states); they win over anything the caller sent under those names.
    """

    validate: Callable[[ResourceWrite], None] = _accept
    derive: Callable[[Resource], Mapping[str, Any]] = _nothing


def missing_property(path: str) -> ArmError:
    """A required body property is absent: 400 ``InvalidRequestContent``.

    Resource providers word this differently and the emulator does not know every wording; the code
    and the status are what ARM's request deserialisation answers for a missing required member.
    """
    return invalid_request_content(f"Required property '{path}' not found in JSON")


def stable_id(resource: Resource, purpose: str) -> str:
    """A GUID the provider would have assigned, the same on every write of the same resource."""
    return str(uuid.uuid5(_NAMESPACE, f"{resource.id.casefold()}#{purpose}"))


def crud_operations(
    *, get: str, put: str, patch: str, delete: str, head: str = "Resources_CheckExistenceById"
) -> dict[str, str]:
    """An item's REST operation ids (HEAD is answered by ARM itself for every resource)."""
    return {"GET": get, "HEAD": head, "PUT": put, "PATCH": patch, "DELETE": delete}


def tracked_type(
    name: str,
    *,
    api_versions: tuple[str, ...],
    operations: Mapping[str, str],
    list_operations: Mapping[ScopeKind, str],
    rules: TrackedRules | None = None,
) -> ResourceType:
    """Declare a tracked resource type that lives in resource groups."""
    chosen = rules or TrackedRules()

    def handle(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
        return _serve(chosen, state, call, target)

    return ResourceType(
        name=name,
        api_versions=api_versions,
        handler=handle,
        item_scopes=frozenset({"resourceGroup"}),
        operations=dict(operations),
        list_operations=dict(list_operations),
    )


def _parent_not_found(parent: ResourceRef) -> ArmError:
    return ArmError(
        404,
        "ParentResourceNotFound",
        f"Can not perform requested operation on nested resource. Parent resource '{parent.name}' not found.",
    )


def _publish(
    state: EmulatorState, call: ArmCall, kind: Literal["write", "delete"], ref: ResourceRef, *, update: bool
) -> None:
    operation = f"{ref.type}/{kind}"
    state.publisher.publish(
        resource_event(
            call.context, kind=kind, subject=call.path, operation_name=operation, include_http_request=update
        )
    )


def _serve(rules: TrackedRules, state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if target.is_collection:
        return _list(state, call, target)
    group = state.store.group(target.subscription_id or "", target.group or "")
    ref = target.ref()
    resource = group.resources.get(ref.key)
    if call.method == "HEAD":
        return ArmResponse(204 if resource else 404)
    if call.method == "GET":
        if resource is None:
            raise resource_not_found(ref, group.name)
        return ArmResponse(200, resource.to_json())
    if call.method == "PUT":
        return _put(rules, state, call, group, ref, existing=resource)
    if call.method == "PATCH":
        if resource is None:
            raise resource_not_found(ref, group.name)
        return _patch(rules, state, call, group, resource)
    if call.method == "DELETE":
        if resource is None:
            return ArmResponse(204)
        writable(group)
        _remove_with_children(group, resource)
        state.store.note_removal(group.subscription_id, group.name)
        _publish(state, call, "delete", ref, update=True)
        return ArmResponse(200)
    raise method_not_allowed(call, "GET, HEAD, PUT, PATCH, DELETE")


def _location(body: Mapping[str, Any]) -> str:
    location = body.get("location")
    if location is not None and not isinstance(location, str):
        raise invalid_request_content("'location' must be a string")
    if not location or not location.strip():
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    return normalize_location(location)


def _shapes(body: Mapping[str, Any]) -> dict[str, Any]:
    """The caller's properties, after checking the JSON types ARM deserialises into."""
    properties = body.get("properties")
    if properties is not None and not isinstance(properties, dict):
        raise invalid_request_content("'properties' must be an object")
    if body.get("sku") is not None and not isinstance(body.get("sku"), dict):
        raise invalid_request_content("'sku' must be an object")
    if body.get("kind") is not None and not isinstance(body.get("kind"), str):
        raise invalid_request_content("'kind' must be a string")
    if body.get("identity") is not None and not isinstance(body.get("identity"), dict):
        raise invalid_request_content("'identity' must be an object")
    return {key: value for key, value in (properties or {}).items() if key != "provisioningState"}


def _identity(body: Mapping[str, Any], previous: Resource | None, tenant_id: str) -> dict[str, Any] | None:
    """A system-assigned identity gets a principal id (kept across updates) and the tenant id."""
    identity = body.get("identity")
    if not isinstance(identity, dict):
        return None
    if "systemassigned" in str(identity.get("type", "")).casefold():
        previous_identity = previous.identity if previous is not None and previous.identity else {}
        return {
            **identity,
            "principalId": previous_identity.get("principalId") or str(uuid.uuid4()),
            "tenantId": tenant_id,
        }
    return dict(identity)


def _put(
    rules: TrackedRules,
    state: EmulatorState,
    call: ArmCall,
    group: ResourceGroup,
    ref: ResourceRef,
    *,
    existing: Resource | None,
) -> ArmResponse:
    writable(group)
    body = call.json_body()
    parent = ref.parent()
    if parent is not None and parent.key not in group.resources:
        raise _parent_not_found(parent)
    location = _location(body)
    if existing is not None and existing.location != location:
        # Status and wording as ARM reports an existing resource asked to move (status not verified).
        raise ArmError(
            409,
            "InvalidResourceLocation",
            f"The resource '{ref.name}' already exists in location '{existing.location}' in resource group "
            f"'{group.name}'. A resource with the same name cannot be created in location '{location}'. "
            "Please select a new resource name.",
        )
    tags = parse_tags(body.get("tags"))
    validate_tags(tags)
    properties = _shapes(body)
    rules.validate(ResourceWrite(ref, group, body, location, existing, state.store))
    resource = Resource(
        subscription_id=group.subscription_id,
        group_name=group.name,
        namespace=existing.namespace if existing else ref.namespace,
        types=existing.types if existing else ref.types,
        names=existing.names if existing else ref.names,
        location=location,
        tags=tags,
        kind=body.get("kind"),
        sku=body.get("sku"),
        identity=_identity(body, existing, call.context.tenant_id),
        managed_by=body.get("managedBy"),
        properties=properties,
    )
    if existing is not None:
        resource.created_time = existing.created_time
    resource.properties.update(rules.derive(resource))
    group.resources[resource.key] = resource
    _publish(state, call, "write", ref, update=existing is not None)
    return ArmResponse(200 if existing else 201, resource.to_json())


def _patch(
    rules: TrackedRules, state: EmulatorState, call: ArmCall, group: ResourceGroup, resource: Resource
) -> ArmResponse:
    writable(group)
    body = call.json_body()
    given = _shapes(body)
    merged: dict[str, Any] = {
        "location": resource.location,
        "tags": parse_tags(body["tags"]) if "tags" in body else dict(resource.tags),
        "sku": body.get("sku", resource.sku),
        "kind": body.get("kind", resource.kind),
        "identity": body.get("identity", resource.identity),
        "properties": {**resource.properties, **given},
    }
    validate_tags(merged["tags"])
    ref = ResourceRef(resource.namespace, resource.types, resource.names)
    rules.validate(ResourceWrite(ref, group, merged, resource.location, resource, state.store))
    resource.tags = merged["tags"]
    resource.sku = merged["sku"]
    resource.kind = merged["kind"]
    if "identity" in body:
        resource.identity = _identity(merged, resource, call.context.tenant_id)
    resource.properties = merged["properties"]
    resource.properties.update(rules.derive(resource))
    resource.changed_time = utc_now_iso()
    _publish(state, call, "write", ref, update=True)
    return ArmResponse(200, resource.to_json())


def _remove_with_children(group: ResourceGroup, resource: Resource) -> None:
    """Delete a resource and what is nested in it (a server's databases), as ARM does."""
    type_prefix = f"{resource.type}/".casefold()
    name_prefix = f"{resource.name}/".casefold()
    for key, candidate in list(group.resources.items()):
        if candidate is resource or (
            candidate.type.casefold().startswith(type_prefix) and candidate.name.casefold().startswith(name_prefix)
        ):
            del group.resources[key]


def _list(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    """A GET of the type's collection in a group (under a parent for nested types) or a subscription."""
    if call.method != "GET":
        raise method_not_allowed(call, "GET")
    subscription_id = target.subscription_id or ""
    if target.group is not None:
        group = state.store.group(subscription_id, target.group)
        groups = [group]
        parent = ResourceRef(target.namespace, target.types[:-1], target.names) if target.names else None
        if parent is not None and parent.key not in group.resources:
            raise resource_not_found(parent, group.name)
    else:
        groups = list(state.store.subscription(subscription_id).groups.values())
    wanted_type = target.type.casefold()
    parent_names = tuple(name.casefold() for name in target.names)
    chosen = [
        resource
        for group in groups
        for resource in group.resources.values()
        if resource.type.casefold() == wanted_type
        and tuple(name.casefold() for name in resource.names[: len(parent_names)]) == parent_names
    ]
    page = page_of(
        chosen,
        key=lambda resource: resource.id.casefold(),
        render=lambda resource: resource.to_json(),
        query=call.query,
        page_size=state.settings.page_size,
        base_url=call.base_url,
        path=call.path,
    )
    return ArmResponse(200, page.to_json())
