"""Resource Graph's per-user quota: the gate closes when an answer says it is spent, and on a 429."""

from __future__ import annotations

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
