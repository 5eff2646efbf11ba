"""Tracked resources in a group through the official SDK: create/update, get, list, filter, nest, delete."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import EmulatorControl, EmulatorControlError, SeedResource, SeedResourceGroup, SeedSubscription
from emulator.process import EmulatorEndpoints
from tests.emulator.conftest import SUB

GROUP = f"/subscriptions/{SUB}/resourceGroups/rg-r"
STORAGE = f"{GROUP}/providers/Microsoft.Storage/storageAccounts/sa1"
SQL_SERVER = f"{GROUP}/providers/Microsoft.Sql/servers/sql1"
SQL_DB = f"{SQL_SERVER}/databases/db1"
SITE = f"{GROUP}/providers/Microsoft.Web/sites/app1"
STORAGE_API = "2023-01-01"
SQL_API = "2021-11-01"
STORAGE_BODY: dict[str, Any] = {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}


async def put(arm: ResourceManagementClient, resource_id: str, body: dict[str, Any], api_version: str) -> Any:
    return await (await arm.resources.begin_create_or_update_by_id(resource_id, body, api_version=api_version)).result()


@pytest.fixture(autouse=True)
def group(control: EmulatorControl) -> None:
    control.seed_groups(SUB, {"rg-r": {}})


async def test_create_is_201_and_update_is_200_with_the_stored_resource(
    arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    created = await put(arm, STORAGE, {**STORAGE_BODY, "tags": {"a": "1"}}, STORAGE_API)
    updated = await put(arm, STORAGE, {**STORAGE_BODY, "tags": {"b": "2"}}, STORAGE_API)

    assert created.id == STORAGE
    assert created.type == "Microsoft.Storage/storageAccounts"
    assert created.kind == "StorageV2"
    assert created.properties["provisioningState"] == "Succeeded"
    assert updated.tags == {"b": "2"}
    assert (await arm.resources.get_by_id(STORAGE, api_version=STORAGE_API)).tags == {"b": "2"}
    puts = [entry.status for entry in control.requests_log() if entry.operation == "StorageAccounts_Create"]
    assert puts == [201, 200]


async def test_nested_types_need_their_parent_and_list_with_filters(arm: ResourceManagementClient) -> None:
    with pytest.raises(ResourceNotFoundError) as orphan:
        await put(arm, SQL_DB, {"location": "westeurope"}, SQL_API)
    await put(arm, SQL_SERVER, {"location": "westeurope"}, SQL_API)
    await put(arm, SQL_DB, {"location": "westeurope"}, SQL_API)
    await put(arm, STORAGE, STORAGE_BODY, STORAGE_API)
    await put(arm, SITE, {"location": "westeurope", "kind": "functionapp"}, "2023-01-01")

    everything = sorted([str(r.id) async for r in arm.resources.list_by_resource_group("rg-r")])
    storage = [
        r.name
        async for r in arm.resources.list_by_resource_group(
            "rg-r", filter="resourceType eq 'microsoft.storage/storageaccounts'"
        )
    ]
    in_group = [
        r.type
        async for r in arm.resources.list(
            filter="resourceGroup eq 'RG-R' and resourceType eq 'Microsoft.Sql/servers/databases'"
        )
    ]

    assert orphan.value.error is not None
    assert orphan.value.error.code == "ParentResourceNotFound"
    assert orphan.value.error.message == (
        "Can not perform requested operation on nested resource. Parent resource 'sql1' not found."
    )
    assert everything == sorted([STORAGE, SQL_SERVER, SQL_DB, SITE])
    assert storage == ["sa1"]
    assert in_group == ["Microsoft.Sql/servers/databases"]


async def test_deleting_a_parent_deletes_what_is_nested_in_it(arm: ResourceManagementClient) -> None:
    await put(arm, SQL_SERVER, {"location": "westeurope"}, SQL_API)
    await put(arm, SQL_DB, {"location": "westeurope"}, SQL_API)

    await (await arm.resources.begin_delete_by_id(SQL_SERVER, api_version=SQL_API)).result()

    assert [r.id async for r in arm.resources.list_by_resource_group("rg-r")] == []


async def test_list_expand_adds_provisioning_state(arm: ResourceManagementClient, control: EmulatorControl) -> None:
    control.seed(
        [
            SeedSubscription(
                SUB,
                resource_groups=[SeedResourceGroup("rg-r", resources=[SeedResource("Microsoft.Web/sites", "app1")])],
            )
        ]
    )

    [resource] = [r async for r in arm.resources.list_by_resource_group("rg-r", expand="provisioningState,createdTime")]

    assert resource.provisioning_state == "Succeeded"
    assert resource.created_time is not None


def test_seeding_refuses_a_type_no_provider_declares(control: EmulatorControl) -> None:
    seed = SeedSubscription(
        SUB, resource_groups=[SeedResourceGroup("rg-x", resources=[SeedResource("Microsoft.Foo/bars", "b")])]
    )

    with pytest.raises(EmulatorControlError) as raised:
        control.seed([seed])

    assert (raised.value.status, raised.value.message) == (
        400,
        "the resource type 'Microsoft.Foo/bars' is not declared by any provider",
    )
    [subscription] = [s for s in control.state()["subscriptions"] if s["subscriptionId"] == SUB]
    assert [g["name"] for g in subscription["resourceGroups"]] == ["rg-r"]


async def test_delete_is_200_then_204_and_the_resource_is_gone(
    arm: ResourceManagementClient, emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str
) -> None:
    await put(arm, STORAGE, STORAGE_BODY, STORAGE_API)
    url = f"{emulator.url}{STORAGE}?api-version={STORAGE_API}"
    headers = {"Authorization": f"Bearer {token}"}

    async with http.delete(url, headers=headers) as first, http.delete(url, headers=headers) as second:
        statuses = (first.status, second.status)

    assert statuses == (200, 204)
    assert await arm.resources.check_existence_by_id(STORAGE, api_version=STORAGE_API) is False


async def test_patch_merges_properties_and_keeps_read_only_ones(arm: ResourceManagementClient) -> None:
    await put(arm, STORAGE, {**STORAGE_BODY, "properties": {"isHnsEnabled": True}}, STORAGE_API)

    patched = await (
        await arm.resources.begin_update_by_id(
            STORAGE,
            {"tags": {"t": "1"}, "properties": {"minimumTlsVersion": "TLS1_2", "primaryEndpoints": {"blob": "x"}}},
            api_version=STORAGE_API,
        )
    ).result()

    assert patched.tags == {"t": "1"}
    assert patched.properties is not None
    assert patched.properties["isHnsEnabled"] is True
    assert patched.properties["minimumTlsVersion"] == "TLS1_2"
    assert patched.properties["primaryEndpoints"]["blob"] == "https://sa1.blob.core.windows.net/"


async def test_location_is_required_and_cannot_change(arm: ResourceManagementClient) -> None:
    with pytest.raises(HttpResponseError) as missing:
        await put(arm, STORAGE, {key: value for key, value in STORAGE_BODY.items() if key != "location"}, STORAGE_API)
    await put(arm, STORAGE, STORAGE_BODY, STORAGE_API)
    with pytest.raises(HttpResponseError) as moved:
        await put(arm, STORAGE, {**STORAGE_BODY, "location": "eastus"}, STORAGE_API)

    assert missing.value.status_code == 400
    assert missing.value.error is not None
    assert (missing.value.error.code, missing.value.error.message) == (
        "LocationRequired",
        "The location property is required for this definition.",
    )
    assert moved.value.status_code == 409
    assert moved.value.error is not None
    assert moved.value.error.code == "InvalidResourceLocation"


async def test_collections_list_the_type_in_a_group_and_a_subscription(
    arm: ResourceManagementClient,
    emulator: EmulatorEndpoints,
    http: aiohttp.ClientSession,
    token: str,
    control: EmulatorControl,
) -> None:
    control.seed_groups(SUB, {"rg-other": {}})
    await put(arm, STORAGE, STORAGE_BODY, STORAGE_API)
    await put(arm, STORAGE.replace("rg-r", "rg-other").replace("sa1", "sa2"), STORAGE_BODY, STORAGE_API)
    await put(arm, SITE, {"location": "westeurope"}, "2023-01-01")
    control.clear_requests()
    headers = {"Authorization": f"Bearer {token}"}

    async with http.get(
        f"{emulator.url}{GROUP}/providers/Microsoft.Storage/storageAccounts?api-version={STORAGE_API}", headers=headers
    ) as in_group:
        group_names = [item["name"] for item in (await in_group.json())["value"]]
    async with http.get(
        f"{emulator.url}/subscriptions/{SUB}/providers/Microsoft.Storage/storageAccounts?api-version={STORAGE_API}",
        headers=headers,
    ) as in_subscription:
        subscription_names = sorted(item["name"] for item in (await in_subscription.json())["value"])

    assert (in_group.status, group_names) == (200, ["sa1"])
    assert (in_subscription.status, subscription_names) == (200, ["sa1", "sa2"])
    assert [entry.operation for entry in control.requests_log()] == [
        "StorageAccounts_ListByResourceGroup",
        "StorageAccounts_List",
    ]


async def test_missing_resource_and_missing_group_have_their_codes(arm: ResourceManagementClient) -> None:
    with pytest.raises(ResourceNotFoundError) as missing_resource:
        await arm.resources.get_by_id(STORAGE, api_version=STORAGE_API)
    with pytest.raises(ResourceNotFoundError) as missing_group:
        await arm.resources.get_by_id(STORAGE.replace("rg-r", "rg-gone"), api_version=STORAGE_API)

    assert missing_resource.value.error is not None
    assert missing_resource.value.error.code == "ResourceNotFound"
    assert missing_group.value.error is not None
    assert missing_group.value.error.code == "ResourceGroupNotFound"
