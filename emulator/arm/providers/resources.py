"""``Microsoft.Resources``: subscriptions, resource groups, tags at scope, operation results, resource lists.

These are ARM's own types (no other resource provider serves them), so an api-version they do not
know is refused the way ARM refuses it for itself: 400 ``InvalidApiVersionParameter``. Handlers
change state only once every check has passed, and publish the event Azure would publish only then.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from ...eventgrid.events import resource_event
from ..calls import ArmCall, ArmResponse, method_not_allowed
from ..errors import ArmError, invalid_request_content, resource_group_not_found, resource_not_found
from ..listing import FilterClause, page_of, parse_filter
from ..paths import ArmTarget
from ..registry import ResourceProvider, ResourceType, invalid_api_version_parameter, invalid_resource_type
from ..store import Resource, ResourceGroup, normalize_location, utc_now_iso
from ..tags import TagOperation, apply_tag_patch, find_tag, parse_tags, validate_tags

if TYPE_CHECKING:
    from ...state import EmulatorState

__all__ = ["PROVIDER", "tags_match", "writable"]

GROUP_WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write"
GROUP_DELETE = "Microsoft.Resources/subscriptions/resourceGroups/delete"
TAGS_WRITE = "Microsoft.Resources/tags/write"
TAGS_DELETE = "Microsoft.Resources/tags/delete"
_TAG_OPERATIONS: dict[str, TagOperation] = {"merge": "Merge", "replace": "Replace", "delete": "Delete"}
_GROUP_NAME = re.compile(r"^[-\w._()]+$")
_INVALID_GROUP_CHARACTER = re.compile(r"[^-\w._()]")
_RESOURCE_FILTERS = ("resourceType", "name", "location", "tagName", "tagValue")

# The api-versions ARM accepts for its resource, resource-group and tag operations (azure-mgmt-resource
# 26 sends 2025-04-01); tags at scope exist from 2019-10-01 on.
RESOURCES_API_VERSIONS = (
    "2019-05-10",
    "2019-07-01",
    "2019-08-01",
    "2019-10-01",
    "2020-06-01",
    "2020-08-01",
    "2020-10-01",
    "2021-01-01",
    "2021-04-01",
    "2022-09-01",
    "2023-07-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-01-01",
    "2025-04-01",
)
TAGS_API_VERSIONS = tuple(version for version in RESOURCES_API_VERSIONS if version >= "2019-10-01")
# Subscriptions GET also answers the subscription client's versions (azure-mgmt-resource-subscriptions).
SUBSCRIPTIONS_API_VERSIONS = tuple(
    sorted({*RESOURCES_API_VERSIONS, "2016-06-01", "2019-06-01", "2019-11-01", "2020-01-01", "2022-12-01"})
)


def writable(group: ResourceGroup) -> ResourceGroup:
    """The group, or ARM's 409 while it is being deleted."""
    if group.provisioning_state == "Deleting":
        raise ArmError(
            409,
            "ResourceGroupBeingDeleted",
            f"The resource group '{group.name}' is in deprovisioning state and cannot perform this operation.",
        )
    return group


def _event(call: ArmCall, kind: Literal["write", "delete"], operation: str, *, update: bool) -> dict[str, Any]:
    return resource_event(
        call.context, kind=kind, subject=call.path, operation_name=operation, include_http_request=update
    )


def _publish(
    state: EmulatorState, call: ArmCall, kind: Literal["write", "delete"], operation: str, *, update: bool
) -> None:
    state.publisher.publish(_event(call, kind, operation, update=update))


# -- subscriptions ---------------------------------------------------------------------------------


def _subscription(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if call.method != "GET":
        raise method_not_allowed(call, "GET")
    return ArmResponse(200, state.store.subscription(target.name).to_json())


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


def tags_match(tags: Mapping[str, str], clauses: list[FilterClause]) -> bool:
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


def _groups(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    subscription_id = target.subscription_id or ""
    if target.is_collection:
        return _group_collection(state, call, subscription_id)
    store = state.store
    name = target.name
    if call.method == "HEAD":
        store.group(subscription_id, name)  # ARM's 404 (headers, no body) if missing
        return ArmResponse(204)
    if call.method == "GET":
        return ArmResponse(200, store.group(subscription_id, name).to_json())
    if call.method == "PUT":
        return _put_group(state, call, subscription_id, name)
    if call.method == "PATCH":
        group = writable(store.group(subscription_id, name))
        body = call.json_body()
        tags = parse_tags(body["tags"]) if "tags" in body else None
        if tags is not None:
            validate_tags(tags)
            group.tags = tags
        if "managedBy" in body:
            group.managed_by = body["managedBy"]
        _publish(state, call, "write", GROUP_WRITE, update=True)
        return ArmResponse(200, group.to_json())
    if call.method == "DELETE":
        group = store.group(subscription_id, name)
        # The deletion job publishes the event once the group is gone, as Azure does.
        job = state.deletions.start(group, _event(call, "delete", GROUP_DELETE, update=True))
        return ArmResponse(202, None, _lro_headers(state, call, group.subscription_id, job.token))
    raise method_not_allowed(call, "GET, HEAD, PUT, PATCH, DELETE")


def _group_collection(state: EmulatorState, call: ArmCall, subscription_id: str) -> ArmResponse:
    if call.method != "GET":
        raise method_not_allowed(call, "GET")
    subscription = state.store.subscription(subscription_id)
    clauses = parse_filter(call.query.get("$filter"), ("tagName", "tagValue"))
    groups = [group for group in subscription.groups.values() if tags_match(group.tags, clauses)]
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


def _put_group(state: EmulatorState, call: ArmCall, subscription_id: str, name: str) -> ArmResponse:
    store = state.store
    store.subscription(subscription_id)
    _validate_group_name(name)
    body = call.json_body()
    location = body.get("location")
    if not isinstance(location, str) or not location.strip():
        raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
    location = normalize_location(location)
    tags = parse_tags(body.get("tags"))
    validate_tags(tags)
    managed_by = body.get("managedBy")
    existing = store.find_group(subscription_id, name)
    if existing is not None:
        writable(existing)
        if existing.location != location:
            raise ArmError(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{location}'. The Resource group already exists in location "
                f"'{existing.location}'.",
            )
        existing.tags = tags
        existing.managed_by = managed_by
        _publish(state, call, "write", GROUP_WRITE, update=True)
        return ArmResponse(200, existing.to_json())
    group = ResourceGroup(subscription_id, name, location, tags, managed_by)
    store.add_group(group)
    _publish(state, call, "write", GROUP_WRITE, update=False)
    return ArmResponse(201, group.to_json())


# -- operation results (the group-deletion LRO) -----------------------------------------------------


def _operation_result(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if call.method != "GET":
        raise method_not_allowed(call, "GET")
    subscription_id = target.subscription_id or ""
    state.store.subscription(subscription_id)
    if state.deletions.poll(subscription_id, target.name):
        return ArmResponse(200)
    return ArmResponse(202, None, _lro_headers(state, call, subscription_id, target.name))


def _lro_headers(state: EmulatorState, call: ArmCall, subscription_id: str, job: str) -> dict[str, str]:
    """``Location`` and ``Retry-After`` of a running group deletion, on the 202 and on every 202 poll.

    ``Retry-After`` comes from the settings (see ``DEFAULT_LRO_RETRY_AFTER``): always whole
    seconds as ARM sends them, never a fraction that only this emulator would send.
    """
    location = f"{call.base_url}/subscriptions/{subscription_id}/operationresults/{job}"
    return {
        "Location": f"{location}?api-version={call.api_version}",
        "Retry-After": str(state.settings.lro_retry_after),
    }


# -- resource lists --------------------------------------------------------------------------------


def _resource_matches(resource: Resource, clauses: list[FilterClause]) -> bool:
    tag_clauses = [clause for clause in clauses if clause.field in {"tagname", "tagvalue"}]
    if tag_clauses and not tags_match(resource.tags, tag_clauses):
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


def _resource_list(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    """``/resources`` of a subscription or a group: ``GenericResourceExpanded`` items, filtered and paged."""
    if call.method != "GET":
        raise method_not_allowed(call, "GET")
    subscription_id = target.subscription_id or ""
    if target.group is not None:
        group = state.store.group(subscription_id, target.group)
        resources = list(group.resources.values())
        clauses = parse_filter(call.query.get("$filter"), _RESOURCE_FILTERS)
    else:
        subscription = state.store.subscription(subscription_id)
        resources = [resource for group in subscription.groups.values() for resource in group.resources.values()]
        clauses = parse_filter(call.query.get("$filter"), ("resourceGroup", *_RESOURCE_FILTERS))
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


def _tags(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if target.name.casefold() != "default":
        raise invalid_resource_type(call.method, target, call.path, call.api_version)
    group = state.store.find_group(target.subscription_id or "", target.group or "")
    if group is None:
        raise resource_group_not_found(target.group or "")
    holder: ResourceGroup | Resource = group
    if target.scope.resource is not None:
        resource = group.resources.get(target.scope.resource.key)
        if resource is None:
            raise resource_not_found(target.scope.resource, group.name)
        holder = resource
    if call.method == "GET":
        return ArmResponse(200, _tags_body(call, holder.tags, read=True))
    if call.method == "PUT":
        writable(group)
        _, tags = _tags_payload(call)
        validate_tags(tags)
        _set_tags(holder, tags)
        _publish(state, call, "write", TAGS_WRITE, update=True)
        return ArmResponse(200, _tags_body(call, holder.tags, read=False))
    if call.method == "PATCH":
        writable(group)
        body, given = _tags_payload(call)
        operation = str(body.get("operation", ""))
        canonical = _TAG_OPERATIONS.get(operation.casefold())
        if canonical is None:
            raise invalid_request_content(f"'operation' must be Merge, Replace or Delete, not '{operation}'")
        tags = apply_tag_patch(holder.tags, canonical, given)
        validate_tags(tags)
        _set_tags(holder, tags)
        _publish(state, call, "write", TAGS_WRITE, update=True)
        return ArmResponse(200, _tags_body(call, holder.tags, read=False))
    if call.method == "DELETE":
        writable(group)
        _set_tags(holder, {})
        _publish(state, call, "delete", TAGS_DELETE, update=True)
        return ArmResponse(200)
    raise method_not_allowed(call, "GET, PUT, PATCH, DELETE")


def _set_tags(holder: ResourceGroup | Resource, tags: dict[str, str]) -> None:
    holder.tags = tags
    if isinstance(holder, Resource):
        holder.changed_time = utc_now_iso()


def _item_operations(prefix: str) -> dict[str, str]:
    return {
        "GET": f"{prefix}_Get",
        "HEAD": f"{prefix}_CheckExistence",
        "PUT": f"{prefix}_CreateOrUpdate",
        "PATCH": f"{prefix}_Update",
        "DELETE": f"{prefix}_Delete",
    }


PROVIDER = ResourceProvider(
    namespace="Microsoft.Resources",
    unsupported_api_version=invalid_api_version_parameter,
    types=(
        ResourceType(
            name="subscriptions",
            api_versions=SUBSCRIPTIONS_API_VERSIONS,
            handler=_subscription,
            item_scopes=frozenset({"tenant"}),
            operations={"GET": "Subscriptions_Get"},
        ),
        ResourceType(
            name="resourceGroups",
            api_versions=RESOURCES_API_VERSIONS,
            handler=_groups,
            item_scopes=frozenset({"subscription"}),
            operations=_item_operations("ResourceGroups"),
            list_operations={"subscription": "ResourceGroups_List"},
        ),
        ResourceType(
            name="resources",
            api_versions=RESOURCES_API_VERSIONS,
            handler=_resource_list,
            item_scopes=frozenset(),
            list_operations={"subscription": "Resources_List", "resourceGroup": "Resources_ListByResourceGroup"},
        ),
        ResourceType(
            name="tags",
            api_versions=TAGS_API_VERSIONS,
            handler=_tags,
            item_scopes=frozenset({"resourceGroup", "resource"}),
            operations={
                "GET": "Tags_GetAtScope",
                "PUT": "Tags_CreateOrUpdateAtScope",
                "PATCH": "Tags_UpdateAtScope",
                "DELETE": "Tags_DeleteAtScope",
            },
        ),
        ResourceType(
            name="operationResults",
            api_versions=RESOURCES_API_VERSIONS,
            handler=_operation_result,
            item_scopes=frozenset({"subscription"}),
            operations={"GET": "OperationResults_Get"},
        ),
    ),
)
