"""Parse ARM request paths into what they address.

ARM paths are case-insensitive in their fixed segments (the SDK sends ``/resourcegroups/`` for
resource-group operations and ``/resourceGroups/`` elsewhere) and open-ended in provider segments
(``/providers/{namespace}/{type}/{name}[/{type}/{name}…]``), so a fixed route table does not fit.
Parsing is pure: the gateway and handlers only see the typed result.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ArmTarget",
    "OperationResult",
    "ResourceCollection",
    "ResourceGroupCollection",
    "ResourceGroupItem",
    "ResourceItem",
    "ResourceRef",
    "SubscriptionItem",
    "SubscriptionResources",
    "TagsAtScope",
    "UnknownTarget",
    "parse_arm_path",
]


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

    def relative_id(self) -> str:
        """``providers/{namespace}/{type}/{name}[/…]`` with the caller's casing."""
        pairs = [part for pair in zip(self.types, self.names, strict=True) for part in pair]
        return "/".join(("providers", self.namespace, *pairs))


@dataclass(frozen=True)
class SubscriptionItem:
    subscription_id: str


@dataclass(frozen=True)
class ResourceGroupCollection:
    subscription_id: str


@dataclass(frozen=True)
class ResourceGroupItem:
    subscription_id: str
    group: str


@dataclass(frozen=True)
class ResourceCollection:
    """``/resourceGroups/{rg}/resources``."""

    subscription_id: str
    group: str


@dataclass(frozen=True)
class SubscriptionResources:
    """``/subscriptions/{sub}/resources``."""

    subscription_id: str


@dataclass(frozen=True)
class ResourceItem:
    subscription_id: str
    group: str
    resource: ResourceRef


@dataclass(frozen=True)
class TagsAtScope:
    """``{scope}/providers/Microsoft.Resources/tags/default`` for a group or a resource in one."""

    subscription_id: str
    group: str
    resource: ResourceRef | None


@dataclass(frozen=True)
class OperationResult:
    """The Location URL of a resource-group deletion."""

    subscription_id: str
    job: str


@dataclass(frozen=True)
class UnknownTarget:
    """Anything the emulator does not serve; ``namespace``/``type`` name it when they can."""

    namespace: str | None = None
    type: str | None = None


ArmTarget = (
    SubscriptionItem
    | ResourceGroupCollection
    | ResourceGroupItem
    | ResourceCollection
    | SubscriptionResources
    | ResourceItem
    | TagsAtScope
    | OperationResult
    | UnknownTarget
)


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
        blocks.append(ResourceRef(namespace, tuple(types), tuple(names)))
    return blocks


def _is_tags(block: ResourceRef) -> bool:
    return (
        block.namespace.lower() == "microsoft.resources"
        and [t.lower() for t in block.types] == ["tags"]
        and [n.lower() for n in block.names] == ["default"]
    )


def parse_arm_path(path: str) -> ArmTarget:
    """What an (already percent-decoded) ARM path addresses."""
    segments = path.strip("/").split("/")
    if len(segments) < 2 or segments[0].lower() != "subscriptions" or not segments[1]:
        return UnknownTarget()
    subscription_id, rest = segments[1], segments[2:]
    if not rest:
        return SubscriptionItem(subscription_id)
    head = rest[0].lower()
    if head == "resources" and len(rest) == 1:
        return SubscriptionResources(subscription_id)
    if head == "operationresults" and len(rest) == 2:
        return OperationResult(subscription_id, rest[1])
    if head != "resourcegroups":
        return _unknown_from(rest)
    if len(rest) == 1:
        return ResourceGroupCollection(subscription_id)
    group, below = rest[1], rest[2:]
    if not group:
        return UnknownTarget()
    if not below:
        return ResourceGroupItem(subscription_id, group)
    if len(below) == 1 and below[0].lower() == "resources":
        return ResourceCollection(subscription_id, group)
    blocks = _provider_blocks(below)
    if not blocks:
        return UnknownTarget()
    if _is_tags(blocks[-1]):
        scope = blocks[:-1]
        if not scope:
            return TagsAtScope(subscription_id, group, None)
        if len(scope) == 1 and _complete(scope[0]):
            return TagsAtScope(subscription_id, group, scope[0])
        return _unknown_block(blocks[0])
    if len(blocks) == 1 and _complete(blocks[0]):
        return ResourceItem(subscription_id, group, blocks[0])
    return _unknown_block(blocks[-1])


def _complete(block: ResourceRef) -> bool:
    return bool(block.types) and len(block.types) == len(block.names) and all(block.names)


def _unknown_block(block: ResourceRef) -> UnknownTarget:
    return UnknownTarget(block.namespace, "/".join(block.types) or None)


def _unknown_from(rest: list[str]) -> UnknownTarget:
    blocks = _provider_blocks(rest)
    if blocks:
        return _unknown_block(blocks[0])
    return UnknownTarget()
