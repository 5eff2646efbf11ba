"""Scopes as RBAC and Policy see them: their ids, whether they exist, what is at, above or below what.

Role assignments, policy definitions, policy assignments and remediations are extension resources:
they live *at* a scope (the tenant ``/``, a management group, a subscription, a resource group or a
resource) and apply at, above or below it. Lists filter by that relation (``atScope()`` is "at or
above"; no filter adds "below"), a policy definition must be at or above the scope it is assigned
at, and an assignment disappears with its scope. Scopes are compared by their case-folded ids,
the hierarchy being tenant → management groups → subscription → group → resource → nested resource.

An :class:`Anchor` ties a record to the objects its scope was made of, so a record whose group or
resource was deleted (or deleted and created again) is gone too, as in ARM, without the group and
resource code knowing about extension resources.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ArmError, resource_group_not_found, resource_not_found
from .management_groups import ManagementGroups
from .paths import MANAGEMENT_NAMESPACE, RESOURCES_NAMESPACE, ResourceRef, Scope, parse_arm_path
from .store import ResourceGroup, Store

__all__ = [
    "Anchor",
    "ResolvedScope",
    "ancestry",
    "authorization_failed",
    "extension_id",
    "resolve_scope",
    "scope_key",
    "scope_of_id",
    "scope_path",
]

TENANT_ID = "/"


@dataclass(frozen=True, eq=False)
class Anchor:
    """What a scope-bound record hangs on; :meth:`alive` is false once that is gone (or replaced)."""

    subscription_id: str | None = None
    group: ResourceGroup | None = None
    resource_key: str | None = None
    resource_created: str | None = None
    management_group: str | None = None

    def alive(self, store: Store, groups: ManagementGroups) -> bool:
        if self.management_group is not None:
            return groups.find(self.management_group) is not None
        if self.subscription_id is None:
            return True
        try:
            subscription = store.subscription(self.subscription_id)
        except ArmError:
            return False
        if self.group is None:
            return True
        if subscription.groups.get(self.group.name.casefold()) is not self.group:
            return False
        if self.resource_key is None:
            return True
        resource = self.group.resources.get(self.resource_key)
        return resource is not None and resource.created_time == self.resource_created


@dataclass(frozen=True)
class ResolvedScope:
    """An existing scope: with the casing it was created with, its id, and its anchor."""

    scope: Scope
    id: str
    anchor: Anchor

    @property
    def key(self) -> str:
        return self.id.casefold()


def _pairs(ref: ResourceRef) -> list[str]:
    return [part for pair in zip(ref.types, ref.names, strict=True) for part in pair]


def scope_path(scope: Scope) -> str:
    """The scope's id as spelled in ``scope`` (``/`` for the tenant), with ARM's ``resourceGroups``."""
    if scope.subscription_id is None:
        if scope.management_group is not None:
            return f"/providers/{MANAGEMENT_NAMESPACE}/managementGroups/{scope.management_group}"
        return TENANT_ID
    path = f"/subscriptions/{scope.subscription_id}"
    if scope.group is None:
        return path
    path += f"/resourceGroups/{scope.group}"
    if scope.resource is None:
        return path
    return "/".join((path, "providers", scope.resource.namespace, *_pairs(scope.resource)))


def extension_id(scope_id: str, relative: str) -> str:
    """``{scope}/providers/…`` for an extension resource, without a doubled slash at the tenant."""
    return f"{'' if scope_id == TENANT_ID else scope_id}/{relative.lstrip('/')}"


def scope_key(scope: Scope) -> str:
    return scope_path(scope).casefold()


def ancestry(scope: Scope, groups: ManagementGroups) -> tuple[str, ...]:
    """The keys of the scope and everything above it, the tenant first."""
    keys = [TENANT_ID]
    if scope.management_group is not None and scope.subscription_id is None:
        keys += [scope_key(Scope(management_group=group.name)) for group in groups.ancestry(scope.management_group)]
        return tuple(keys)
    if scope.subscription_id is None:
        return tuple(keys)
    keys += [scope_key(Scope(management_group=group.name)) for group in groups.of_subscription(scope.subscription_id)]
    keys.append(scope_key(Scope(scope.subscription_id)))
    if scope.group is not None:
        keys.append(scope_key(Scope(scope.subscription_id, scope.group)))
    if scope.resource is not None:
        ref = scope.resource
        for depth in range(1, len(ref.types) + 1):
            level = ResourceRef(ref.namespace, ref.types[:depth], ref.names[:depth])
            keys.append(scope_key(Scope(scope.subscription_id, scope.group, level)))
    return tuple(keys)


def authorization_failed(caller_object_id: str, action: str, scope_id: str) -> ArmError:
    """ARM's answer on a scope the caller cannot be authorized at — which includes one that does not exist."""
    return ArmError(
        403,
        "AuthorizationFailed",
        f"The client '{caller_object_id}' with object id '{caller_object_id}' does not have authorization to "
        f"perform action '{action}' over scope '{scope_id}' or the scope is invalid. If access was recently "
        "granted, please refresh your credentials.",
    )


def resolve_scope(
    store: Store, groups: ManagementGroups, scope: Scope, *, caller_object_id: str, action: str
) -> ResolvedScope:
    """The existing scope, or ARM's error: 404 for a missing subscription, group or resource; 403 for a
    management group that does not exist (ARM cannot authorize the caller there)."""
    if scope.subscription_id is None:
        if scope.management_group is None:
            return ResolvedScope(Scope(), TENANT_ID, Anchor())
        group = groups.find(scope.management_group)
        if group is None:
            raise authorization_failed(caller_object_id, action, scope_path(scope))
        return ResolvedScope(Scope(management_group=group.name), group.id, Anchor(management_group=group.name))
    subscription = store.subscription(scope.subscription_id)
    if scope.group is None:
        canonical = Scope(subscription.subscription_id)
        return ResolvedScope(canonical, scope_path(canonical), Anchor(subscription.subscription_id))
    resource_group = subscription.groups.get(scope.group.casefold())
    if resource_group is None:
        raise resource_group_not_found(scope.group)
    if scope.resource is None:
        canonical = Scope(subscription.subscription_id, resource_group.name)
        return ResolvedScope(canonical, resource_group.id, Anchor(subscription.subscription_id, resource_group))
    resource = resource_group.resources.get(scope.resource.key)
    if resource is None:
        raise resource_not_found(scope.resource, resource_group.name)
    canonical = Scope(
        subscription.subscription_id,
        resource_group.name,
        ResourceRef(resource.namespace, resource.types, resource.names),
    )
    anchor = Anchor(subscription.subscription_id, resource_group, resource.key, resource.created_time)
    return ResolvedScope(canonical, resource.id, anchor)


def scope_of_id(text: str) -> Scope | None:
    """The scope an id names (``/``, a management group, subscription, group or resource); ``None`` if none."""
    if text.strip() == TENANT_ID:
        return Scope()
    target = parse_arm_path(text)
    if target is None or target.is_collection:
        return None
    namespace, type_path = target.namespace.casefold(), target.type_path.casefold()
    kind = target.scope.kind
    if namespace == RESOURCES_NAMESPACE.casefold():
        if type_path == "subscriptions" and kind == "tenant":
            return Scope(target.name)
        if type_path == "resourcegroups" and kind == "subscription":
            return Scope(target.subscription_id, target.name)
        return None
    if namespace == MANAGEMENT_NAMESPACE.casefold() and type_path == "managementgroups" and kind == "tenant":
        return Scope(management_group=target.name)
    if kind == "resourceGroup":
        return Scope(target.subscription_id, target.group, target.ref())
    return None
