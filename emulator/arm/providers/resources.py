"""ARM's resource-group, resource and tags-at-scope operations (arm.md sections 1-3 and 7).

Handlers take a parsed request (:class:`ArmCall`) and return an :class:`ArmResponse` or raise
:class:`ArmError`; they change state only once every check has passed, and publish the event Azure
would publish only then. Nothing here knows about HTTP plumbing: the gateway does auth, faults,
throttling, latency, logging and headers around it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ...eventgrid.events import OperationContext, resource_event
from ...state import EmulatorState
from ..errors import ArmError, invalid_request_content, resource_group_not_found
from ..listing import FilterClause, page_of, parse_filter
from ..paths import (
    ArmTarget,
    OperationResult,
    ResourceCollection,
    ResourceGroupCollection,
    ResourceGroupItem,
    ResourceItem,
    ResourceRef,
    SubscriptionItem,
    SubscriptionResources,
    TagsAtScope,
    UnknownTarget,
)
from ..store import Resource, ResourceGroup, normalize_location, utc_now_iso
from ..tags import TagOperation, apply_tag_patch, find_tag, parse_tags, validate_tags

__all__ = ["ArmCall", "ArmResponse", "dispatch", "operation_id"]

GROUP_WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write"
GROUP_DELETE = "Microsoft.Resources/subscriptions/resourceGroups/delete"
TAGS_WRITE = "Microsoft.Resources/tags/write"
TAGS_DELETE = "Microsoft.Resources/tags/delete"
_TAG_OPERATIONS: dict[str, TagOperation] = {"merge": "Merge", "replace": "Replace", "delete": "Delete"}
_GROUP_NAME = re.compile(r"^[-\w._()]+$")
_INVALID_GROUP_CHARACTER = re.compile(r"[^-\w._()]")


@dataclass(frozen=True)
class ArmCall:
    """One authenticated ARM request, as the handlers need it."""

    method: str
    path: str
    query: Mapping[str, str]
    body: bytes
    base_url: str
    context: OperationContext

    def json_body(self) -> dict[str, Any]:
        if not self.body.strip():
            raise invalid_request_content("the request body is empty")
        try:
            value = json.loads(self.body)
        except ValueError as error:
            raise invalid_request_content(str(error)) from None
        if not isinstance(value, dict):
            raise invalid_request_content("the request body must be a JSON object")
        return value


@dataclass(frozen=True)
class ArmResponse:
    status: int
    body: Any | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def operation_id(method: str, target: ArmTarget) -> str:
    """The REST operation id (as in the ARM specs) a request maps to, for the request log."""
    method = method.upper()
    verbs = {"GET": "Get", "HEAD": "CheckExistence", "PUT": "CreateOrUpdate", "PATCH": "Update", "DELETE": "Delete"}
    verb = verbs.get(method, method.title())
    match target:
        case SubscriptionItem():
            return f"Subscriptions_{verb}"
        case ResourceGroupCollection():
            return "ResourceGroups_List" if method == "GET" else f"ResourceGroups_{verb}"
        case ResourceGroupItem():
            return f"ResourceGroups_{verb}"
        case ResourceCollection():
            return "Resources_ListByResourceGroup"
        case SubscriptionResources():
            return "Resources_List"
        case ResourceItem():
            return f"Resources_{verb}ById"
        case TagsAtScope():
            return f"Tags_{verb}AtScope"
        case OperationResult():
            return "OperationResults_Get"
        case UnknownTarget():
            return f"Unknown_{verb}"
    return f"Unknown_{verb}"


def dispatch(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    """Route a parsed request to its handler."""
    routes: dict[type, Callable[[EmulatorState, ArmCall, Any], ArmResponse]] = {
        SubscriptionItem: _subscription,
        ResourceGroupCollection: _group_collection,
        ResourceGroupItem: _group,
        ResourceCollection: _group_resources,
        SubscriptionResources: _subscription_resources,
        ResourceItem: _resource,
        TagsAtScope: _tags,
        OperationResult: _operation_result,
    }
    handler = routes.get(type(target))
    if handler is None or isinstance(target, UnknownTarget):
        raise _unknown(call, target if isinstance(target, UnknownTarget) else UnknownTarget())
    return handler(state, call, target)


def _unknown(call: ArmCall, target: UnknownTarget) -> ArmError:
    if target.namespace and target.type:
        return ArmError(
            404,
            "InvalidResourceType",
            f"The resource type '{target.type}' could not be found in the namespace '{target.namespace}' "
            f"for api version '{call.query.get('api-version', '')}'.",
        )
    return ArmError(404, "InvalidResourceType", f"The resource type could not be found for path '{call.path}'.")


def _method_not_allowed(call: ArmCall, allowed: str) -> ArmError:
    return ArmError(
        405,
        "MethodNotAllowed",
        f"The requested resource does not support http method '{call.method}'.",
        {"Allow": allowed},
    )


def _publish(state: EmulatorState, event: dict[str, Any]) -> None:
    state.publisher.publish(event)


def _event(
    call: ArmCall, kind: Literal["write", "delete"], subject: str, operation: str, *, update: bool
) -> dict[str, Any]:
    return resource_event(
        call.context, kind=kind, subject=subject, operation_name=operation, include_http_request=update
    )


def _writable(group: ResourceGroup) -> ResourceGroup:
    if group.provisioning_state == "Deleting":
        raise ArmError(
            409,
            "ResourceGroupBeingDeleted",
            f"The resource group '{group.name}' is in deprovisioning state and cannot perform this operation.",
        )
    return group


# -- subscriptions ---------------------------------------------------------------------------------


def _subscription(state: EmulatorState, call: ArmCall, target: SubscriptionItem) -> ArmResponse:
    if call.method != "GET":
        raise _method_not_allowed(call, "GET")
    return ArmResponse(200, state.store.subscription(target.subscription_id).to_json())


# -- resource groups -------------------------------------------------------------------------------


def _validate_group_name(name: str) -> None:
    if not 1 <= len(name) <= 90 or name.endswith("."):
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' is invalid: it must be 1 to 90 characters long and "
            "must not end with a period.",
        )
    if not _GROUP_NAME.match(name):
        invalid = "".join(dict.fromkeys(_INVALID_GROUP_CHARACTER.findall(name)))
        raise ArmError(
            400,
            "InvalidResourceGroup",
            f"The provided resource group name '{name}' has these invalid characters: '{invalid}'. "
            "The name can only be a letter, digit, '-', '.', '(', ')' or '_'.",
        )


def _group_collection(state: EmulatorState, call: ArmCall, target: ResourceGroupCollection) -> ArmResponse:
    if call.method != "GET":
        raise _method_not_allowed(call, "GET")
    subscription = state.store.subscription(target.subscription_id)
    clauses = parse_filter(call.query.get("$filter"), ("tagName", "tagValue"))
    groups = [group for group in subscription.groups.values() if _tags_match(group.tags, clauses)]
    page = page_of(
        groups,
        key=lambda group: group.name.casefold(),
        render=lambda group: group.to_json(),
        query=call.query,
        page_size=state.settings.page_size,
        base_url=call.base_url,
        path=call.path,
    )
    return ArmResponse(200, page.to_json())


def _tags_match(tags: Mapping[str, str], clauses: list[FilterClause]) -> bool:
    """ARM's tag filter: ``tagName eq 'x'`` (case-insensitive name) optionally ``and tagValue eq 'y'``."""
    names = [clause.value for clause in clauses if clause.field == "tagname"]
    values = [clause.value for clause in clauses if clause.field == "tagvalue"]
    if values and not names:
        raise ArmError(400, "InvalidFilterInQueryString", "A 'tagValue' filter requires a 'tagName' filter.")
    for name in names:
        key = find_tag(tags, name)
        if key is None or any(tags[key] != value for value in values):
            return False
    return True


def _group(state: EmulatorState, call: ArmCall, target: ResourceGroupItem) -> ArmResponse:
    store = state.store
    if call.method == "HEAD":
        store.group(target.subscription_id, target.group)  # ARM's 404 (headers, no body) if missing
        return ArmResponse(204)
    if call.method == "GET":
        return ArmResponse(200, store.group(target.subscription_id, target.group).to_json())
    if call.method == "PUT":
        return _put_group(state, call, target)
    if call.method == "PATCH":
        group = _writable(store.group(target.subscription_id, target.group))
        body = call.json_body()
        tags = parse_tags(body["tags"]) if "tags" in body else None
        if tags is not None:
            validate_tags(tags)
            group.tags = tags
        if "managedBy" in body:
            group.managed_by = body["managedBy"]
        _publish(state, _event(call, "write", call.path, GROUP_WRITE, update=True))
        return ArmResponse(200, group.to_json())
    if call.method == "DELETE":
        group = store.group(target.subscription_id, target.group)
        event = _event(call, "delete", call.path, GROUP_DELETE, update=True)
        job = state.deletions.start(group, event)
        return ArmResponse(202, None, _lro_headers(state, call, group.subscription_id, job.token))
    raise _method_not_allowed(call, "GET, HEAD, PUT, PATCH, DELETE")


def _put_group(state: EmulatorState, call: ArmCall, target: ResourceGroupItem) -> ArmResponse:
    store = state.store
    store.subscription(target.subscription_id)
    _validate_group_name(target.group)
    body = call.json_body()
    location = body.get("location")
    if not isinstance(location, str) or not location.strip():
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    location = normalize_location(location)
    tags = parse_tags(body.get("tags"))
    validate_tags(tags)
    managed_by = body.get("managedBy")
    existing = store.find_group(target.subscription_id, target.group)
    if existing is not None:
        _writable(existing)
        if existing.location != location:
            raise ArmError(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already exists in location "
                f"'{existing.location}'.",
            )
        existing.tags = tags
        existing.managed_by = managed_by
        _publish(state, _event(call, "write", call.path, GROUP_WRITE, update=True))
        return ArmResponse(200, existing.to_json())
    group = ResourceGroup(target.subscription_id, target.group, location, tags, managed_by)
    store.add_group(group)
    _publish(state, _event(call, "write", call.path, GROUP_WRITE, update=False))
    return ArmResponse(201, group.to_json())


def _operation_result(state: EmulatorState, call: ArmCall, target: OperationResult) -> ArmResponse:
    if call.method != "GET":
        raise _method_not_allowed(call, "GET")
    state.store.subscription(target.subscription_id)
    if state.deletions.poll(target.subscription_id, target.job):
        return ArmResponse(200)
    return ArmResponse(202, None, _lro_headers(state, call, target.subscription_id, target.job))


def _lro_headers(state: EmulatorState, call: ArmCall, subscription_id: str, job: str) -> dict[str, str]:
    """``Location`` and ``Retry-After`` of a running group deletion, on the 202 and on every 202 poll.

    ``Retry-After`` comes from the settings (see ``DEFAULT_LRO_RETRY_AFTER``): always whole
    seconds as ARM sends them, never a fraction that only this emulator would send.
    """
    api_version = call.query.get("api-version", "")
    location = f"{call.base_url}/subscriptions/{subscription_id}/operationresults/{job}"
    return {"Location": f"{location}?api-version={api_version}", "Retry-After": str(state.settings.lro_retry_after)}


# -- resources -------------------------------------------------------------------------------------


def _resource_not_found(ref: ResourceRef, group: str) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{ref.type}/{ref.name}' under resource group '{group}' was not found. For more details "
        "please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def _find_resource(group: ResourceGroup, ref: ResourceRef) -> Resource | None:
    return group.resources.get(f"{ref.type}/{ref.name}".casefold())


def _resource(state: EmulatorState, call: ArmCall, target: ResourceItem) -> ArmResponse:
    store = state.store
    group = store.group(target.subscription_id, target.group)
    ref = target.resource
    operation = f"{ref.type}/{'write' if call.method in {'PUT', 'PATCH'} else 'delete'}"
    resource = _find_resource(group, ref)
    if call.method == "HEAD":
        return ArmResponse(204 if resource else 404)
    if call.method == "GET":
        if resource is None:
            raise _resource_not_found(ref, group.name)
        return ArmResponse(200, resource.to_json())
    if call.method == "PUT":
        _writable(group)
        body = call.json_body()
        created = resource is None
        fresh = _resource_from_body(group, ref, body, previous=resource, tenant_id=call.context.tenant_id)
        group.resources[fresh.key] = fresh
        _publish(state, _event(call, "write", call.path, operation, update=not created))
        return ArmResponse(201 if created else 200, fresh.to_json())
    if call.method == "PATCH":
        _writable(group)
        if resource is None:
            raise _resource_not_found(ref, group.name)
        body = call.json_body()
        if "tags" in body:
            tags = parse_tags(body["tags"])
            validate_tags(tags)
            resource.tags = tags
        if isinstance(body.get("properties"), dict):
            resource.properties.update(body["properties"])
        for key in ("sku", "kind", "identity"):
            if key in body:
                setattr(resource, key, body[key])
        resource.changed_time = utc_now_iso()
        _publish(state, _event(call, "write", call.path, operation, update=True))
        return ArmResponse(200, resource.to_json())
    if call.method == "DELETE":
        if resource is None:
            return ArmResponse(204)
        _writable(group)
        del group.resources[resource.key]
        _publish(state, _event(call, "delete", call.path, operation, update=True))
        return ArmResponse(200)
    raise _method_not_allowed(call, "GET, HEAD, PUT, PATCH, DELETE")


def _resource_from_body(
    group: ResourceGroup, ref: ResourceRef, body: dict[str, Any], *, previous: Resource | None, tenant_id: str
) -> Resource:
    location = body.get("location")
    if location is not None and not isinstance(location, str):
        raise invalid_request_content("'location' must be a string")
    tags = parse_tags(body.get("tags"))
    validate_tags(tags)
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise invalid_request_content("'properties' must be an object")
    properties = {key: value for key, value in properties.items() if key != "provisioningState"}
    identity = body.get("identity")
    if isinstance(identity, dict) and "systemassigned" in str(identity.get("type", "")).casefold():
        previous_identity = previous.identity if previous is not None and previous.identity else {}
        identity = {
            **identity,
            "principalId": previous_identity.get("principalId") or str(uuid.uuid4()),
            "tenantId": tenant_id,
        }
    resource = Resource(
        subscription_id=group.subscription_id,
        group_name=group.name,
        namespace=previous.namespace if previous else ref.namespace,
        types=previous.types if previous else ref.types,
        names=previous.names if previous else ref.names,
        location=normalize_location(location) if location else group.location,
        tags=tags,
        kind=body.get("kind"),
        sku=body.get("sku"),
        identity=identity if isinstance(identity, dict) else None,
        managed_by=body.get("managedBy"),
        properties=properties,
    )
    if previous is not None:
        resource.created_time = previous.created_time
    return resource


def _list_resources(
    state: EmulatorState,
    call: ArmCall,
    resources: list[Resource],
    clauses: list[FilterClause],
) -> ArmResponse:
    expand = frozenset(part.strip().casefold() for part in call.query.get("$expand", "").split(",") if part.strip())
    chosen = [resource for resource in resources if _resource_matches(resource, clauses)]
    page = page_of(
        chosen,
        key=lambda resource: resource.id.casefold(),
        render=lambda resource: resource.to_list_item(expand),
        query=call.query,
        page_size=state.settings.page_size,
        base_url=call.base_url,
        path=call.path,
    )
    return ArmResponse(200, page.to_json())


def _resource_matches(resource: Resource, clauses: list[FilterClause]) -> bool:
    tag_clauses = [clause for clause in clauses if clause.field in {"tagname", "tagvalue"}]
    if tag_clauses and not _tags_match(resource.tags, tag_clauses):
        return False
    for clause in clauses:
        actual = {
            "resourcegroup": resource.group_name,
            "resourcetype": resource.type,
            "name": resource.name,
            "location": resource.location,
        }.get(clause.field)
        if actual is not None and actual.casefold() != clause.value.casefold():
            return False
    return True


_RESOURCE_FILTERS = ("resourceType", "name", "location", "tagName", "tagValue")


def _group_resources(state: EmulatorState, call: ArmCall, target: ResourceCollection) -> ArmResponse:
    if call.method != "GET":
        raise _method_not_allowed(call, "GET")
    group = state.store.group(target.subscription_id, target.group)
    clauses = parse_filter(call.query.get("$filter"), _RESOURCE_FILTERS)
    return _list_resources(state, call, list(group.resources.values()), clauses)


def _subscription_resources(state: EmulatorState, call: ArmCall, target: SubscriptionResources) -> ArmResponse:
    if call.method != "GET":
        raise _method_not_allowed(call, "GET")
    subscription = state.store.subscription(target.subscription_id)
    clauses = parse_filter(call.query.get("$filter"), ("resourceGroup", *_RESOURCE_FILTERS))
    resources = [resource for group in subscription.groups.values() for resource in group.resources.values()]
    return _list_resources(state, call, resources, clauses)


# -- tags at scope ---------------------------------------------------------------------------------


def _tags_body(call: ArmCall, tags: Mapping[str, str], *, read: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"tags": dict(tags)} if tags or not read else {}
    return {"id": call.path, "name": "default", "type": "Microsoft.Resources/tags", "properties": properties}


def _tags_payload(call: ArmCall) -> tuple[dict[str, Any], dict[str, str]]:
    body = call.json_body()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise invalid_request_content("'properties' is required and must be an object")
    return body, parse_tags(properties.get("tags"), where="properties.tags")


def _tags(state: EmulatorState, call: ArmCall, target: TagsAtScope) -> ArmResponse:
    group = state.store.find_group(target.subscription_id, target.group)
    if group is None:
        raise resource_group_not_found(target.group)
    holder: ResourceGroup | Resource = group
    if target.resource is not None:
        resource = _find_resource(group, target.resource)
        if resource is None:
            raise _resource_not_found(target.resource, group.name)
        holder = resource
    if call.method == "GET":
        return ArmResponse(200, _tags_body(call, holder.tags, read=True))
    if call.method == "PUT":
        _writable(group)
        _, tags = _tags_payload(call)
        validate_tags(tags)
        _set_tags(holder, tags)
        _publish(state, _event(call, "write", call.path, TAGS_WRITE, update=True))
        return ArmResponse(200, _tags_body(call, holder.tags, read=False))
    if call.method == "PATCH":
        _writable(group)
        body, given = _tags_payload(call)
        operation = str(body.get("operation", ""))
        canonical = _TAG_OPERATIONS.get(operation.casefold())
        if canonical is None:
            raise invalid_request_content(f"'operation' must be Merge, Replace or Delete, not '{operation}'")
        tags = apply_tag_patch(holder.tags, canonical, given)
        validate_tags(tags)
        _set_tags(holder, tags)
        _publish(state, _event(call, "write", call.path, TAGS_WRITE, update=True))
        return ArmResponse(200, _tags_body(call, holder.tags, read=False))
    if call.method == "DELETE":
        _writable(group)
        _set_tags(holder, {})
        _publish(state, _event(call, "delete", call.path, TAGS_DELETE, update=True))
        return ArmResponse(200)
    raise _method_not_allowed(call, "GET, PUT, PATCH, DELETE")


def _set_tags(holder: ResourceGroup | Resource, tags: dict[str, str]) -> None:
    holder.tags = tags
    if isinstance(holder, Resource):
        holder.changed_time = utc_now_iso()
