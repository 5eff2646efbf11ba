"""Parse ARM request paths into what they address: one resource type, an item or a collection, at a scope.

ARM paths are case-insensitive in their fixed segments (the SDK sends ``/resourcegroups/`` for
resource-group operations and ``/resourceGroups/`` elsewhere) and open-ended in provider segments
(``{scope}/providers/{namespace}/{type}/{name}[/{type}/{name}…]``), so a fixed route table does not fit.
Every request is reduced to an :class:`ArmTarget` — a namespace, a type path and the names given —
which the provider registry resolves. ARM's own paths without ``/providers/`` (subscriptions, resource
groups, the resource lists, operation results) are spelled as ``Microsoft.Resources`` types, which is
what ARM itself calls them. Policy and RBAC also live above subscriptions: at the tenant
(``/providers/…``) and at a management group (``/providers/Microsoft.Management/managementGroups/{mg}
/providers/…``). Parsing is pure and knows no resource type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "MANAGEMENT_NAMESPACE",
    "RESOURCES_NAMESPACE",
    "ArmTarget",
    "ResourceRef",
    "Scope",
    "ScopeKind",
    "parse_arm_path",
]

RESOURCES_NAMESPACE = "Microsoft.Resources"
MANAGEMENT_NAMESPACE = "Microsoft.Management"
ScopeKind = Literal["tenant", "managementGroup", "subscription", "resourceGroup", "resource"]


@dataclass(frozen=True)
class ResourceRef:
    """A resource inside a group: ``namespace/type[/child type]`` and ``name[/child name]``."""

    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def type(self) -> str:
        return "/".join((self.namespace, *self.types))

    @property
    def name(self) -> str:
        return "/".join(self.names)

    @property
    def key(self) -> str:
        """How a group's store keys this resource (case-insensitive, like ARM)."""
        return f"{self.type}/{self.name}".casefold()

    def relative_id(self) -> str:
        """``providers/{namespace}/{type}/{name}[/…]`` with the caller's casing."""
        pairs = [part for pair in zip(self.types, self.names, strict=True) for part in pair]
        return "/".join(("providers", self.namespace, *pairs))

    def parent(self) -> ResourceRef | None:
        """The resource this one is nested in (``servers/s1`` for ``servers/databases/s1/db1``)."""
        if len(self.types) < 2:
            return None
        return ResourceRef(self.namespace, self.types[:-1], self.names[:-1])


@dataclass(frozen=True)
class Scope:
    """Where a target sits: the tenant, a management group, a subscription, a group, or a resource in a group."""

    subscription_id: str | None = None
    group: str | None = None
    resource: ResourceRef | None = None
    management_group: str | None = None

    @property
    def kind(self) -> ScopeKind:
        if self.resource is not None:
            return "resource"
        if self.group is not None:
            return "resourceGroup"
        if self.subscription_id is not None:
            return "subscription"
        if self.management_group is not None:
            return "managementGroup"
        return "tenant"


@dataclass(frozen=True)
class ArmTarget:
    """One resource type addressed at a scope: an item (a name per type) or a collection (one name fewer)."""

    scope: Scope
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def is_collection(self) -> bool:
        return len(self.names) < len(self.types)

    @property
    def type_path(self) -> str:
        """The type inside its namespace, as ARM names it in messages: ``servers/databases``."""
        return "/".join(self.types)

    @property
    def type(self) -> str:
        return f"{self.namespace}/{self.type_path}"

    @property
    def subscription_id(self) -> str | None:
        return self.scope.subscription_id

    @property
    def group(self) -> str | None:
        return self.scope.group

    @property
    def name(self) -> str:
        """The last name given (the item's own name; for a collection, its parent's)."""
        return self.names[-1] if self.names else ""

    def ref(self) -> ResourceRef:
        """The addressed resource (or, for a collection, the collection's parent names)."""
        return ResourceRef(self.namespace, self.types, self.names)


def _resources(scope: Scope, kind: str, *names: str) -> ArmTarget:
    return ArmTarget(scope, RESOURCES_NAMESPACE, (kind,), names)


def _provider_blocks(segments: list[str]) -> list[ResourceRef] | None:
    """Split ``providers/ns/t/n[/t/n…]/providers/…`` into blocks; ``None`` if malformed.

    A block whose last type has no name (a collection) is returned with one name fewer than types.
    """
    blocks: list[ResourceRef] = []
    index = 0
    while index < len(segments):
        if segments[index].lower() != "providers" or index + 2 >= len(segments):
            return None
        namespace = segments[index + 1]
        index += 2
        types: list[str] = []
        names: list[str] = []
        while index < len(segments) and segments[index].lower() != "providers":
            types.append(segments[index])
            if index + 1 < len(segments):
                names.append(segments[index + 1])
            index += 2
        if not namespace or not all(types) or not all(names):
            return None
        blocks.append(ResourceRef(namespace, tuple(types), tuple(names)))
    return blocks


def _complete(block: ResourceRef) -> bool:
    return len(block.types) == len(block.names)


def _is_management_group(block: ResourceRef) -> bool:
    return (
        block.namespace.casefold() == MANAGEMENT_NAMESPACE.casefold()
        and tuple(kind.casefold() for kind in block.types) == ("managementgroups",)
        and _complete(block)
    )


def _under_providers(scope: Scope, segments: list[str]) -> ArmTarget | None:
    """``{scope}/providers/…``: a type of a provider, possibly an extension on a resource in a group
    or on a management group."""
    blocks = _provider_blocks(segments)
    if not blocks or len(blocks) > 2:
        return None
    if len(blocks) == 2:
        if scope.kind == "tenant" and _is_management_group(blocks[0]):
            scope = Scope(management_group=blocks[0].names[0])
        elif scope.group is None or not _complete(blocks[0]):
            return None
        else:
            scope = Scope(scope.subscription_id, scope.group, blocks[0])
    last = blocks[-1]
    return ArmTarget(scope, last.namespace, last.types, last.names)


def parse_arm_path(path: str) -> ArmTarget | None:
    """What an (already percent-decoded) ARM path addresses; ``None`` if it is no ARM path at all."""
    segments = path.strip("/").split("/")
    if not segments[0]:
        return None
    head = segments[0].lower()
    if head == "providers":
        return _under_providers(Scope(), segments)
    if head != "subscriptions" or len(segments) < 2 or not segments[1]:
        return None
    subscription_id, rest = segments[1], segments[2:]
    subscription = Scope(subscription_id)
    if not rest:
        return _resources(Scope(), "subscriptions", subscription_id)
    kind = rest[0].lower()
    if kind == "resources" and len(rest) == 1:
        return _resources(subscription, "resources")
    if kind == "operationresults" and len(rest) == 2 and rest[1]:
        return _resources(subscription, "operationResults", rest[1])
    if kind == "providers":
        return _under_providers(subscription, rest)
    if kind != "resourcegroups":
        return None
    if len(rest) == 1:
        return _resources(subscription, "resourceGroups")
    group, below = rest[1], rest[2:]
    if not group:
        return None
    if not below:
        return _resources(subscription, "resourceGroups", group)
    in_group = Scope(subscription_id, group)
    if len(below) == 1 and below[0].lower() == "resources":
        return _resources(in_group, "resources")
    return _under_providers(in_group, below)
