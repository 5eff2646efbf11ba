"""The ARM rate gate: free while tokens remain, paced at the refill rate when empty, shut on a 429,
reopened and spaced with jitter, and bounded in write requests per subscription."""

from __future__ import annotations

import asyncio
import functools

import pytest
from azure.core.rest import HttpRequest

from shared.azure.throttling import (
    PACING_JITTER,
    RETRY_JITTER,
    ArmRateGate,
    RateGates,
    _Gate,
    operation_class,
    retry_after_seconds,
)
from shared.config import ConfigError
from shared.settings import Settings


def _no_jitter() -> float:
    return 0.0


def test_requests_pass_untouched_while_tokens_remain() -> None:
    gate = _Gate(refill_per_second=10.0, burst=200)
    gate.observe(200, remaining=150, retry_after=None, now=0.0)
    assert [gate.delay(now=0.0) for _ in range(5)] == [0.0] * 5


def test_an_empty_bucket_spaces_requests_at_the_refill_rate() -> None:
    gate = _Gate(refill_per_second=10.0, burst=200, jitter=_no_jitter)
    gate.observe(200, remaining=0, retry_after=None, now=0.0)
    assert [round(gate.delay(now=0.0), 3) for _ in range(3)] == [0.1, 0.2, 0.3]


def test_an_empty_bucket_observed_long_ago_has_refilled() -> None:
    gate = _Gate(refill_per_second=10.0, burst=200)
    gate.observe(200, remaining=0, retry_after=None, now=0.0)
    assert [gate.delay(now=3600.0) for _ in range(16)] == [0.0] * 16


def test_a_429_closes_the_gate_for_every_request_until_retry_after() -> None:
    gate = _Gate(refill_per_second=25.0, burst=250, jitter=_no_jitter)
    gate.observe(429, remaining=None, retry_after=2.0, now=10.0)
    assert gate.delay(now=10.5) == pytest.approx(1.5)
    assert gate.delay(now=10.5) == pytest.approx(1.5)  # ARM refills meanwhile: all may go at 12 s


def test_paced_requests_are_spaced_by_one_to_1_2_refill_intervals_drawn_from_the_random_source() -> None:
    draws = iter([0.5, 0.0, 0.999999, 0.0])
    gate = _Gate(refill_per_second=10.0, burst=200, jitter=lambda: next(draws))
    gate.observe(200, remaining=0, retry_after=None, now=0.0)

    # The first waits for the token ARM refills; each next one 0.1 s * (1 + 0.2 * draw) after it.
    assert [round(gate.delay(now=0.0), 6) for _ in range(4)] == [0.1, 0.21, 0.31, 0.43]
    assert PACING_JITTER == 0.2


def test_a_429_reopens_between_retry_after_and_half_as_long_again_drawn_from_the_random_source() -> None:
    reopenings = []
    for draw in (0.0, 0.5, 0.999999):
        gate = _Gate(refill_per_second=10.0, burst=200, jitter=functools.partial(float, draw))
        gate.observe(429, remaining=None, retry_after=2.0, now=10.0)
        reopenings.append(round(gate.closed_until, 4))

    assert reopenings == [12.0, 12.5, 13.0]  # never before Retry-After, at most 1.5 times it
    assert RETRY_JITTER == 0.5


def test_instances_that_saw_the_same_429_reopen_at_different_times() -> None:
    first = _Gate(refill_per_second=10.0, burst=200, jitter=lambda: 0.1)
    second = _Gate(refill_per_second=10.0, burst=200, jitter=lambda: 0.7)
    for gate in (first, second):
        gate.observe(429, remaining=None, retry_after=1.0, now=0.0)

    assert [first.closed_until, second.closed_until] == pytest.approx([1.05, 1.35])


def test_a_429_without_retry_after_closes_the_class_for_one_second_plus_jitter() -> None:
    gate = _Gate(refill_per_second=10.0, burst=200, jitter=lambda: 0.5)
    gate.observe(429, remaining=None, retry_after=None, now=0.0)
    assert gate.closed_until == pytest.approx(1.25)


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


class _HeldArm:
    """The next policy: keeps every request open until released, counting those in flight per
    (subscription, operation class)."""

    def __init__(self) -> None:
        self.in_flight: dict[tuple[str, str], int] = {}
        self.most: dict[tuple[str, str], int] = {}
        self.release = asyncio.Event()

    async def send(self, request: object) -> object:
        from types import SimpleNamespace

        http = request.http_request  # type: ignore[attr-defined]
        key = (http.url.split("/subscriptions/")[1].split("/")[0], operation_class(http.method))
        self.in_flight[key] = self.in_flight.get(key, 0) + 1
        self.most[key] = max(self.most.get(key, 0), self.in_flight[key])
        await self.release.wait()
        self.in_flight[key] -= 1
        return SimpleNamespace(http_response=_Response(200, {}))


def _request(subscription: str, method: str) -> object:
    from types import SimpleNamespace

    url = f"https://management.azure.com/subscriptions/{subscription}/resourceGroups/g?api-version=2021-04-01"
    return SimpleNamespace(http_request=SimpleNamespace(url=url, method=method))


async def test_write_and_delete_requests_are_bounded_per_subscription_and_reads_are_not() -> None:
    gates = RateGates(max_writes=2)
    arm = _HeldArm()
    policies = [gates.policy() for _ in range(3)]  # several clients of one instance share the bound
    for policy in policies:
        policy.next = arm  # type: ignore[assignment]
    sent = [
        asyncio.create_task(policies[index % 3].send(_request(subscription, method)))  # type: ignore[arg-type]
        for subscription in ("s1", "s2")
        for method in ("PATCH", "PUT", "DELETE", "GET")
        for index in range(3)
    ]
    for _ in range(20):
        await asyncio.sleep(0)
    arm.release.set()
    await asyncio.gather(*sent)

    # PATCH and PUT share the writes class: 2 of 6 at once per subscription; deletes 2 of 3; reads all 3.
    assert arm.most == {
        ("s1", "writes"): 2,
        ("s1", "deletes"): 2,
        ("s1", "reads"): 3,
        ("s2", "writes"): 2,
        ("s2", "deletes"): 2,
        ("s2", "reads"): 3,
    }


async def test_without_a_bound_every_write_goes_at_once() -> None:
    gates = RateGates()
    arm = _HeldArm()
    policy = gates.policy()
    policy.next = arm  # type: ignore[assignment]
    sent = [asyncio.create_task(policy.send(_request("s1", "PATCH"))) for _ in range(5)]  # type: ignore[arg-type]
    for _ in range(20):
        await asyncio.sleep(0)
    arm.release.set()
    await asyncio.gather(*sent)

    assert arm.most == {("s1", "writes"): 5}


def test_the_per_subscription_write_bound_is_a_setting_defaulting_to_two() -> None:
    assert Settings.from_environment({}).max_writes_per_subscription == 2
    assert Settings.from_environment({"DPGOV_MAX_WRITES_PER_SUBSCRIPTION": "4"}).max_writes_per_subscription == 4
    with pytest.raises(ConfigError, match="DPGOV_MAX_WRITES_PER_SUBSCRIPTION must be a positive integer, got '0'"):
        Settings.from_environment({"DPGOV_MAX_WRITES_PER_SUBSCRIPTION": "0"})
