"""Resource Graph's per-user quota: the gate closes when an answer says it is spent, and on a 429."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import pytest
from azure.core.rest import HttpRequest

from shared.azure.graph_quota import GraphQuotaGate, timespan_seconds


class Answer:
    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status_code = status
        self.headers = headers
        self.request = HttpRequest("POST", "https://management.azure.com/providers/Microsoft.ResourceGraph/resources")


def gate(now: float = 100.0, jitter: float = 0.0) -> GraphQuotaGate:
    return GraphQuotaGate(clock=lambda: now, jitter=lambda: jitter)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:00:04", 4.0), ("00:01:02.5", 62.5), ("1.00:00:01", 86401.0), ("soon", None), (None, None)],
)
def test_the_reset_is_read_as_a_timespan(text: str | None, seconds: float | None) -> None:
    assert timespan_seconds(text) == seconds


def test_quota_left_keeps_the_gate_open() -> None:
    quota = gate()
    quota.observe(Answer(200, {"x-ms-user-quota-remaining": "3", "x-ms-user-quota-resets-after": "00:00:04"}))  # type: ignore[arg-type]

    assert quota.closed_until == 0.0


def test_a_spent_quota_closes_the_gate_until_the_reset_with_jitter() -> None:
    quota = gate(jitter=0.5)
    quota.observe(Answer(200, {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:04"}))  # type: ignore[arg-type]

    assert quota.closed_until == pytest.approx(100.0 + 4.0 * 1.1)


def test_a_429_closes_the_gate_for_its_retry_after() -> None:
    quota = gate()
    quota.observe(Answer(429, {"Retry-After": "3", "x-ms-user-quota-remaining": "0"}))  # type: ignore[arg-type]

    assert quota.closed_until == 103.0


def test_an_earlier_reset_never_reopens_a_gate_closed_for_longer() -> None:
    quota = gate()
    quota.observe(Answer(429, {"Retry-After": "9"}))  # type: ignore[arg-type]
    quota.observe(Answer(200, {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:01"}))  # type: ignore[arg-type]

    assert quota.closed_until == 109.0


class Window:
    """Resource Graph's side of the quota: ``quota`` queries per window of ``seconds``, then 429."""

    def __init__(self, quota: int, seconds: float) -> None:
        self.quota, self.seconds = quota, seconds
        self.started = time.monotonic()
        self.used = 0
        self.statuses: list[int] = []

    async def send(self, request: Any) -> Any:
        del request
        now = time.monotonic()
        if now - self.started >= self.seconds:
            self.started, self.used = now, 0
        self.used += 1
        left = self.quota - self.used  # counted as it arrives
        await asyncio.sleep(0.02)  # the queries of a run overlap
        resets = f"00:00:{max(0.0, self.seconds - (time.monotonic() - self.started)):06.3f}"
        status = 200 if left >= 0 else 429
        self.statuses.append(status)
        headers = {"x-ms-user-quota-remaining": str(max(left, 0)), "x-ms-user-quota-resets-after": resets}
        return SimpleNamespace(http_response=Answer(status, headers))


async def test_queries_in_flight_count_against_what_the_last_answer_left() -> None:
    """Three pages at once with two queries left in the window: the third waits for the reset
    instead of drawing a 429 (the count it would have read was already spent by the other two)."""
    window = Window(quota=3, seconds=0.5)
    quota = GraphQuotaGate(jitter=lambda: 0.0)
    quota.next = window  # type: ignore[assignment]
    request: Any = object()
    await quota.send(request)  # the first answer: 2 left

    await asyncio.gather(quota.send(request), quota.send(request), quota.send(request))

    assert window.statuses == [200, 200, 200, 200]
    assert quota.waits == 1
