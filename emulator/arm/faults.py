"""Fault injection: make chosen ARM requests fail the way ARM fails.

Rules match by method and a case-insensitive path regex, fire with a probability and at most
``count`` times. The injector owns its random generator, so nothing global is touched.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..control.models import FaultRule

__all__ = ["FaultInjector"]


@dataclass
class _ActiveRule:
    rule: FaultRule
    pattern: re.Pattern[str] | None
    injected: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.rule.count is not None and self.injected >= self.rule.count:
            return False
        if self.rule.method is not None and self.rule.method.upper() != method.upper():
            return False
        return self.pattern is None or self.pattern.search(path) is not None


class FaultInjector:
    """The active fault rules; the first matching rule that fires wins."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._rules: list[_ActiveRule] = []

    def set_rules(self, rules: Sequence[FaultRule]) -> None:
        """Replace the rules; raises ``ValueError`` for an invalid path regex."""
        active = []
        for rule in rules:
            try:
                pattern = re.compile(rule.path, re.IGNORECASE) if rule.path else None
            except re.error as error:
                raise ValueError(f"invalid path regex {rule.path!r}: {error}") from error
            active.append(_ActiveRule(rule, pattern))
        self._rules = active

    def clear(self) -> None:
        self._rules = []

    def pick(self, method: str, path: str) -> FaultRule | None:
        for active in self._rules:
            if active.matches(method, path) and self._random.random() < active.rule.rate:
                active.injected += 1
                return active.rule
        return None
