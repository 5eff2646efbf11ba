"""ARM's token-bucket throttling (the 2024 model; docs/emulator.md, "Throttling").

Buckets are kept per (subscription, caller object id, class) with capacity 250/200/200 and refill
25/10/10 per second for reads/writes/deletes, plus a global bucket per (subscription, class) at 15 times
those numbers shared by all callers. Throttling is off unless enabled; the remaining-tokens headers
are sent either way so callers that watch them see plausible numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BucketLimits", "Throttle", "ThrottleDecision"]

GLOBAL_FACTOR = 15


@dataclass(frozen=True)
class BucketLimits:
    capacity: float
    refill_per_second: float


LIMITS: dict[str, BucketLimits] = {
    "read": BucketLimits(250, 25),
    "write": BucketLimits(200, 10),
    "delete": BucketLimits(200, 10),
}


@dataclass(frozen=True)
class ThrottleDecision:
    """Whether the request may proceed, the tokens left after it, and when to retry if not."""

    allowed: bool
    remaining: int
    retry_after_seconds: int


class _Bucket:
    def __init__(self, limits: BucketLimits, now: float) -> None:
        self.limits = limits
        self.tokens = limits.capacity
        self.updated = now

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.limits.capacity, self.tokens + elapsed * self.limits.refill_per_second)
        self.updated = now

    def seconds_until_token(self) -> int:
        missing = max(0.0, 1.0 - self.tokens)
        return max(1, math.ceil(missing / self.limits.refill_per_second))


class Throttle:
    """Token buckets; ``take`` consumes one token when throttling is enabled."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = False
        self._clock = clock
        self._buckets: dict[tuple[str, str, str], _Bucket] = {}

    def _bucket(self, key: tuple[str, str, str], limits: BucketLimits, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(limits, now)
        bucket.refill(now)
        return bucket

    def take(self, subscription_id: str, caller: str, request_class: str) -> ThrottleDecision:
        limits = LIMITS.get(request_class)
        if limits is None:
            return ThrottleDecision(True, 0, 0)
        if not self.enabled:
            return ThrottleDecision(True, int(limits.capacity) - 1, 0)
        now = self._clock()
        subscription = subscription_id.casefold()
        own = self._bucket((subscription, caller.casefold(), request_class), limits, now)
        shared_limits = BucketLimits(limits.capacity * GLOBAL_FACTOR, limits.refill_per_second * GLOBAL_FACTOR)
        shared = self._bucket((subscription, "*", request_class), shared_limits, now)
        for bucket in (own, shared):
            if bucket.tokens < 1.0:
                return ThrottleDecision(False, 0, bucket.seconds_until_token())
        own.tokens -= 1.0
        shared.tokens -= 1.0
        return ThrottleDecision(True, math.floor(own.tokens), 0)
