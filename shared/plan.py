"""Diff desired against observed into an ordered, printable list of idempotent actions.

A plan is data (Terraform's plan/apply split): the dry-run returns it, tests assert on it, and
``apply`` runs it. Every action carries a stable ``key`` and the keys it ``depends_on``, so apply can
run independent actions concurrently and dependent ones wave by wave. ``simulate`` is the pure model
of what each action does to the observed state; property tests use it to prove convergence
(planning again after applying gives an empty plan).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from shared.desire import DesiredGroup
from shared.model import GroupRef, ObservedGroup, frozen_tags

Aspect = Literal["tags"]


@dataclass(frozen=True, slots=True)
class MergeTags:
    """Set these tag values on the group with a tags-at-scope PATCH ``Merge``.

    Merge only adds or overwrites the named keys, so the team's own tags are never touched, and
    repeating it (a retry, a duplicate event, two instances racing) gives the same end state.
    """

    group: GroupRef
    tags: Mapping[str, str]
    aspect: Aspect = "tags"
    depends_on: frozenset[str] = field(default_factory=frozenset)

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


Action = MergeTags


@dataclass(frozen=True, slots=True)
class Plan:
    """The actions that take one group from observed to desired, in dependency order."""

    actions: tuple[Action, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.actions)

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    def waves(self) -> list[list[Action]]:
        """Group actions into waves: each wave depends only on earlier waves."""
        done: set[str] = set()
        remaining = list(self.actions)
        waves: list[list[Action]] = []
        while remaining:
            ready = [action for action in remaining if action.depends_on <= done]
            if not ready:
                cycle = sorted(action.key for action in remaining)
                raise ValueError(f"plan has unsatisfiable dependencies among {cycle}")
            waves.append(ready)
            done.update(action.key for action in ready)
            remaining = [action for action in remaining if action not in ready]
        return waves

    def to_list(self) -> list[dict[str, Any]]:
        return [action.to_dict() for action in self.actions]


def tag_drift(desired: Mapping[str, str], observed: Mapping[str, str]) -> dict[str, str]:
    """The governed tags whose observed value is missing or different.

    Names match case-insensitively (ARM treats ``costcenter`` and ``CostCenter`` as one tag);
    values must match exactly. Tags the app does not govern are not looked at.
    """
    observed_by_name = {name.lower(): value for name, value in observed.items()}
    return {name: value for name, value in desired.items() if observed_by_name.get(name.lower()) != value}


def plan_group(desired: DesiredGroup, observed: ObservedGroup) -> Plan:
    """The actions needed for ``observed`` to satisfy ``desired``; empty when it already does."""
    actions: list[Action] = []
    drift = tag_drift(desired.tags, observed.tags)
    if drift:
        actions.append(MergeTags(group=observed.ref, tags=frozen_tags(drift)))
    return Plan(tuple(actions))


def merge_tag_values(current: Mapping[str, str], merged: Mapping[str, str]) -> dict[str, str]:
    """ARM's Merge: overwrite values of existing names (keeping their casing), add new names."""
    result = dict(current)
    by_lower = {name.lower(): name for name in result}
    for name, value in merged.items():
        result[by_lower.get(name.lower(), name)] = value
    return result


def simulate(observed: ObservedGroup, plan: Plan) -> ObservedGroup:
    """The state ARM would report after ``plan`` succeeds; the pure model of every action."""
    state = observed
    for action in plan:
        match action:
            case MergeTags(tags=tags):
                state = replace(state, tags=frozen_tags(merge_tag_values(state.tags, tags)))
    return state
