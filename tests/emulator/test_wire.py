"""Wire-level fidelity: authentication, the identity endpoint, ARM headers and error shapes."""

from __future__ import annotations

import base64
import json

import aiohttp
import pytest
from azure.identity.aio import DefaultAzureCredential

from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints
from tests.emulator.conftest import ARM_SCOPE, SUB

API = "api-version=2025-04-01"


def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


async def test_default_azure_credential_gets_a_jwt_shaped_token(
    credential: DefaultAzureCredential, control: EmulatorControl
) -> None:
    token = await credential.get_token(ARM_SCOPE)

    claims = claims_of(token.token)
    identity = control.identity()
    assert claims["oid"] == identity.principal_id
    assert claims["tid"] == identity.tenant_id
    assert claims["appid"] == identity.client_id
    assert claims["aud"] == "https://management.azure.com"
    assert claims["idtyp"] == "app"
    assert {"iss", "iat", "nbf", "exp"} <= claims.keys()
    assert control.request_summary().tokens == 1


async def test_identity_endpoint_requires_the_secret_header(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession
) -> None:
    params = {"api-version": "2019-08-01", "resource": "https://management.azure.com"}
    async with http.get(emulator.identity_endpoint, params=params) as missing:
        assert missing.status == 400
    async with http.get(emulator.identity_endpoint, params=params, headers={"X-IDENTITY-HEADER": "wrong"}) as wrong:
        assert wrong.status == 401
    async with http.get(
        emulator.identity_endpoint, params=params, headers={"X-IDENTITY-HEADER": emulator.identity_header}
    ) as right:
        body = await right.json()
    assert set(body) == {"access_token", "expires_on", "resource", "token_type", "client_id"}
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_on"], str)
    assert body["expires_on"].isdigit()


async def test_user_assigned_identity_gets_its_own_object_id(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, control: EmulatorControl
) -> None:
    params = {"api-version": "2019-08-01", "resource": "https://management.azure.com", "client_id": "abc"}
    async with http.get(
        emulator.identity_endpoint, params=params, headers={"X-IDENTITY-HEADER": emulator.identity_header}
    ) as response:
        body = await response.json()

    assert body["client_id"] == "abc"
    assert claims_of(body["access_token"])["oid"] != control.identity().principal_id


@pytest.mark.usefixtures("control")
@pytest.mark.parametrize(
    ("authorization", "code"),
    [(None, "AuthenticationFailed"), ("Bearer not-a-token", "InvalidAuthenticationToken")],
)
async def test_arm_requires_a_valid_bearer_token(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, authorization: str | None, code: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    async with http.get(f"{emulator.url}/subscriptions/{SUB}/resourcegroups?{API}", headers=headers) as response:
        body = await response.json()

    assert response.status == 401
    assert body["error"]["code"] == code
    if authorization is None:
        assert body["error"]["message"] == "Authentication failed. The 'Authorization' header is missing."


async def test_a_token_for_another_audience_is_refused(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, control: EmulatorControl
) -> None:
    params = {"api-version": "2019-08-01", "resource": "https://purview.azure.net"}
    async with http.get(
        emulator.identity_endpoint, params=params, headers={"X-IDENTITY-HEADER": emulator.identity_header}
    ) as response:
        token = (await response.json())["access_token"]

    async with http.get(
        f"{emulator.url}/subscriptions/{SUB}/resourcegroups?{API}", headers={"Authorization": f"Bearer {token}"}
    ) as refused:
        assert refused.status == 401
        assert (await refused.json())["error"]["code"] == "InvalidAuthenticationTokenAudience"


@pytest.mark.usefixtures("control")
async def test_responses_carry_arm_headers_and_echo_the_correlation_id(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}", "x-ms-correlation-request-id": "corr-1"}

    async with http.get(f"{emulator.url}/subscriptions/{SUB}/resourcegroups?{API}", headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.headers["x-ms-correlation-request-id"] == "corr-1"
        assert response.headers["x-ms-request-id"]
        assert response.headers["x-ms-routing-request-id"].startswith("WESTEUROPE:")
        assert response.headers["Cache-Control"] == "no-cache"
        assert int(response.headers["x-ms-ratelimit-remaining-subscription-reads"]) > 0
        assert "Retry-After" not in response.headers


@pytest.mark.usefixtures("control")
@pytest.mark.parametrize(
    "case",
    [
        ("GET", f"/subscriptions/{SUB}/resourcegroups", 400, "MissingApiVersionParameter"),
        ("GET", f"/subscriptions/{SUB}/providers/Microsoft.Foo/bars?{API}", 404, "InvalidResourceType"),
        ("GET", f"/nothing/here?{API}", 404, "InvalidResourceType"),
        ("POST", f"/subscriptions/{SUB}/resourcegroups/rg?{API}", 405, "MethodNotAllowed"),
        ("GET", f"/subscriptions/{SUB}/resourcegroups?{API}&$filter=bogus", 400, "InvalidFilterInQueryString"),
    ],
)
async def test_bad_requests_get_arm_error_bodies_without_retry_after(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str, case: tuple[str, str, int, str]
) -> None:
    method, path, status, code = case
    async with http.request(method, f"{emulator.url}{path}", headers={"Authorization": f"Bearer {token}"}) as response:
        body = await response.json()

    assert response.status == status
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Retry-After" not in response.headers


@pytest.mark.usefixtures("control")
async def test_head_of_a_missing_group_is_404_with_an_empty_body(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str
) -> None:
    async with http.head(
        f"{emulator.url}/subscriptions/{SUB}/resourceGroups/nope?{API}", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 404
        assert await response.read() == b""
        assert response.headers["x-ms-failure-cause"] == "gateway"
        assert int(response.headers["Content-Length"]) > 0, "the length of the GET's error body, as ARM sends"


@pytest.mark.usefixtures("control")
async def test_front_door_errors_name_the_gateway_as_their_cause(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with http.get(f"{emulator.url}/subscriptions/{SUB}/resourcegroups/nope?{API}", headers=headers) as missing:
        assert (missing.status, missing.headers["x-ms-failure-cause"]) == (404, "gateway")
    async with http.put(
        f"{emulator.url}/subscriptions/{SUB}/resourceGroups/nope/providers/Microsoft.Resources/tags/default?{API}",
        headers=headers,
        json={"properties": {"tags": {" ": "x"}}},
    ) as blank:
        assert blank.status == 404, "the group is checked first"
    async with http.put(
        f"{emulator.url}/subscriptions/{SUB}/resourcegroups/rg-t?{API}",
        headers=headers,
        json={"location": "westeurope", "tags": {" ": "x"}},
    ) as invalid:
        body = await invalid.json()
        assert (invalid.status, body["error"]["code"]) == (400, "InvalidTagName")
        assert invalid.headers["x-ms-failure-cause"] == "gateway"
        assert "Retry-After" not in invalid.headers


async def test_query_parameters_are_decoded_and_order_does_not_matter(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str, control: EmulatorControl
) -> None:
    control.seed_groups(SUB, {"rg-a": {"env": "prd"}, "rg-b": {}})
    url = f"{emulator.url}/subscriptions/{SUB}/resourceGroups?$filter=tagName%20eq%20%27env%27&{API}"

    async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        body = await response.json()

    assert [group["name"] for group in body["value"]] == ["rg-a"]


async def test_the_request_log_keeps_each_callers_client_request_id(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str, control: EmulatorControl
) -> None:
    control.seed_groups(SUB, {"rg-a": {}})
    url = f"{emulator.url}/subscriptions/{SUB}/resourceGroups/rg-a?{API}"
    auth = {"Authorization": f"Bearer {token}"}
    control.clear_requests()

    for headers in (
        {**auth, "x-ms-client-request-id": "reconcile-1"},
        {**auth, "x-ms-client-request-id": "reconcile-1"},
        auth,
    ):
        async with http.get(url, headers=headers) as response:
            assert response.status == 200

    log = control.requests_log()
    assert [entry.client_request_id for entry in log] == ["reconcile-1", "reconcile-1", None]
    async with http.get(f"{emulator.url}/_emulator/requests") as response:
        raw = (await response.json())["value"]
    assert [entry["clientRequestId"] for entry in raw] == ["reconcile-1", "reconcile-1", None]
