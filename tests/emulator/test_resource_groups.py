"""Resource groups through the official SDK: status codes, paging, filters, the delete LRO, errors."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import EmulatorControl, EmulatorControlError, SeedResource, SeedResourceGroup, SeedSubscription
from emulator.process import EmulatorEndpoints
from tests.emulator.conftest import SUB, client_options

API = "api-version=2025-04-01"


def status_of(response: Any, deserialized: Any, headers: Any) -> int:
    """``cls=`` hook that makes an SDK call return the HTTP status."""
    del deserialized, headers
    return int(response.http_response.status_code)


async def test_create_returns_201_then_update_returns_200(arm: ResourceManagementClient) -> None:
    created: Any = await arm.resource_groups.create_or_update("rg-a", {"location": "westeurope"}, cls=status_of)
    updated: Any = await arm.resource_groups.create_or_update("rg-a", {"location": "westeurope"}, cls=status_of)

    assert (created, updated) == (201, 200)


async def test_put_replaces_tags_and_get_returns_arm_shape(arm: ResourceManagementClient) -> None:
    await arm.resource_groups.create_or_update("Rg-B", {"location": "West Europe", "tags": {"a": "1", "b": "2"}})
    await arm.resource_groups.create_or_update("rg-b", {"location": "westeurope", "tags": {"c": "3"}})

    group = await arm.resource_groups.get("RG-B")

    assert dict(group) == {
        "id": f"/subscriptions/{SUB}/resourceGroups/Rg-B",
        "name": "Rg-B",
        "type": "Microsoft.Resources/resourceGroups",
        "location": "westeurope",
        "tags": {"c": "3"},
        "properties": {"provisioningState": "Succeeded"},
    }


async def test_patch_replaces_the_whole_tag_dictionary(arm: ResourceManagementClient) -> None:
    await arm.resource_groups.create_or_update("rg-c", {"location": "westeurope", "tags": {"a": "1", "b": "2"}})

    patched = await arm.resource_groups.update("rg-c", {"tags": {"z": "9"}})

    assert patched.tags == {"z": "9"}
    assert (await arm.resource_groups.get("rg-c")).tags == {"z": "9"}


async def test_check_existence_answers_204_or_404(arm: ResourceManagementClient) -> None:
    await arm.resource_groups.create_or_update("rg-d", {"location": "westeurope"})

    assert await arm.resource_groups.check_existence("RG-D") is True
    assert await arm.resource_groups.check_existence("rg-missing") is False


async def test_missing_group_is_404_resource_group_not_found(arm: ResourceManagementClient) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        await arm.resource_groups.get("rg-nope")

    assert raised.value.error is not None
    assert raised.value.error.code == "ResourceGroupNotFound"
    assert raised.value.error.message == "Resource group 'rg-nope' could not be found."


async def test_unknown_subscription_is_404_subscription_not_found(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> None:
    unknown = "99999999-9999-9999-9999-999999999999"
    async with ResourceManagementClient(credential, unknown, **client_options(emulator)) as client:
        with pytest.raises(ResourceNotFoundError) as raised:
            await client.resource_groups.get("rg")

    assert raised.value.error is not None
    assert raised.value.error.code == "SubscriptionNotFound"
    assert raised.value.error.message == f"The subscription '{unknown}' could not be found."


@pytest.mark.parametrize("name", ["bad name", "x" * 91, "ends-with-dot."])
async def test_invalid_group_names_are_refused_with_400(arm: ResourceManagementClient, name: str) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await arm.resource_groups.create_or_update(name, {"location": "westeurope"})

    assert raised.value.status_code == 400
    assert raised.value.error is not None
    assert raised.value.error.code == "InvalidResourceGroup"


async def test_moving_an_existing_group_to_another_location_is_409(arm: ResourceManagementClient) -> None:
    await arm.resource_groups.create_or_update("rg-e", {"location": "westeurope"})

    with pytest.raises(HttpResponseError) as raised:
        await arm.resource_groups.create_or_update("rg-e", {"location": "eastus"})

    assert raised.value.status_code == 409


async def test_list_pages_with_absolute_next_links(
    arm: ResourceManagementClient,
    control: EmulatorControl,
    emulator: EmulatorEndpoints,
    http: aiohttp.ClientSession,
    token: str,
) -> None:
    control.seed_groups(SUB, {f"rg-{i:02d}": {} for i in range(8)})
    control.set_page_size(3)
    control.clear_requests()

    names = [group.name async for group in arm.resource_groups.list()]

    assert names == [f"rg-{i:02d}" for i in range(8)]
    assert control.request_summary().by_operation["ResourceGroups_List"] == 3
    async with http.get(
        f"{emulator.url}/subscriptions/{SUB}/resourcegroups?{API}", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        body = await response.json()
    assert len(body["value"]) == 3
    assert body["nextLink"].startswith(f"{emulator.url}/subscriptions/{SUB}/resourcegroups?")
    assert "$skiptoken=" in body["nextLink"]


async def test_top_sets_the_page_size(arm: ResourceManagementClient, control: EmulatorControl) -> None:
    control.seed_groups(SUB, {f"rg-{i}": {} for i in range(5)})
    control.clear_requests()

    names = [group.name async for group in arm.resource_groups.list(top=2)]

    assert len(names) == 5
    assert control.request_summary().by_operation["ResourceGroups_List"] == 3


async def test_list_filters_by_tag_name_and_value(arm: ResourceManagementClient, control: EmulatorControl) -> None:
    control.seed_groups(
        SUB,
        {"rg-prd": {"Env": "prd"}, "rg-dev": {"env": "dev"}, "rg-none": {}, "rg-prd2": {"ENV": "prd", "x": "y"}},
    )

    by_value = [str(g.name) async for g in arm.resource_groups.list(filter="tagName eq 'env' and tagValue eq 'prd'")]
    by_name = [str(g.name) async for g in arm.resource_groups.list(filter="tagName eq 'env'")]

    assert sorted(by_value) == ["rg-prd", "rg-prd2"]
    assert sorted(by_name) == ["rg-dev", "rg-prd", "rg-prd2"]


async def test_delete_runs_as_lro_and_shows_deleting_meanwhile(
    arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    resource = SeedResource("Microsoft.Storage/storageAccounts", "sa1")
    control.seed(
        [SeedSubscription(SUB, resource_groups=[SeedResourceGroup("rg-del", tags={"a": "b"}, resources=[resource])])]
    )

    poller = await arm.resource_groups.begin_delete("rg-del")
    during = await arm.resource_groups.get("rg-del")
    listed = {g.name: g.properties.provisioning_state async for g in arm.resource_groups.list() if g.properties}
    await poller.result()

    assert during.properties is not None
    assert during.properties.provisioning_state == "Deleting"
    assert listed["rg-del"] == "Deleting"
    assert await arm.resource_groups.check_existence("rg-del") is False
    [subscription] = [s for s in control.state()["subscriptions"] if s["subscriptionId"] == SUB]
    assert not subscription["resourceGroups"]
    polls = [entry.status for entry in control.requests_log() if entry.operation == "OperationResults_Get"]
    assert polls == [202, 200], "azure-core polls once at once (the job runs), then after Retry-After (done)"


async def test_delete_answers_202_with_location_and_retry_after(
    control: EmulatorControl, emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str
) -> None:
    control.seed_groups(SUB, {"rg-x": {}})
    auth = {"Authorization": f"Bearer {token}"}

    async with http.delete(f"{emulator.url}/subscriptions/{SUB}/resourcegroups/rg-x?{API}", headers=auth) as response:
        location = response.headers["Location"]
        assert response.status == 202
        assert response.headers["Retry-After"] == "1"
        assert response.headers["x-ms-ratelimit-remaining-subscription-deletes"]
        assert await response.read() == b""
    assert location.startswith(f"{emulator.url}/subscriptions/{SUB}/operationresults/")
    async with http.get(location, headers=auth) as first:
        assert first.status == 202
        assert first.headers["Retry-After"] == "1"
    async with http.get(location, headers=auth) as second:
        assert second.status == 200
        assert await second.read() == b""


async def test_delete_completes_on_its_own_without_polling(
    arm: ResourceManagementClient,
    control: EmulatorControl,
    emulator: EmulatorEndpoints,
    http: aiohttp.ClientSession,
    token: str,
) -> None:
    control.seed_groups(SUB, {"rg-y": {}})
    async with http.delete(
        f"{emulator.url}/subscriptions/{SUB}/resourcegroups/rg-y?{API}", headers={"Authorization": f"Bearer {token}"}
    ) as response:
        assert response.status == 202

    await asyncio.sleep(0.5)

    assert await arm.resource_groups.check_existence("rg-y") is False


@pytest.mark.parametrize("seconds", [0, 15])
async def test_delete_retry_after_is_a_setting_in_whole_seconds(
    control: EmulatorControl, emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str, seconds: int
) -> None:
    control.seed_groups(SUB, {"rg-x": {}})
    control.set_lro_retry_after(seconds)
    auth = {"Authorization": f"Bearer {token}"}

    async with http.delete(f"{emulator.url}/subscriptions/{SUB}/resourcegroups/rg-x?{API}", headers=auth) as response:
        location = response.headers["Location"]
        assert response.headers["Retry-After"] == str(seconds)
    async with http.get(location, headers=auth) as poll:
        assert (poll.status, poll.headers["Retry-After"]) == (202, str(seconds))


async def test_sdk_with_its_default_polling_interval_finishes_a_delete_in_about_a_second(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> None:
    """azure-core ignores ``Retry-After: 0`` and would poll after its default 30 s; 1 s it honours."""
    control.seed_groups(SUB, {"rg-slow": {}})
    options = {key: value for key, value in client_options(emulator).items() if key != "polling_interval"}
    async with ResourceManagementClient(credential, SUB, **options) as client:
        await (await client.resource_groups.begin_delete("rg-slow")).result()

    log = control.requests_log()
    [delete] = [entry for entry in log if entry.operation == "ResourceGroups_Delete"]
    polls = [entry for entry in log if entry.operation == "OperationResults_Get"]
    assert [poll.status for poll in polls] == [202, 200], "azure-core polls once at once, then once after Retry-After"
    waited = polls[1].start - polls[0].end
    assert 1.0 <= waited < 10.0, f"the SDK waited {waited:.2f} s between polls: Retry-After 1, not its default 30"
    assert polls[1].end - delete.start < 10.0


def test_lro_retry_after_setting_refuses_non_integers(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError):
        control.set_lro_retry_after(0.5)  # type: ignore[arg-type]
    with pytest.raises(EmulatorControlError):
        control.set_lro_retry_after(-1)
    assert control.state()["settings"]["lroRetryAfter"] == 1
