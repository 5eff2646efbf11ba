"""The ARM rate gate: free while tokens remain, paced at the refill rate when empty, shut on a 429."""

from __future__ import annotations

import pytest
from azure.core.rest import HttpRequest

from shared.azure.throttling import ArmRateGate, RateGates, _Gate, operation_class, retry_after_seconds


def test_requests_pass_untouched_while_tokens_remain() -> None:
    gate = _Gate(refill_per_second=10.0, burst=200)
    gate.observe(200, remaining=150, retry_after=None, now=0.0)
    assert [gate.delay(now=0.0) for _ in range(5)] == [0.0] * 5


def test_an_empty_bucket_spaces_requests_at_the_refill_rate() -> None:
    gate = _Gate(refill_per_second=10.0, burst=200)
    gate.observe(200, remaining=0, retry_after=None, now=0.0)
    assert [round(gate.delay(now=0.0), 3) for _ in range(3)] == [0.1, 0.2, 0.3]


def test_an_empty_bucket_observed_long_ago_has_refilled() -> None:
    gate = _Gate(refill_per_second=10.0, burst=200)
    gate.observe(200, remaining=0, retry_after=None, now=0.0)
    assert [gate.delay(now=3600.0) for _ in range(16)] == [0.0] * 16


def test_a_429_closes_the_gate_for_every_request_until_retry_after() -> None:
    gate = _Gate(refill_per_second=25.0, burst=250)
    gate.observe(429, remaining=None, retry_after=2.0, now=10.0)
    assert gate.delay(now=10.5) == pytest.approx(1.5)
    assert gate.delay(now=10.5) == pytest.approx(1.5)  # ARM refills meanwhile: all may go at 12 s


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


class _Response:
    def __init__(self, status: int, headers: dict[str, str]) -> None:
        self.status_code = status
        self.headers = headers


class _Arm:
    """The next policy in the pipeline: answers from a script and records when each request left."""

    def __init__(self, answers: list[tuple[int, dict[str, str]]]) -> None:
        self.answers = answers
        self.sent: list[float] = []

    async def send(self, request: object) -> object:
        import time
        from types import SimpleNamespace

        self.sent.append(time.monotonic())
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        return SimpleNamespace(http_response=_Response(status, headers))


def _write() -> object:
    from types import SimpleNamespace

    url = "https://management.azure.com/subscriptions/s1/resourceGroups/g/providers/Microsoft.Resources/tags/default"
    return SimpleNamespace(http_request=SimpleNamespace(url=url, method="PATCH"))


async def test_a_429_also_holds_requests_that_were_already_waiting() -> None:
    import asyncio
    import time

    gate = ArmRateGate()
    arm = _Arm([(200, {"x-ms-ratelimit-remaining-subscription-writes": "0"}), (429, {"Retry-After": "1"})])
    gate.next = arm  # type: ignore[assignment]
    started = time.monotonic()
    await gate.send(_write())  # type: ignore[arg-type]  # bucket now empty: pacing begins
    second = asyncio.create_task(gate.send(_write()))  # type: ignore[arg-type]  # waits for a token, then a 429
    third = asyncio.create_task(gate.send(_write()))  # type: ignore[arg-type]  # slot at +0.2 s, but the 429 holds it
    await asyncio.gather(second, third)

    assert arm.sent[1] - started == pytest.approx(0.1, abs=0.05)
    assert arm.sent[2] - arm.sent[1] >= 0.95, "held for the 429's Retry-After, not released at its slot"


def test_every_client_gets_its_own_policy_over_one_instance_wide_state() -> None:
    """azure-core links a policy object into one pipeline; sharing one across clients rewires them."""

    gates = RateGates()
    first, second = gates.policy(), gates.policy()
    request = HttpRequest("GET", "https://management.azure.com/subscriptions/abc/resourcegroups")

    assert first is not second
    assert first._gate(request)[0] is second._gate(request)[0]
