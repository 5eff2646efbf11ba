"""Pace Resource Graph queries to the caller's quota as its answers report it.

Resource Graph throttles per user (the app's identity, across every instance), not per
subscription: by default 15 queries per 5-second window. Every answer says what is left,
``x-ms-user-quota-remaining``, and when the window resets, ``x-ms-user-quota-resets-after``
(``hh:mm:ss``). Microsoft's guidance is to wait for the reset once the quota is spent rather than
send into 429s. This policy sits after the retry policy (it gates every attempt), and one gate is
shared by all of a process's queries: a query is sent only while the last answer's count, less the
queries still in flight, leaves room (a run pages three queries at once), and once nothing is left no
query is sent until the window has reset, plus up to ``RESET_JITTER`` of it, so instances that ran out
together do not come back in lockstep. A 429 (the other instances spent the quota) closes the gate for its
``Retry-After`` too; the retry policy then sends the query again.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy
from azure.core.rest import AsyncHttpResponse, HttpRequest

from shared.azure.throttling import retry_after_seconds

RESET_JITTER = 0.2  # reopen after the reset * [1, 1.2)
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$")


def timespan_seconds(text: str | None) -> float | None:
    """``[d.]hh:mm:ss[.fff]`` (how Resource Graph writes the reset) in seconds; None if unreadable."""
    match = _TIMESPAN.match((text or "").strip())
    if match is None:
        return None
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)


class GraphQuotaGate(AsyncHTTPPolicy[HttpRequest, AsyncHttpResponse]):
    """A per-retry pipeline policy of the Resource Graph client."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        super().__init__()
        self._clock = clock
        self._jitter = jitter
        self.closed_until = 0.0
        self.waits = 0  # queries held back, for the benchmarks and the logs
        self._left: int | None = None  # the last answer's remaining quota, until its window resets
        self._window_ends = 0.0  # when that window resets (with jitter)
        self._in_flight = 0  # queries sent and not answered yet

    async def send(self, request: PipelineRequest[HttpRequest]) -> PipelineResponse[HttpRequest, AsyncHttpResponse]:
        wait = self._wait()
        if wait > 0:
            self.waits += 1
        while wait > 0:
            await asyncio.sleep(wait)
            wait = self._wait()  # another answer may have closed it further, or a query returned
        self._in_flight += 1
        try:
            response = await self.next.send(request)
        finally:
            self._in_flight -= 1
        self.observe(response.http_response)
        return response

    def _wait(self) -> float:
        """How long the next query must wait: 0 while the gate is open and the quota has room."""
        now = self._clock()
        if self.closed_until > now:
            return self.closed_until - now
        if self._left is None or now >= self._window_ends:
            self._left = None  # a new window: its first answer says what is left
            return 0.0
        if self._left - self._in_flight > 0:
            return 0.0
        return self._window_ends - now

    def observe(self, response: AsyncHttpResponse) -> None:
        headers = response.headers
        now = self._clock()
        resets = timespan_seconds(headers.get("x-ms-user-quota-resets-after"))
        if response.status_code == 429:
            pause = retry_after_seconds(headers) or resets
        else:
            remaining = headers.get("x-ms-user-quota-remaining")
            left = int(remaining) if remaining is not None and remaining.strip().isdigit() else None
            if left is not None and resets is not None:
                self._left, self._window_ends = left, now + resets * (1 + RESET_JITTER * self._jitter())
            pause = resets if left is not None and left <= 0 else None
        if pause is not None:
            self.closed_until = max(self.closed_until, now + pause * (1 + RESET_JITTER * self._jitter()))
