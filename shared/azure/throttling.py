"""Pace ARM requests to the subscription's token buckets instead of hammering into 429s.

ARM throttles per subscription, principal and operation class with token buckets (reads: 250
burst, 25/s; writes and deletes: 200 burst, 10/s) and reports what is left in
``x-ms-ratelimit-remaining-subscription-{reads|writes|deletes}``. The SDK's retry policy honours
``Retry-After`` on a 429, but each request retries on its own: with many writes in flight they all
come back together, mostly get throttled again, and some run out of retries. This policy sits after
the retry policy (so it gates every attempt) and keeps one gate per (subscription, class):

- while the last response said tokens remain, requests pass untouched;
- once the bucket is empty (the last count plus what ARM refilled since), requests are spaced at
  the refill rate;
- a 429 closes the gate for its ``Retry-After``, for every request of that class, including those
  already waiting, not only the one that was throttled;
- at most ``max_writes`` write (and, separately, delete) requests per subscription are in the gate at
  once, waiting or in flight (``DPGOV_MAX_WRITES_PER_SUBSCRIPTION``).

The gate is per process: each instance keeps its own estimate, while ARM's bucket is shared by every
instance with the same identity. The remaining-tokens header carries what the others spent, but
not what they are about to send, so several instances can still overrun it together. They stay
safe because each honours ``Retry-After`` for its whole class and reopens a little after it, at a
random point (``RETRY_JITTER``), and spaces paced requests by a slightly random interval
(``PACING_JITTER``): instances that saw the same 429 do not come back in lockstep. The per-subscription
bound keeps a typical fan-out near the write refill (docs/architecture.md, "Performance model").

So a large drift repair runs at close to the refill rate with few 429s, and a compliant estate
(well inside the burst) never waits.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy
from azure.core.rest import AsyncHttpResponse, HttpRequest

REFILL_PER_SECOND = {"reads": 25.0, "writes": 10.0, "deletes": 10.0}
BURST = {"reads": 250, "writes": 200, "deletes": 200}
RETRY_JITTER = 0.5  # a 429 reopens its class after Retry-After * [1, 1.5)
PACING_JITTER = 0.2  # paced requests are spaced 1/refill * [1, 1.2) apart
_SUBSCRIPTION = re.compile(r"/subscriptions/([^/?]+)", re.IGNORECASE)


def operation_class(method: str) -> str:
    method = method.upper()
    if method in {"GET", "HEAD"}:
        return "reads"
    return "deletes" if method == "DELETE" else "writes"


def retry_after_seconds(headers: object) -> float | None:
    """Retry-After (seconds) or retry-after-ms / x-ms-retry-after-ms, as ARM sends them."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("x-ms-retry-after-ms", 1000.0), ("Retry-After", 1.0)):
        raw = get(name)
        if raw:
            try:
                return max(0.0, float(raw) / scale)
            except ValueError:
                continue  # an HTTP-date: leave it to the SDK's retry policy
    return None


@dataclass
class _Gate:
    refill_per_second: float
    burst: int
    remaining: float | None = None  # tokens ARM reported at ``observed_at``
    observed_at: float = 0.0
    closed_until: float = 0.0
    next_slot: float = 0.0
    in_flight: int = 0
    jitter: Callable[[], float] = field(default=random.random, repr=False)  # uniform in [0, 1)
    slots: asyncio.Semaphore | None = field(default=None, repr=False)  # write-class: per subscription

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """One of the class's slots for this subscription while the request waits and runs (if bounded)."""
        if self.slots is None:
            yield
            return
        async with self.slots:
            yield

    def available(self, now: float) -> float | None:
        """Tokens left now: the last report plus what ARM has refilled since, up to the burst."""
        if self.remaining is None:
            return None
        return min(float(self.burst), self.remaining + (now - self.observed_at) * self.refill_per_second)

    def delay(self, now: float) -> float:
        """How long a request arriving now must wait; reserves its slot when pacing."""
        wait = max(0.0, self.closed_until - now)
        available = self.available(now)
        if self.remaining is not None and available is not None and available - self.in_flight < 1:
            # Empty: go when ARM will have refilled a token for this request, one per refill interval.
            refilled = self.observed_at + (self.in_flight + 1 - self.remaining) / self.refill_per_second
            slot = max(self.next_slot, now + wait, refilled)
            self.next_slot = slot + (1.0 + PACING_JITTER * self.jitter()) / self.refill_per_second
            wait = slot - now
        return wait

    def observe(self, status: int, remaining: int | None, retry_after: float | None, now: float) -> None:
        if remaining is not None:
            self.remaining, self.observed_at = float(remaining), now
        if status == 429:
            self.remaining, self.observed_at = 0.0, now
            pause = (retry_after if retry_after is not None else 1.0) * (1.0 + RETRY_JITTER * self.jitter())
            self.closed_until = max(self.closed_until, now + pause)


class RateGates:
    """The gates of one app instance, one per (subscription, operation class), shared by every client.

    The state is shared; the pipeline policies are not: azure-core links each policy object into
    one pipeline (``policy.next``), so each client gets its own ``ArmRateGate`` over these gates.
    """

    def __init__(self, max_writes: int | None = None, jitter: Callable[[], float] = random.random) -> None:
        """``max_writes``: write (and delete) requests per subscription in the gate at once; None: unbounded."""
        self._gates: dict[tuple[str, str], _Gate] = {}
        self._max_writes = max_writes
        self._jitter = jitter

    def gate(self, request: HttpRequest) -> tuple[_Gate, str]:
        match = _SUBSCRIPTION.search(request.url)
        kind = operation_class(request.method)
        key = (match.group(1).lower() if match else "", kind)
        gate = self._gates.get(key)
        if gate is None:
            slots = asyncio.Semaphore(self._max_writes) if kind != "reads" and self._max_writes else None
            gate = self._gates[key] = _Gate(REFILL_PER_SECOND[kind], BURST[kind], jitter=self._jitter, slots=slots)
        return gate, kind

    def policy(self) -> ArmRateGate:
        """A new per-retry policy for one client's pipeline, over these shared gates."""
        return ArmRateGate(self)


class ArmRateGate(AsyncHTTPPolicy[HttpRequest, AsyncHttpResponse]):
    """A per-retry pipeline policy of one client, pacing against the instance's shared gates."""

    def __init__(self, gates: RateGates | None = None) -> None:
        super().__init__()
        self._gates = gates if gates is not None else RateGates()

    def _gate(self, request: HttpRequest) -> tuple[_Gate, str]:
        return self._gates.gate(request)

    async def send(self, request: PipelineRequest[HttpRequest]) -> PipelineResponse[HttpRequest, AsyncHttpResponse]:
        gate, kind = self._gate(request.http_request)
        async with gate.held():
            wait = gate.delay(time.monotonic())
            while wait > 0:
                await asyncio.sleep(wait)
                wait = gate.closed_until - time.monotonic()  # a 429 seen meanwhile holds this one too
            gate.in_flight += 1
            try:
                response = await self.next.send(request)
            finally:
                gate.in_flight -= 1
        http = response.http_response
        raw_remaining = http.headers.get(f"x-ms-ratelimit-remaining-subscription-{kind}")
        remaining = int(raw_remaining) if raw_remaining and raw_remaining.isdigit() else None
        gate.observe(http.status_code, remaining, retry_after_seconds(http.headers), time.monotonic())
        return response
