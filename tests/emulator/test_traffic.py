"""Latency, injected faults, ARM throttling and the request summary, seen through the SDK."""

from __future__ import annotations

import asyncio
import math

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import EmulatorControl, FaultRule
from emulator.process import EmulatorEndpoints
from tests.emulator.conftest import SUB, client_options

API = "api-version=2025-04-01"


@pytest.fixture
async def fast_retry_arm(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> ResourceManagementClient:
    """An SDK client with the default retry policy (3 status retries) but a short backoff."""
    control.seed_groups(SUB, {"rg-f": {}})
    return ResourceManagementClient(credential, SUB, **client_options(emulator, retry_backoff_factor=0.01))


async def test_latency_is_added_to_arm_responses(arm: ResourceManagementClient, control: EmulatorControl) -> None:
    control.seed_groups(SUB, {"rg-l": {}})
    await arm.resource_groups.get("rg-l")  # the token request is not delayed, and is out of the way now
    control.set_latency(200)
    control.clear_requests()

    await arm.resource_groups.get("rg-l")

    [served] = control.requests_log()
    assert served.operation == "ResourceGroups_Get"
    assert served.end - served.start >= 0.2, "the emulator's own clock shows the added latency"


async def test_a_503_fault_is_retried_by_the_sdk(
    fast_retry_arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    control.set_faults([FaultRule(status=503, count=2, method="GET", path="resourcegroups/rg-f$")])

    async with fast_retry_arm as arm:
        group = await arm.resource_groups.get("rg-f")

    assert group.name == "rg-f"
    statuses = [e.status for e in control.requests_log() if e.operation == "ResourceGroups_Get"]
    assert statuses == [503, 503, 200]


async def test_a_500_fault_has_an_arm_body_and_no_retry_after(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, token: str
) -> None:
    control.set_faults([FaultRule(status=500)])

    async with http.get(
        f"{emulator.url}/subscriptions/{SUB}/resourcegroups?{API}", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        body = await response.json()

    assert response.status == 500
    assert body["error"]["code"] == "InternalServerError"
    assert "Retry-After" not in response.headers


async def test_persistent_faults_surface_after_the_sdks_retries(
    fast_retry_arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    control.set_faults([FaultRule(status=500, method="GET")])

    async with fast_retry_arm as arm:
        with pytest.raises(HttpResponseError) as raised:
            await arm.resource_groups.get("rg-f")

    assert raised.value.status_code == 500
    assert control.request_summary().by_operation["ResourceGroups_Get"] == 4, "the SDK tries 1 + 3 times"


async def test_a_429_fault_makes_the_sdk_wait_for_retry_after(
    fast_retry_arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    async with fast_retry_arm as arm:
        await arm.resource_groups.get("rg-f")  # the token request is out of the way now
        control.set_faults([FaultRule(status=429, count=1, method="GET", retry_after=1)])
        control.clear_requests()
        await arm.resource_groups.get("rg-f")

    throttled, retried = control.requests_log()
    assert (throttled.status, retried.status) == (429, 200)
    assert retried.start - throttled.end >= 1.0, "the retry waited for Retry-After"


async def test_a_connection_reset_is_retried_by_the_sdk(
    fast_retry_arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    control.set_faults([FaultRule(status="reset", count=1, method="GET")])

    async with fast_retry_arm as arm:
        group = await arm.resource_groups.get("rg-f")

    assert group.name == "rg-f"
    assert [e.status for e in control.requests_log() if e.operation == "ResourceGroups_Get"] == [0, 200]


async def test_throttling_answers_429_once_the_read_bucket_is_empty(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, token: str
) -> None:
    control.set_throttling(True)
    url = f"{emulator.url}/subscriptions/{SUB}/resourcegroups?{API}"
    headers = {"Authorization": f"Bearer {token}"}

    async def read() -> tuple[int, str | None, str | None]:
        async with http.get(url, headers=headers) as response:
            body = await response.json()
            code = body["error"]["code"] if response.status == 429 else None
            return response.status, response.headers.get("Retry-After"), code

    control.clear_requests()
    results = await asyncio.gather(*(read() for _ in range(400)))

    log = [entry for entry in control.requests_log() if entry.operation == "ResourceGroups_List"]
    burst = max(entry.start for entry in log) - min(entry.start for entry in log)
    allowed = sum(1 for status, _, _ in results if status == 200)
    throttled = [result for result in results if result[0] != 200]
    # The bucket holds 250 and refills 25 per second while the burst lasts (timed by the emulator's log).
    assert 250 <= allowed <= 250 + math.ceil(25 * burst)
    assert len(throttled) == 400 - allowed
    assert {(status, retry_after, code) for status, retry_after, code in throttled} == {
        (429, "1", "SubscriptionRequestsThrottled")
    }


async def test_summary_counts_requests_and_the_critical_path(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, token: str
) -> None:
    control.seed_groups(SUB, {"rg-s": {}})
    control.set_latency(50)
    control.clear_requests()
    url = f"{emulator.url}/subscriptions/{SUB}/resourcegroups/rg-s?{API}"
    headers = {"Authorization": f"Bearer {token}"}

    async def call(method: str) -> None:
        async with http.request(method, url, headers=headers, json={"tags": {}}) as response:
            await response.read()

    for _ in range(3):
        await call("GET")
    await asyncio.gather(*(call("GET") for _ in range(4)), call("PATCH"))

    summary = control.request_summary()
    assert (summary.reads, summary.writes, summary.deletes, summary.total) == (7, 1, 0, 8)
    assert summary.sequential_round_trips == 4
    assert summary.by_operation == {"ResourceGroups_Get": 7, "ResourceGroups_Update": 1}
    control.clear_requests()
    assert control.request_summary().total == 0
