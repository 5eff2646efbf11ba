"""Tags at scope (``…/providers/Microsoft.Resources/tags/default``) through the official SDK."""

from __future__ import annotations

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import EmulatorControl, SeedResource, SeedResourceGroup, SeedSubscription
from emulator.process import EmulatorEndpoints
from tests.emulator.conftest import SUB

SCOPE = f"/subscriptions/{SUB}/resourceGroups/rg-t"


async def merge(arm: ResourceManagementClient, tags: dict[str, str], operation: str = "Merge") -> dict[str, str]:
    poller = await arm.tags.begin_update_at_scope(SCOPE, {"operation": operation, "properties": {"tags": tags}})
    result = await poller.result()
    assert result.properties is not None
    return dict(result.properties.tags or {})


@pytest.fixture
def tagged(control: EmulatorControl) -> None:
    control.seed_groups(SUB, {"rg-t": {"Owner": "alice", "team": "orders"}})


async def test_get_on_an_untagged_group_returns_empty_properties(
    control: EmulatorControl, emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str
) -> None:
    control.seed_groups(SUB, {"rg-t": {}})

    async with http.get(
        f"{emulator.url}{SCOPE}/providers/Microsoft.Resources/tags/default?api-version=2025-04-01",
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        body = await response.json()

    assert response.status == 200
    assert body == {
        "id": f"{SCOPE}/providers/Microsoft.Resources/tags/default",
        "name": "default",
        "type": "Microsoft.Resources/tags",
        "properties": {},
    }


@pytest.mark.usefixtures("tagged")
async def test_merge_keeps_other_tags_and_matches_names_case_insensitively(arm: ResourceManagementClient) -> None:
    result = await merge(arm, {"OWNER": "bob", "cost": "cc1"})

    assert result == {"Owner": "bob", "team": "orders", "cost": "cc1"}
    assert (await arm.resource_groups.get("rg-t")).tags == result


@pytest.mark.usefixtures("tagged")
async def test_replace_sets_the_whole_tag_set(arm: ResourceManagementClient) -> None:
    assert await merge(arm, {"only": "this"}, "Replace") == {"only": "this"}


@pytest.mark.usefixtures("tagged")
async def test_delete_removes_names_or_matching_pairs(arm: ResourceManagementClient) -> None:
    assert await merge(arm, {"TEAM": ""}, "Delete") == {"Owner": "alice"}
    assert await merge(arm, {"owner": "not-alice"}, "Delete") == {"Owner": "alice"}
    assert await merge(arm, {"owner": "alice"}, "Delete") == {}


@pytest.mark.usefixtures("tagged")
async def test_put_replaces_and_delete_clears(arm: ResourceManagementClient) -> None:
    poller = await arm.tags.begin_create_or_update_at_scope(SCOPE, {"properties": {"tags": {"x": "1"}}})
    put = await poller.result()
    assert put.properties is not None
    assert put.properties.tags == {"x": "1"}

    await (await arm.tags.begin_delete_at_scope(SCOPE)).result()

    fetched = await arm.tags.get_at_scope(SCOPE)
    assert fetched.properties is not None
    assert not fetched.properties.tags
    assert not (await arm.resource_groups.get("rg-t")).tags


@pytest.mark.usefixtures("tagged")
async def test_response_id_keeps_the_callers_casing(arm: ResourceManagementClient) -> None:
    scope = f"/SUBSCRIPTIONS/{SUB}/resourcegroups/RG-T"

    result = await (
        await arm.tags.begin_update_at_scope(scope, {"operation": "Merge", "properties": {"tags": {}}})
    ).result()

    assert result.id == f"{scope}/providers/Microsoft.Resources/tags/default"


@pytest.mark.usefixtures("tagged")
@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ({" ": "v"}, "InvalidTagName"),
        ({"n" * 513: "v"}, "InvalidTagName"),
        ({"k": "v" * 257}, "InvalidTagValueLength"),
        ({"a/b": "v"}, "InvalidTagNameCharacters"),
        ({f"t{i}": "v" for i in range(49)}, "InvalidTags"),
    ],
)
async def test_invalid_tags_are_refused_with_400(
    arm: ResourceManagementClient, tags: dict[str, str], code: str
) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await merge(arm, tags)

    assert raised.value.status_code == 400
    assert raised.value.error is not None
    assert raised.value.error.code == code
    assert (await arm.resource_groups.get("rg-t")).tags == {"Owner": "alice", "team": "orders"}


async def test_tags_on_a_resource_scope(arm: ResourceManagementClient, control: EmulatorControl) -> None:
    storage = SeedResource("Microsoft.Storage/storageAccounts", "sa1", tags={"a": "1"})
    control.seed([SeedSubscription(SUB, resource_groups=[SeedResourceGroup("rg-t", resources=[storage])])])
    scope = f"{SCOPE}/providers/Microsoft.Storage/storageAccounts/sa1"

    await (
        await arm.tags.begin_update_at_scope(scope, {"operation": "Merge", "properties": {"tags": {"b": "2"}}})
    ).result()

    resource = await arm.resources.get_by_id(scope, api_version="2023-01-01")
    assert resource.tags == {"a": "1", "b": "2"}
