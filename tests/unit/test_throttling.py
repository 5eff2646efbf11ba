"""The ARM rate gate: free while tokens remain, paced at the refill rate when empty, shut on a 429."""

from __future__ import annotations

import pytest

from shared.azure.throttling import _Gate, operation_class, retry_after_seconds


def test_requests_pass_untouched_while_tokens_remain() -> None:
    gate = _Gate(refill_per_second=10.0)
    gate.observe(200, remaining=150, retry_after=None, now=0.0)
    assert [gate.delay(now=0.0) for _ in range(5)] == [0.0] * 5


def test_an_empty_bucket_spaces_requests_at_the_refill_rate() -> None:
    gate = _Gate(refill_per_second=10.0)
    gate.observe(200, remaining=0, retry_after=None, now=0.0)
    assert [round(gate.delay(now=0.0), 3) for _ in range(3)] == [0.0, 0.1, 0.2]


def test_a_429_closes_the_gate_for_every_request_until_retry_after() -> None:
    gate = _Gate(refill_per_second=25.0)
    gate.observe(429, remaining=None, retry_after=2.0, now=10.0)
    assert gate.delay(now=10.5) == pytest.approx(1.5)
    assert gate.delay(now=10.5) == pytest.approx(1.54)  # then paced behind the first


@pytest.mark.parametrize(
    ("method", "kind"),
    [("GET", "reads"), ("head", "reads"), ("PATCH", "writes"), ("PUT", "writes"), ("DELETE", "deletes")],
)
def test_operation_classes_follow_arm(method: str, kind: str) -> None:
    assert operation_class(method) == kind


def test_retry_after_forms() -> None:
    assert retry_after_seconds({"Retry-After": "3"}) == 3.0
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert retry_after_seconds({}) is None
