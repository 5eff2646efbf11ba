"""The Purview listener's front door: tokens, routing on path, api-versions, the request log, faults, latency."""

from __future__ import annotations

import aiohttp
import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.identity.aio import DefaultAzureCredential
from azure.purview.administration.account.aio import PurviewAccountClient

from emulator.client import EmulatorControl, FaultRule
from emulator.process import EmulatorEndpoints
from tests.emulator.conftest import client_options
from tests.emulator.purview.conftest import ROOT, code, options, purview_url, status_and_code

COLLECTIONS = "/account/collections?api-version=2019-11-01-preview"


async def test_a_request_without_a_token_is_401_in_purviews_error_shape(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession
) -> None:
    async with http.get(purview_url(emulator) + COLLECTIONS) as response:
        body = await response.json()

    assert response.status == 401
    assert body["error"]["code"] == "Unauthorized"
    assert "x-ms-request-id" in response.headers


async def test_an_arm_token_is_refused_with_401(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, token: str
) -> None:
    async with http.get(purview_url(emulator) + COLLECTIONS, headers={"Authorization": f"Bearer {token}"}) as response:
        body = await response.json()

    assert response.status == 401
    assert body["error"]["code"] == "Unauthorized"
    assert "https://management.azure.com" in body["error"]["message"]


async def test_the_sdk_with_an_arm_scope_is_refused(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> None:
    wrong = {**options(emulator), "credential_scopes": ["https://management.azure.com/.default"]}
    async with PurviewAccountClient(purview_url(emulator) + "/account/", credential, **wrong) as client:
        with pytest.raises(ClientAuthenticationError) as raised:
            await client.collections.get_collection(ROOT)

    assert raised.value.status_code == 401


@pytest.mark.parametrize("audience", ["https://purview.azure.net", "https://purview.azure.net/"])
async def test_purviews_audience_is_accepted_with_or_without_the_slash(
    emulator: EmulatorEndpoints,
    control: EmulatorControl,
    http: aiohttp.ClientSession,
    credential: DefaultAzureCredential,
    audience: str,
) -> None:
    token = (await credential.get_token(audience)).token

    async with http.get(purview_url(emulator) + COLLECTIONS, headers={"Authorization": f"Bearer {token}"}) as response:
        await response.read()

    assert response.status == 200


async def test_routes_match_on_path_whatever_the_host_and_prefix(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, purview_token: str
) -> None:
    headers = {"Authorization": f"Bearer {purview_token}", "Host": "myacct.account.purview.azure.com"}

    async with http.get(
        f"{purview_url(emulator)}/collections/{ROOT}?api-version=2019-11-01-preview", headers=headers
    ) as response:
        body = await response.json()

    assert (response.status, body["name"]) == (200, ROOT)


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", "ApiVersionUnspecified"), ("?api-version=2023-09-01", "UnsupportedApiVersion")],
    ids=["missing", "unsupported"],
)
async def test_the_account_api_needs_its_api_version(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, purview_token: str, query: str, expected: str
) -> None:
    async with http.get(
        f"{purview_url(emulator)}/account/collections{query}", headers={"Authorization": f"Bearer {purview_token}"}
    ) as response:
        body = await response.json()

    assert (response.status, body["error"]["code"]) == (400, expected)
    assert response.headers["api-supported-versions"] == "2019-11-01-preview"


async def test_an_unknown_path_is_404(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, purview_token: str
) -> None:
    async with http.get(
        f"{purview_url(emulator)}/subscriptions/x?api-version=2021-01-01",
        headers={"Authorization": f"Bearer {purview_token}"},
    ) as response:
        body = await response.json()

    assert (response.status, body["error"]["code"]) == (404, "NotFound")


async def test_purview_requests_are_logged_and_summarised_apart_from_arm(
    accounts: PurviewAccountClient, control: EmulatorControl
) -> None:
    await accounts.collections.get_collection(ROOT)  # the token request is out of the way now
    control.clear_requests()

    await accounts.collections.create_or_update_collection("sales", {"parentCollection": {"referenceName": ROOT}})
    await accounts.collections.get_collection("sales")
    await accounts.collections.delete_collection("sales")

    log = control.requests_log()
    summary = control.request_summary()
    assert [(e.request_class, e.operation, e.status) for e in log] == [
        ("purview-write", "Collections_CreateOrUpdateCollection", 200),
        ("purview-read", "Collections_GetCollection", 200),
        ("purview-delete", "Collections_DeleteCollection", 204),
    ]
    assert log[0].client_request_id is not None
    assert (summary.reads, summary.writes, summary.deletes) == (0, 0, 0)
    assert (summary.purview_reads, summary.purview_writes, summary.purview_deletes) == (1, 1, 1)
    assert (summary.purview_round_trips, summary.sequential_round_trips, summary.total) == (3, 3, 3)


async def test_a_fault_by_path_reaches_purview_and_the_sdk_retries_it(
    accounts: PurviewAccountClient, control: EmulatorControl
) -> None:
    control.set_faults([FaultRule(status=503, count=2, method="GET", path=f"/collections/{ROOT}$")])

    root = await accounts.collections.get_collection(ROOT)

    statuses = [e.status for e in control.requests_log() if e.operation == "Collections_GetCollection"]
    assert (root["name"], statuses) == (ROOT, [503, 503, 200])


async def test_a_persistent_500_fault_has_purviews_error_body(
    accounts: PurviewAccountClient, control: EmulatorControl
) -> None:
    control.set_faults([FaultRule(status=500, path="/account/collections")])

    with pytest.raises(HttpResponseError) as raised:
        await accounts.collections.get_collection(ROOT)

    assert status_and_code(raised.value) == (500, "InternalServerError")


async def test_latency_applies_to_purview_responses(accounts: PurviewAccountClient, control: EmulatorControl) -> None:
    await accounts.collections.get_collection(ROOT)
    control.set_latency(200)
    control.clear_requests()

    await accounts.collections.get_collection(ROOT)

    [served] = control.requests_log()
    assert served.end - served.start >= 0.2


async def test_reset_brings_back_a_new_account(accounts: PurviewAccountClient, control: EmulatorControl) -> None:
    await accounts.collections.create_or_update_collection("sales", {"parentCollection": {"referenceName": ROOT}})

    control.reset()

    snapshot = control.purview()
    assert [c.name for c in snapshot.collections] == [ROOT]
    assert list(snapshot.metadata_policies) == [ROOT]
    assert (snapshot.data_sources, snapshot.entities) == ((), ())


async def test_arm_still_refuses_a_purview_token(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> None:
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    wrong = client_options(emulator, credential_scopes=["https://purview.azure.net/.default"])
    async with ResourceManagementClient(credential, "11111111-1111-1111-1111-111111111111", **wrong) as arm:
        with pytest.raises(ClientAuthenticationError) as raised:
            await arm.resource_groups.get("rg")

    assert code(raised.value) == "InvalidAuthenticationTokenAudience"
