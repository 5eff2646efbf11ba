"""The emulated estate: subscriptions, their resource groups, the resources in them, and tags.

Names are case-insensitive in ARM, so every collection is keyed by the case-folded name and keeps
the casing the object was created with (which is what ARM returns in ``name`` and ``id``). The
store is plain data owned by the emulator object; handlers enforce ARM's rules around it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..control.models import SeedResource, SeedResourceGroup, SeedSubscription
from .errors import resource_group_not_found, subscription_not_found

__all__ = ["Resource", "ResourceGroup", "Store", "Subscription", "normalize_location", "utc_now_iso"]

ProvisioningState = Literal["Succeeded", "Deleting"]


def normalize_location(location: str) -> str:
    """ARM's canonical location name: ``West Europe`` → ``westeurope``."""
    return "".join(location.split()).lower()


def utc_now_iso() -> str:
    """A timestamp in ARM's format (seven fractional digits, ``Z``)."""
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}0Z"


@dataclass
class Resource:
    """A tracked resource in a group, of a type some provider declares (its rules live with the provider)."""

    subscription_id: str
    group_name: str
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]
    location: str
    tags: dict[str, str] = field(default_factory=dict)
    kind: str | None = None
    sku: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None
    managed_by: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    created_time: str = field(default_factory=utc_now_iso)
    changed_time: str = field(default_factory=utc_now_iso)

    @property
    def type(self) -> str:
        return "/".join((self.namespace, *self.types))

    @property
    def name(self) -> str:
        return "/".join(self.names)

    @property
    def key(self) -> str:
        return f"{self.type}/{self.name}".casefold()

    @property
    def id(self) -> str:
        pairs = [part for pair in zip(self.types, self.names, strict=True) for part in pair]
        return "/".join(
            (
                f"/subscriptions/{self.subscription_id}/resourceGroups/{self.group_name}/providers",
                self.namespace,
                *pairs,
            )
        )

    def to_json(self) -> dict[str, Any]:
        """The body ARM returns for GET/PUT of the resource."""
        body: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type, "location": self.location}
        for key, value in (("kind", self.kind), ("sku", self.sku), ("identity", self.identity)):
            if value is not None:
                body[key] = value
        if self.managed_by is not None:
            body["managedBy"] = self.managed_by
        body["tags"] = dict(self.tags)
        body["properties"] = {**self.properties, "provisioningState": "Succeeded"}
        return body

    def to_list_item(self, expand: frozenset[str]) -> dict[str, Any]:
        """A ``GenericResourceExpanded`` as the resource lists return it."""
        body: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type}
        for key, value in (("kind", self.kind), ("sku", self.sku), ("identity", self.identity)):
            if value is not None:
                body[key] = value
        body["location"] = self.location
        if self.managed_by is not None:
            body["managedBy"] = self.managed_by
        if self.tags:
            body["tags"] = dict(self.tags)
        if "createdtime" in expand:
            body["createdTime"] = self.created_time
        if "changedtime" in expand:
            body["changedTime"] = self.changed_time
        if "provisioningstate" in expand:
            body["provisioningState"] = "Succeeded"
        return body


@dataclass
class ResourceGroup:
    subscription_id: str
    name: str
    location: str
    tags: dict[str, str] = field(default_factory=dict)
    managed_by: str | None = None
    provisioning_state: ProvisioningState = "Succeeded"
    resources: dict[str, Resource] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": self.location,
        }
        if self.managed_by is not None:
            body["managedBy"] = self.managed_by
        if self.tags:
            body["tags"] = dict(self.tags)
        body["properties"] = {"provisioningState": self.provisioning_state}
        return body


@dataclass
class Subscription:
    subscription_id: str
    display_name: str
    tenant_id: str
    groups: dict[str, ResourceGroup] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{self.subscription_id}",
            "authorizationSource": "RoleBased",
            "subscriptionId": self.subscription_id,
            "tenantId": self.tenant_id,
            "displayName": self.display_name,
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
        }


class Store:
    """All subscriptions of the emulated tenant."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self._subscriptions: dict[str, Subscription] = {}
        # The groups something was removed from or replaced in, in order, as (case-folded subscription
        # id, case-folded group name): what RBAC and Policy look at to forget records of deleted scopes.
        self.removals: list[tuple[str, str]] = []

    def __iter__(self) -> Iterator[Subscription]:
        return iter(self._subscriptions.values())

    def resources(self) -> Iterator[Resource]:
        """Every resource in every group of every subscription (for names unique across Azure)."""
        for subscription in self:
            for group in subscription.groups.values():
                yield from group.resources.values()

    def ensure_subscription(
        self, subscription_id: str, *, display_name: str | None = None, tenant_id: str | None = None
    ) -> Subscription:
        key = subscription_id.casefold()
        subscription = self._subscriptions.get(key)
        if subscription is None:
            subscription = Subscription(
                subscription_id, display_name or f"Subscription {subscription_id[:8]}", tenant_id or self.tenant_id
            )
            self._subscriptions[key] = subscription
        else:
            subscription.display_name = display_name or subscription.display_name
            subscription.tenant_id = tenant_id or subscription.tenant_id
        return subscription

    def subscription(self, subscription_id: str) -> Subscription:
        """The subscription, or ARM's 404 ``SubscriptionNotFound``."""
        subscription = self._subscriptions.get(subscription_id.casefold())
        if subscription is None:
            raise subscription_not_found(subscription_id)
        return subscription

    def find_group(self, subscription_id: str, name: str) -> ResourceGroup | None:
        return self.subscription(subscription_id).groups.get(name.casefold())

    def group(self, subscription_id: str, name: str) -> ResourceGroup:
        """The group, or ARM's 404 ``ResourceGroupNotFound``."""
        group = self.find_group(subscription_id, name)
        if group is None:
            raise resource_group_not_found(name)
        return group

    def note_removal(self, subscription_id: str, group_name: str) -> None:
        """Record that a group, or a resource in it, was removed or replaced."""
        self.removals.append((subscription_id.casefold(), group_name.casefold()))

    def add_group(self, group: ResourceGroup) -> None:
        groups = self.subscription(group.subscription_id).groups
        if group.name.casefold() in groups:
            self.note_removal(group.subscription_id, group.name)
        groups[group.name.casefold()] = group

    def remove_group(self, subscription_id: str, name: str) -> None:
        subscription = self._subscriptions.get(subscription_id.casefold())
        if subscription is not None and subscription.groups.pop(name.casefold(), None) is not None:
            self.note_removal(subscription_id, name)

    def seed(self, seeds: Sequence[SeedSubscription]) -> int:
        """Add subscriptions, groups and resources as given (replacing same-named groups).

        Returns the number of groups written. No events, no validation beyond shape: seeding sets
        the stage, it is not ARM traffic.
        """
        written = 0
        for seed in seeds:
            subscription = self.ensure_subscription(
                seed.subscription_id, display_name=seed.display_name, tenant_id=seed.tenant_id
            )
            for group_seed in seed.resource_groups:
                if group_seed.name.casefold() in subscription.groups:
                    self.note_removal(subscription.subscription_id, group_seed.name)
                subscription.groups[group_seed.name.casefold()] = self._seed_group(subscription, group_seed)
                written += 1
        return written

    @staticmethod
    def _seed_group(subscription: Subscription, seed: SeedResourceGroup) -> ResourceGroup:
        group = ResourceGroup(
            subscription.subscription_id,
            seed.name,
            normalize_location(seed.location),
            dict(seed.tags),
            seed.managed_by,
        )
        for resource_seed in seed.resources:
            resource = _seed_resource(group, resource_seed)
            group.resources[resource.key] = resource
        return group

    def dump(self) -> dict[str, Any]:
        """Everything, for debugging through ``GET /_emulator/state``."""
        return {
            "subscriptions": [
                {
                    **subscription.to_json(),
                    "resourceGroups": [
                        {**group.to_json(), "resources": [r.to_json() for r in group.resources.values()]}
                        for group in subscription.groups.values()
                    ],
                }
                for subscription in self
            ]
        }


def _seed_resource(group: ResourceGroup, seed: SeedResource) -> Resource:
    namespace, _, type_path = seed.type.partition("/")
    types = tuple(type_path.split("/")) if type_path else ()
    names = tuple(seed.name.split("/"))
    if not namespace or not types or len(types) != len(names):
        raise ValueError(f"resource type '{seed.type}' and name '{seed.name}' do not fit together")
    return Resource(
        subscription_id=group.subscription_id,
        group_name=group.name,
        namespace=namespace,
        types=types,
        names=names,
        location=normalize_location(seed.location) if seed.location else group.location,
        tags=dict(seed.tags),
        kind=seed.kind,
        sku=dict(seed.sku) if seed.sku is not None else None,
        properties=dict(seed.properties),
    )
