"""The cross-charging tags aspect: cost centre, domain, product, landing zone, environment, owner.

Desired: the governed tag names (from config) with values from the product's identity and its
domain's (or the product's) cross-charging settings. Observed: the group's tags, from the group read
every reconcile makes anyway — this aspect costs no request of its own. Action: one tags-at-scope
``PATCH`` of operation ``Merge`` with the drifted names only, so the team's other tags are never
touched and a repeat is a no-op.

Ownership: the app owns the governed tag *names* on governed groups (the ``ManagedBy`` tag marks
the group as governed). It never removes a tag: when the config stops governing a name, the old tag
stays, because the app cannot tell its own past writes from the team's.

A tag-recognised product whose team retagged it to another identity gets the ``conflict`` status:
the tags are repaired back to the pinned identity (``shared.identity``), never followed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, assert_never

from shared.aspects.base import (
    AspectPlan,
    Disposition,
    Finding,
    FindingKind,
    Outputs,
    Reads,
    Subject,
    Target,
)
from shared.aspects.views import ViaReads
from shared.config import GovernanceConfig, LandingZone
from shared.errors import disposition
from shared.identity import IdentityConflict
from shared.ledger import LedgerRecord
from shared.model import DataProduct, GroupRef, frozen_tags

NAME = "tags"


@dataclass(frozen=True, slots=True)
class MergeTags:
    """Set these tag values on the group with a tags-at-scope PATCH ``Merge``.

    Merge only adds or overwrites the named keys, so the team's own tags are never touched, and
    repeating it (a retry, a duplicate event, two instances racing) gives the same end state.
    """

    group: GroupRef
    tags: Mapping[str, str]
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"tags:{self.group.scope.lower()}"

    def describe(self) -> str:
        pairs = ", ".join(f"{name}={value}" for name, value in sorted(self.tags.items()))
        return f"merge tags on {self.group.name}: {pairs}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "merge_tags",
            "aspect": self.aspect,
            "scope": self.group.scope,
            "tags": dict(sorted(self.tags.items())),
            "depends_on": sorted(self.depends_on),
        }


TagsAction = MergeTags  # the aspect's whole action union; add members here and cases in ``execute``


@dataclass(frozen=True, slots=True)
class DesiredTags:
    group: GroupRef
    tags: Mapping[str, str]
    conflict: IdentityConflict | None = None

    def summary(self) -> tuple[str, ...]:
        lines = [f"tag {name}={value}" for name, value in self.tags.items()]
        if self.conflict is not None:
            lines.append(f"conflict: {self.conflict.describe()} (the tags are repaired to the pin)")
        return tuple(lines)


class TagWriter(Protocol):
    async def merge_tags(self, ref: GroupRef, tags: Mapping[str, str]) -> None: ...


def cross_charging_tags(config: GovernanceConfig, product: DataProduct) -> dict[str, str]:
    """The governed tags: who pays (cost centre), what it is, where it lives, who owns it."""
    domain = config.domains[product.domain]
    overrides = domain.products.get(product.product)
    names = config.tags
    return {
        names.cost_center: (overrides and overrides.cost_center) or domain.cost_center,
        names.domain: product.domain,
        names.product: product.product,
        names.landing_zone: product.landing_zone,
        names.environment: product.environment,
        names.owner: (overrides and overrides.owner) or domain.owner,
        names.managed_by: config.managed_by,
    }


def tag_drift(desired: Mapping[str, str], observed: Mapping[str, str]) -> dict[str, str]:
    """The governed tags whose observed value is missing or different.

    Names match case-insensitively (ARM treats ``costcenter`` and ``CostCenter`` as one tag);
    values must match exactly. Tags the app does not govern are not looked at.
    """
    observed_by_name = {name.lower(): value for name, value in observed.items()}
    return {name: value for name, value in desired.items() if observed_by_name.get(name.lower()) != value}


def merge_tag_values(current: Mapping[str, str], merged: Mapping[str, str]) -> dict[str, str]:
    """ARM's Merge: overwrite values of existing names (keeping their casing), add new names."""
    result = dict(current)
    by_lower = {name.lower(): name for name in result}
    for name, value in merged.items():
        result[by_lower.get(name.lower(), name)] = value
    return result


def diff_tags(desired: DesiredTags, observed: Mapping[str, str]) -> AspectPlan[TagsAction]:
    drift = tag_drift(desired.tags, observed)
    actions = (MergeTags(group=desired.group, tags=frozen_tags(drift)),) if drift else ()
    findings: tuple[Finding, ...] = ()
    if desired.conflict is not None:
        findings = (Finding(FindingKind.CONFLICT, "RetaggedIdentity", desired.conflict.describe()),)
    return AspectPlan(actions, findings)


def simulate(observed: Mapping[str, str], action: TagsAction) -> Mapping[str, str]:
    """The tags ARM would report after ``action`` succeeds: the pure model of the executor."""
    match action:
        case MergeTags(tags=tags):
            return frozen_tags(merge_tag_values(observed, tags))
        case _:
            assert_never(action)


class TagsAspect:
    """Cross-charging tags on every governed group."""

    name = NAME

    def __init__(self, config: GovernanceConfig, writer: TagWriter) -> None:
        self._config = config
        self._writer = writer

    def desire(self, subject: Subject) -> DesiredTags:
        tags = frozen_tags(cross_charging_tags(self._config, subject.product))
        return DesiredTags(subject.ref, tags, subject.identity.conflict)

    async def observe(self, target: Target, reads: Reads) -> Mapping[str, str]:
        group = await reads.group(target.ref)
        return group.tags if group is not None else frozen_tags(None)

    async def observe_zone(self, zone: LandingZone, reads: Reads) -> ViaReads[Mapping[str, str]]:
        del zone
        return ViaReads(self.observe, reads)

    def diff(self, desired: DesiredTags, observed: Mapping[str, str]) -> AspectPlan[TagsAction]:
        return diff_tags(desired, observed)

    async def execute(self, action: TagsAction, outputs: Outputs) -> None:
        del outputs
        match action:
            case MergeTags(group=group, tags=tags):
                await self._writer.merge_tags(group, tags)
            case _:
                assert_never(action)

    def interpret(self, action: TagsAction, error: BaseException) -> Disposition:
        """A tag write has no failure of its own to decode: ARM's table says it all.

        404 ``ResourceGroupNotFound`` is the group gone, 409 ``ResourceGroupBeingDeleted`` the group
        deleting, 400 (e.g. the 50-tag limit) terminal.
        """
        del action
        return disposition(error)

    def retire(self, record: LedgerRecord) -> AspectPlan[TagsAction]:
        """Nothing outside the group: ARM removed everything this aspect governs with it."""
        del record
        return AspectPlan()
