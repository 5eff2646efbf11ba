"""Generic resources in a group through the official SDK: create/update, get, list, filter, delete."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import EmulatorControl, SeedResource, SeedResourceGroup, SeedSubscription
from tests.emulator.conftest import SUB

GROUP = f"/subscriptions/{SUB}/resourceGroups/rg-r"
STORAGE = f"{GROUP}/providers/Microsoft.Storage/storageAccounts/sa1"
SQL_DB = f"{GROUP}/providers/Microsoft.Sql/servers/sql1/databases/db1"


@pytest.fixture(autouse=True)
def group(control: EmulatorControl) -> None:
    control.seed_groups(SUB, {"rg-r": {}})


async def test_create_then_update_by_id_returns_the_stored_resource(arm: ResourceManagementClient) -> None:
    body = {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "tags": {"a": "1"}}

    created = await (await arm.resources.begin_create_or_update_by_id(STORAGE, body, api_version="2023-01-01")).result()
    updated = await (
        await arm.resources.begin_create_or_update_by_id(
            STORAGE, {**body, "tags": {"b": "2"}}, api_version="2023-01-01"
        )
    ).result()

    assert created.id == STORAGE
    assert created.type == "Microsoft.Storage/storageAccounts"
    assert created.kind == "StorageV2"
    assert created.properties == {"provisioningState": "Succeeded"}
    assert updated.tags == {"b": "2"}
    assert (await arm.resources.get_by_id(STORAGE, api_version="2023-01-01")).tags == {"b": "2"}


async def test_nested_types_and_listing_with_filters(arm: ResourceManagementClient) -> None:
    for resource_id in (STORAGE, SQL_DB, f"{GROUP}/providers/Microsoft.Web/sites/app1"):
        await (
            await arm.resources.begin_create_or_update_by_id(
                resource_id, {"location": "westeurope"}, api_version="2023-01-01"
            )
        ).result()

    everything = [r.id async for r in arm.resources.list_by_resource_group("rg-r")]
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

    assert len(everything) == 3
    assert storage == ["sa1"]
    assert in_group == ["Microsoft.Sql/servers/databases"]


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


async def test_delete_by_id_removes_the_resource(arm: ResourceManagementClient) -> None:
    await (
        await arm.resources.begin_create_or_update_by_id(STORAGE, {"location": "westeurope"}, api_version="2023-01-01")
    ).result()

    await (await arm.resources.begin_delete_by_id(STORAGE, api_version="2023-01-01")).result()

    assert await arm.resources.check_existence_by_id(STORAGE, api_version="2023-01-01") is False


async def test_missing_resource_and_missing_group_have_their_codes(arm: ResourceManagementClient) -> None:
    with pytest.raises(ResourceNotFoundError) as missing_resource:
        await arm.resources.get_by_id(STORAGE, api_version="2023-01-01")
    with pytest.raises(ResourceNotFoundError) as missing_group:
        await arm.resources.get_by_id(STORAGE.replace("rg-r", "rg-gone"), api_version="2023-01-01")

    assert missing_resource.value.error is not None
    assert missing_resource.value.error.code == "ResourceNotFound"
    assert missing_group.value.error is not None
    assert missing_group.value.error.code == "ResourceGroupNotFound"
