"""Value types shared by the engine: what a group is, what was observed, what a data product is.

All of them are immutable. Names of Azure things are compared the way Azure compares them:
subscription ids, resource group names and tag names case-insensitively, tag values exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A resource group, by subscription and name. Equality ignores case, as ARM does."""

    subscription_id: str
    name: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.subscription_id.lower(), self.name.lower())

    @property
    def scope(self) -> str:
        """The ARM id of the group: the scope of tags, role and policy assignments."""
        return f"/subscriptions/{self.subscription_id.lower()}/resourceGroups/{self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GroupRef) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return f"{self.subscription_id.lower()}/{self.name}"


def frozen_tags(tags: Mapping[str, str] | None) -> Mapping[str, str]:
    """A read-only copy of a tag dictionary (ARM returns null for no tags)."""
    return MappingProxyType(dict(tags or {}))


def tag_value(tags: Mapping[str, str], name: str) -> str | None:
    """The value of tag ``name`` looked up case-insensitively, as ARM treats tag names."""
    wanted = name.lower()
    return next((value for key, value in tags.items() if key.lower() == wanted), None)


@dataclass(frozen=True, slots=True)
class ObservedGroup:
    """What ARM says about a resource group now."""

    ref: GroupRef
    location: str
    tags: Mapping[str, str] = field(default_factory=lambda: frozen_tags(None))
    provisioning_state: str = "Succeeded"

    @property
    def deleting(self) -> bool:
        return self.provisioning_state.lower() == "deleting"


@dataclass(frozen=True, slots=True)
class DataProduct:
    """The identity of a governed data product, derived from config and the group's name or tags."""

    landing_zone: str
    domain: str
    product: str
    environment: str

    def to_dict(self) -> dict[str, str]:
        return {
            "landing_zone": self.landing_zone,
            "domain": self.domain,
            "product": self.product,
            "environment": self.environment,
        }


@dataclass(frozen=True, slots=True)
class ObservedResource:
    """A resource inside a group, as ARM's resource list returns it (no provider properties)."""

    id: str
    name: str
    type: str
    location: str = ""
    kind: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: frozen_tags(None))

    def is_type(self, resource_type: str) -> bool:
        """Resource types compare case-insensitively, as ARM compares them."""
        return self.type.lower() == resource_type.lower()


@dataclass(frozen=True, slots=True)
class ObservedAssignment:
    """A role assignment as ARM reports it (ids as ARM returns them; compare lower-cased)."""

    name: str
    scope: str
    principal_id: str
    principal_type: str
    role_definition_id: str
    description: str | None = None

    @property
    def role_guid(self) -> str:
        return self.role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()

    @property
    def triple(self) -> tuple[str, str, str]:
        """What makes two assignments the same grant: scope, principal and role."""
        return (self.scope.lower().rstrip("/"), self.principal_id.lower(), self.role_guid)


@dataclass(frozen=True, slots=True)
class ObservedPolicyAssignment:
    """A policy assignment as ARM reports it, reduced to what the app compares."""

    id: str
    name: str
    scope: str
    definition_id: str
    display_name: str | None
    description: str | None
    parameters: Mapping[str, Any]  # name → value
    enforcement_mode: str
    not_scopes: tuple[str, ...]
    messages: tuple[tuple[str, str | None], ...]  # (message, policyDefinitionReferenceId)
    metadata: Mapping[str, Any]
    identity_type: str | None
    principal_id: str | None
    location: str | None


@dataclass(frozen=True, slots=True)
class ObservedCollection:
    """A Purview collection: ``name`` is its id (compare case-insensitively), ``friendly_name`` its label."""

    name: str
    friendly_name: str
    parent: str | None
    state: str = "Succeeded"  # Creating while Purview sets it up


@dataclass(frozen=True, slots=True)
class ObservedScan:
    name: str
    kind: str
    collection: str | None
    rule_set: str | None = None


@dataclass(frozen=True, slots=True)
class ObservedSource:
    """A registered Purview data source; ``resource_id`` is the Azure resource it stands for."""

    name: str
    kind: str
    resource_id: str
    collection: str | None
    scans: tuple[ObservedScan, ...] = ()


@dataclass(frozen=True, slots=True)
class ObservedEntity:
    guid: str
    type_name: str
    qualified_name: str
    attributes: Mapping[str, Any]
    status: str
    collection: str | None = None
