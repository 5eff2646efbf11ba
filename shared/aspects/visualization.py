"""The visualization aspect: Reporting & Visualization resource groups exist, empty and tagged.

Each landing zone has one visualization group (named in the config), created empty in the landing
zone's location and tagged ``ManagedBy`` + ``LandingZone`` if missing. A product that asks for its
own — the config says so, or its team set the selection tag to ``true`` on the product group (the
tag only *selects* that option) — gets a dedicated group next to its group, named after it
(``dp-sales-orders-rg`` → ``dp-sales-orders-viz-rg``) and tagged with the product's cross-charging
tags, so what runs there is charged to the domain.

Ownership: the app creates these groups and keeps their governed tags; it never deletes a resource
group. A dedicated group that its product no longer wants is reported (a notice), and one whose
product group is gone is reported ``orphaned`` by the reconciler; both are left in place.

Grants on these groups belong to the RBAC aspect; its actions depend on this aspect's creates by key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, assert_never

from shared.aspects.base import AspectPlan, Disposition, Finding, FindingKind, Outputs, Reads, Subject, Target
from shared.aspects.tags import MergeTags, cross_charging_tags, tag_drift
from shared.aspects.views import ViaReads
from shared.config import GovernanceConfig, LandingZone
from shared.errors import disposition, error_code
from shared.ledger import LedgerRecord
from shared.model import GroupRef, ObservedGroup, frozen_tags, tag_value
from shared.naming import dedicated_visualization_group

NAME = "visualization"
GroupRole = Literal["landing_zone", "dedicated"]
_ROLE_NAMES: Mapping[GroupRole, str] = {"landing_zone": "the landing zone's", "dedicated": "a dedicated"}


def group_key(ref: GroupRef) -> str:
    """The key of the action that creates a group: what grants on that group depend on."""
    return f"group:{ref.scope.lower()}"


@dataclass(frozen=True, slots=True)
class CreateGroup:
    """PUT an (empty) resource group with its governed tags."""

    group: GroupRef
    location: str
    tags: Mapping[str, str]
    role: GroupRole
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return group_key(self.group)

    def describe(self) -> str:
        what = "landing zone" if self.role == "landing_zone" else "dedicated"
        return f"create {what} visualization group {self.group.name} in {self.location}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "create_group",
            "aspect": self.aspect,
            "scope": self.group.scope,
            "location": self.location,
            "tags": dict(sorted(self.tags.items())),
            "role": self.role,
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class TagGroup(MergeTags):
    """Merge the governed tags into an existing visualization group (its other tags stay): the tags
    aspect's action, planned and executed by this aspect."""

    aspect: str = NAME


VisualizationAction = CreateGroup | TagGroup


@dataclass(frozen=True, slots=True)
class WantedGroup:
    ref: GroupRef
    location: str
    tags: Mapping[str, str]
    role: GroupRole


@dataclass(frozen=True, slots=True)
class DesiredVisualization:
    groups: tuple[WantedGroup, ...]
    unwanted_dedicated: GroupRef | None = None  # the product's dedicated name, when it wants none
    findings: tuple[Finding, ...] = ()

    def summary(self) -> tuple[str, ...]:
        lines = [
            f"{_ROLE_NAMES[group.role]} visualization group {group.ref.name} ({group.location})"
            for group in self.groups
        ]
        if self.unwanted_dedicated is not None:
            lines.append("no dedicated visualization group")
        lines += [f"{finding.kind.value}: {finding.message}" for finding in self.findings]
        return tuple(lines)


ObservedVisualization = Mapping[str, ObservedGroup | None]  # by lower-cased group name


def landing_zone_group(zone: LandingZone) -> GroupRef:
    return GroupRef(zone.subscription_id, zone.visualization_resource_group)


def wants_dedicated(config: GovernanceConfig, subject: Subject) -> bool:
    """The config wants it for this product, or the team selected it with the selection tag."""
    domain = config.domains[subject.product.domain]
    product = domain.products.get(subject.product.product)
    if product is not None and product.dedicated_visualization_group:
        return True
    selector = config.visualization.selection_tag
    return selector is not None and (tag_value(subject.group.tags, selector) or "").strip().lower() == "true"


def dedicated_group(config: GovernanceConfig, subject: Subject) -> GroupRef | None:
    """The product's dedicated group when it wants one and its name fits ARM's limit."""
    if not wants_dedicated(config, subject):
        return None
    name = dedicated_visualization_group(config, subject.ref.name)
    return GroupRef(subject.ref.subscription_id, name) if name is not None else None


class GroupWriter(Protocol):
    async def create_group(self, ref: GroupRef, *, location: str, tags: Mapping[str, str]) -> ObservedGroup: ...

    async def merge_tags(self, ref: GroupRef, tags: Mapping[str, str]) -> None: ...


class VisualizationAspect:
    """The landing zone's visualization group, and dedicated ones for the products that want them."""

    name = NAME

    def __init__(self, config: GovernanceConfig, writer: GroupWriter) -> None:
        self._config = config
        self._writer = writer

    def desire(self, subject: Subject) -> DesiredVisualization:
        config, zone = self._config, subject.zone
        lz_tags = {config.tags.managed_by: config.managed_by, config.tags.landing_zone: zone.name}
        groups = [
            WantedGroup(
                landing_zone_group(zone), zone.location or subject.group.location, frozen_tags(lz_tags), "landing_zone"
            )
        ]
        findings: list[Finding] = []
        dedicated = dedicated_group(config, subject)
        if dedicated is not None:
            tags = frozen_tags(cross_charging_tags(config, subject.product))
            groups.append(WantedGroup(dedicated, subject.group.location, tags, "dedicated"))
        elif wants_dedicated(config, subject):
            findings.append(
                Finding(
                    FindingKind.BLOCKED,
                    "DedicatedGroupNameTooLong",
                    f"a dedicated visualization group named after {subject.ref.name!r} would exceed 90 characters",
                )
            )
        unwanted = None
        if not wants_dedicated(config, subject):
            name = dedicated_visualization_group(config, subject.ref.name)
            unwanted = GroupRef(subject.ref.subscription_id, name) if name else None
        return DesiredVisualization(tuple(groups), unwanted, tuple(findings))

    async def observe(self, target: Target, reads: Reads) -> ObservedVisualization:
        refs = [landing_zone_group(target.zone)]
        dedicated = dedicated_visualization_group(self._config, target.ref.name)
        if dedicated is not None:
            refs.append(GroupRef(target.ref.subscription_id, dedicated))
        found = await asyncio.gather(*(reads.group(ref) for ref in refs))  # one round trip, not one each
        return {ref.name.lower(): group for ref, group in zip(refs, found, strict=True)}

    async def observe_zone(self, zone: LandingZone, reads: Reads) -> ViaReads[ObservedVisualization]:
        del zone
        return ViaReads(self.observe, reads)

    def diff(self, desired: DesiredVisualization, observed: ObservedVisualization) -> AspectPlan[VisualizationAction]:
        actions: list[VisualizationAction] = []
        for wanted in desired.groups:
            found = observed.get(wanted.ref.name.lower())
            if found is None:
                actions.append(CreateGroup(wanted.ref, wanted.location, wanted.tags, wanted.role))
                continue
            drift = tag_drift(wanted.tags, found.tags)
            if drift and not found.deleting:
                actions.append(TagGroup(wanted.ref, frozen_tags(drift)))
        findings = list(desired.findings)
        if desired.unwanted_dedicated is not None and observed.get(desired.unwanted_dedicated.name.lower()):
            findings.append(
                Finding(
                    FindingKind.NOTICE,
                    "DedicatedGroupNotWanted",
                    f"{desired.unwanted_dedicated.name} exists but the product no longer asks for it; "
                    "left in place (the app never deletes a resource group)",
                )
            )
        return AspectPlan(tuple(actions), tuple(findings))

    async def execute(self, action: VisualizationAction, outputs: Outputs) -> None:
        del outputs
        match action:
            case CreateGroup(group=group, location=location, tags=tags):
                await self._writer.create_group(group, location=location, tags=tags)
            case TagGroup(group=group, tags=tags):
                await self._writer.merge_tags(group, tags)
            case _:
                assert_never(action)

    def interpret(self, action: VisualizationAction, error: BaseException) -> Disposition:
        """These actions touch *other* groups than the product's: their deletion is not the product's.

        A visualization group being deleted, or deleted since it was observed, is transient: the
        retry observes again and recreates it.
        """
        del action
        if error_code(error) in {"ResourceGroupBeingDeleted", "ResourceGroupNotFound"}:
            return Disposition.TRANSIENT
        return disposition(error)

    def retire(self, record: LedgerRecord) -> AspectPlan[VisualizationAction]:
        """Nothing outside the group: ARM removed everything this aspect governs with it."""
        del record
        return AspectPlan()
