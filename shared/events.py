"""Turn a subscription event into a reconcile request, or say why it needs none. Pure, no I/O.

An event is only a hint naming a resource group: nothing in it but the group's
subscription and name is used, and never the caller's claims. Operation names and ids are compared
case-insensitively because Azure's casing varies between events.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.classify import by_name, is_visualization_group, may_be_data_product
from shared.config import RESOURCE_GROUP_NAME_PATTERN, SUBSCRIPTION_ID_PATTERN, GovernanceConfig
from shared.model import GroupRef

HANDLED_EVENT_TYPES = frozenset(
    {"microsoft.resources.resourcewritesuccess", "microsoft.resources.resourcedeletesuccess"}
)
GROUP_OPERATIONS = frozenset(
    {
        "microsoft.resources/subscriptions/resourcegroups/write",
        "microsoft.resources/subscriptions/resourcegroups/delete",
    }
)
TAG_OPERATIONS = frozenset({"microsoft.resources/tags/write", "microsoft.resources/tags/delete"})
# Governance artefacts the app writes itself: its own writes are acknowledged untouched (they would
# only feed back into another reconcile of the same group); anyone else's reconcile the group, so a
# hand-deleted grant or assignment is restored by its own event.
GOVERNED_OPERATIONS = frozenset(
    {
        "microsoft.authorization/roleassignments/write",
        "microsoft.authorization/roleassignments/delete",
        "microsoft.authorization/policyassignments/write",
        "microsoft.authorization/policyassignments/delete",
    }
)
# Writes that never change what the app governs: deployments raise their resources' own events, and
# remediation tasks (the app starts them itself) only change resources, which raise their own.
IGNORED_OPERATION_PREFIXES = (
    "microsoft.resources/tags/",
    "microsoft.authorization/",
    "microsoft.resources/deployments/",
    "microsoft.policyinsights/",
)
_GROUP_TAGS_SUFFIX = "/providers/microsoft.resources/tags/default"
OBJECT_ID_CLAIMS = ("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid")
_RESOURCE_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourcegroups/(?P<group>[^/]+)(?P<child>/providers/.+)?$",
    re.IGNORECASE,
)
_SUBSCRIPTION_ID = re.compile(SUBSCRIPTION_ID_PATTERN)
_GROUP_NAME = re.compile(RESOURCE_GROUP_NAME_PATTERN)


class MalformedEvent(ValueError):
    """The event lacks what every subscription event carries; nothing can be done with it."""


@dataclass(frozen=True, slots=True)
class ResourceEvent:
    """The fields of a subscription event the app looks at, from either schema."""

    id: str
    event_type: str
    subject: str
    operation_name: str
    resource_uri: str
    caller_object_id: str | None = None  # only compared with the app's own id; never logged

    @classmethod
    def from_fields(cls, *, id: str | None, event_type: str | None, subject: str | None, data: Any) -> ResourceEvent:
        """Build from an Event Grid event or a CloudEvent's fields; raise MalformedEvent if unusable."""
        if not id or not event_type:
            raise MalformedEvent("event has no id or no type")
        if not isinstance(data, Mapping):
            raise MalformedEvent(f"event {id} has no data object")
        resource_uri = data.get("resourceUri") or subject or ""
        operation = data.get("operationName") or ""
        if not isinstance(resource_uri, str) or not isinstance(operation, str):
            raise MalformedEvent(f"event {id}: resourceUri and operationName must be strings")
        claims = data.get("claims")
        caller = None
        if isinstance(claims, Mapping):
            caller = next((str(claims[name]) for name in OBJECT_ID_CLAIMS if claims.get(name)), None)
        return cls(id, event_type, subject or "", operation, resource_uri, caller.lower() if caller else None)


@dataclass(frozen=True, slots=True)
class ReconcileRequest:
    """Look at this group now.

    ``screened``: the event cannot have made the group a data product (a resource written or deleted
    in it, a grant or assignment changed on it) and the group's name does not identify it, so only
    its tags could: the caller may acknowledge the event without reading the group when it recently
    read it and found it not to be one (``Reconciler.screen``). Events about the group itself (its
    write, delete or tags) are never screened: they may have just made it a data product.
    """

    group: GroupRef
    why: str
    screened: bool = False


@dataclass(frozen=True, slots=True)
class Ignored:
    """Acknowledge the event without touching Azure."""

    why: str


def route_event(
    config: GovernanceConfig, event: ResourceEvent, *, own_object_id: str | None = None
) -> ReconcileRequest | Ignored:
    """Decide what an event asks of the app.

    ``own_object_id`` is the app's own principal. When it is known, a tag change on a group made by
    anyone else (a team editing tags in the portal) reconciles the group at once, while the app's
    own tag writes are still acknowledged untouched; without it, every tag event is left to the
    timer, since the app cannot tell its own writes from others'.
    """
    if event.event_type.lower() not in HANDLED_EVENT_TYPES:
        return Ignored(f"event type {event.event_type} is not handled")
    match = _RESOURCE_ID.match(event.resource_uri)
    if match is None:
        return Ignored("not about a resource group or a resource in one")
    subscription_id, group_name = match["subscription"], match["group"]
    if not _SUBSCRIPTION_ID.fullmatch(subscription_id):
        return Ignored(f"malformed subscription id in {event.resource_uri!r}")
    if not _GROUP_NAME.fullmatch(group_name):
        return Ignored(f"malformed resource group name in {event.resource_uri!r}")
    zone = config.landing_zone_for(subscription_id)
    if zone is None:
        return Ignored(f"subscription {subscription_id} is not a configured landing zone")
    if is_visualization_group(config, zone, group_name):
        # Governed through the products that use it; the timer repairs it and reports orphans.
        return Ignored(f"{group_name} is a visualization group (governed with its products)")

    operation = event.operation_name.lower()
    ref = GroupRef(subscription_id.lower(), group_name)
    if match["child"] is None:
        if operation in GROUP_OPERATIONS:
            return ReconcileRequest(ref, f"resource group event {event.operation_name}")
        return Ignored(f"operation {event.operation_name or '(none)'} on a resource group is not handled")
    governed_write = operation in GOVERNED_OPERATIONS
    if governed_write or (operation in TAG_OPERATIONS and match["child"].lower() == _GROUP_TAGS_SUFFIX):
        what = "tag" if not governed_write else operation.split("/")[1].removesuffix("s")
        if own_object_id is None or event.caller_object_id is None:
            return Ignored(
                f"{event.operation_name}: cannot tell the app's own {what} writes from others' (timer repairs)"
            )
        if event.caller_object_id == own_object_id.lower():
            return Ignored(f"{event.operation_name}: the app's own {what} write")
        if not may_be_data_product(config, zone, group_name):
            return Ignored(f"resource group {group_name} cannot be a data product")
        why = f"{what} changed by another identity: {event.operation_name}"
        return ReconcileRequest(ref, why, screened=governed_write and by_name(config, zone, group_name) is None)
    if operation.startswith(IGNORED_OPERATION_PREFIXES):
        return Ignored(f"{event.operation_name}: a governance write like the app's own (timer repairs drift)")
    if not operation.endswith(("/write", "/delete")):
        return Ignored(f"operation {event.operation_name or '(none)'} is not a write or delete")
    if not may_be_data_product(config, zone, group_name):
        return Ignored(f"resource group {group_name} cannot be a data product")
    # Only tags could make this group a product, and this event did not change them. Screening needs
    # the app's own object id: without it, tag changes are left to the timer, not seen as events.
    screened = own_object_id is not None and by_name(config, zone, group_name) is None
    return ReconcileRequest(ref, f"resource event {event.operation_name} in the group", screened=screened)
