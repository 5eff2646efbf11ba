"""A plan: the actions of every aspect for one group, ordered by their dependencies.

A plan is data (Terraform's plan/apply split): the dry-run returns it, tests assert on it, and the
reconciler applies it. Every action carries a stable ``key`` and the keys it ``depends_on`` — within
its aspect or across aspects (a policy assignment before the grant to its identity) — so apply runs
independent actions concurrently and dependent ones wave by wave. A dependency on a key that is not
in the plan is already satisfied: nothing needed doing there.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from shared.aspects.base import Action


@dataclass(frozen=True, slots=True)
class Plan:
    """The actions that take one group from observed to desired."""

    actions: tuple[Action, ...] = ()

    def __post_init__(self) -> None:
        keys = [action.key for action in self.actions]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"plan has repeated action keys {repeated}")

    def __bool__(self) -> bool:
        return bool(self.actions)

    def __iter__(self) -> Iterator[Action]:
        return iter(self.actions)

    def __len__(self) -> int:
        return len(self.actions)

    def for_aspect(self, aspect: str) -> tuple[Action, ...]:
        return tuple(action for action in self.actions if action.aspect == aspect)

    def waves(self) -> list[list[Action]]:
        """Group actions into waves: each wave depends only on earlier waves (or on nothing planned)."""
        planned = {action.key for action in self.actions}
        done: set[str] = set()
        remaining = list(self.actions)
        waves: list[list[Action]] = []
        while remaining:
            ready = [action for action in remaining if (action.depends_on & planned) <= done]
            if not ready:
                cycle = sorted(action.key for action in remaining)
                raise ValueError(f"plan has unsatisfiable dependencies among {cycle}")
            waves.append(ready)
            done.update(action.key for action in ready)
            remaining = [action for action in remaining if action not in ready]
        return waves

    @property
    def depth(self) -> int:
        """The number of waves: the plan's share of the critical path, in sequential round trips."""
        return len(self.waves())

    def to_list(self) -> list[dict[str, Any]]:
        return [action.to_dict() for action in self.actions]


def combine(parts: Sequence[Sequence[Action]]) -> Plan:
    """One plan from each aspect's actions, in aspect order."""
    return Plan(tuple(action for part in parts for action in part))
