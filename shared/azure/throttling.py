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
  already waiting, not only the one that was throttled.

So a large drift repair runs at close to the refill rate with few 429s, and a compliant estate
(well inside the burst) never waits.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy
from azure.core.rest import AsyncHttpResponse, HttpRequest

REFILL_PER_SECOND = {"reads": 25.0, "writes": 10.0, "deletes": 10.0}
BURST = {"reads": 250, "writes": 200, "deletes": 200}
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
            self.next_slot = slot + 1.0 / self.refill_per_second
            wait = slot - now
        return wait

    def observe(self, status: int, remaining: int | None, retry_after: float | None, now: float) -> None:
        if remaining is not None:
            self.remaining, self.observed_at = float(remaining), now
        if status == 429:
            self.remaining, self.observed_at = 0.0, now
            self.closed_until = max(self.closed_until, now + (retry_after if retry_after is not None else 1.0))


class RateGates:
    """The gates of one app instance, one per (subscription, operation class), shared by every client.

    The state is shared; the pipeline policies are not: azure-core links each policy object into
    one pipeline (``policy.next``), so each client gets its own ``ArmRateGate`` over these gates.
    """

    def __init__(self) -> None:
        self._gates: dict[tuple[str, str], _Gate] = {}

    def gate(self, request: HttpRequest) -> tuple[_Gate, str]:
        match = _SUBSCRIPTION.search(request.url)
        kind = operation_class(request.method)
        key = (match.group(1).lower() if match else "", kind)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = _Gate(REFILL_PER_SECOND[kind], BURST[kind])
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
