"""Collections through ``PurviewAccountClient``: Purview's create quirks, names, parents, deletes, lists."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.purview.administration.account.aio import PurviewAccountClient
from azure.purview.scanning.aio import PurviewScanningClient

from emulator.client import EmulatorControl
from tests.emulator.purview.conftest import ROOT, adls_source, code, ready_collection, status_and_code


async def test_the_root_collection_is_named_after_the_account(accounts: PurviewAccountClient) -> None:
    root = await accounts.collections.get_collection(ROOT)

    assert (root["name"], root["description"], root["collectionProvisioningState"]) == (
        ROOT,
        "The root collection.",
        "Succeeded",
    )
    assert "parentCollection" not in root


async def test_put_answers_200_with_creating_then_a_get_still_creating_then_succeeded(
    accounts: PurviewAccountClient,
) -> None:
    created = await accounts.collections.create_or_update_collection(
        "sales", {"friendlyName": "Sales", "parentCollection": {"referenceName": ROOT}}
    )
    first = await accounts.collections.get_collection("sales")
    second = await accounts.collections.get_collection("sales")

    assert created["collectionProvisioningState"] == "Creating"
    assert first["collectionProvisioningState"] == "Creating"
    assert second["collectionProvisioningState"] == "Succeeded"
    assert created["parentCollection"] == {"type": "CollectionReference", "referenceName": ROOT}
    assert created["friendlyName"] == "Sales"


async def test_the_number_of_creating_gets_is_a_setting(
    accounts: PurviewAccountClient, control: EmulatorControl
) -> None:
    control.set_purview_creating_gets(3)
    await accounts.collections.create_or_update_collection("slow", {"parentCollection": {"referenceName": ROOT}})

    states = [(await accounts.collections.get_collection("slow"))["collectionProvisioningState"] for _ in range(4)]

    assert states == ["Creating", "Creating", "Creating", "Succeeded"]
    assert control.state()["settings"]["purviewCreatingGets"] == 3


async def test_zero_creating_gets_makes_a_put_succeed_at_once(
    accounts: PurviewAccountClient, control: EmulatorControl
) -> None:
    control.set_purview_creating_gets(0)

    created = await accounts.collections.create_or_update_collection(
        "fast", {"parentCollection": {"referenceName": ROOT}}
    )

    assert created["collectionProvisioningState"] == "Succeeded"


async def test_names_are_case_insensitive_and_answered_lower_cased(accounts: PurviewAccountClient) -> None:
    created = await accounts.collections.create_or_update_collection(
        "FinanceEU", {"parentCollection": {"referenceName": ROOT.upper()}}
    )
    again = await accounts.collections.get_collection("FINANCEeu")

    assert created["name"] == "financeeu"
    assert created["parentCollection"]["referenceName"] == ROOT
    assert again["name"] == "financeeu"


async def test_friendly_name_defaults_to_the_name(accounts: PurviewAccountClient) -> None:
    created = await accounts.collections.create_or_update_collection(
        "hr", {"parentCollection": {"referenceName": ROOT}}
    )

    assert created["friendlyName"] == "hr"


async def test_system_data_names_the_calling_identity(accounts: PurviewAccountClient, control: EmulatorControl) -> None:
    created = await accounts.collections.create_or_update_collection(
        "ops", {"parentCollection": {"referenceName": ROOT}}
    )

    principal = control.identity().principal_id
    system = created["systemData"]
    assert (system["createdBy"], system["createdByType"], system["lastModifiedBy"]) == (
        principal,
        "Application",
        principal,
    )
    assert system["createdAt"].endswith("Z")


async def test_an_update_keeps_what_it_does_not_name(accounts: PurviewAccountClient) -> None:
    await ready_collection(accounts, "mkt")

    updated = await accounts.collections.create_or_update_collection("mkt", {"friendlyName": "Marketing"})

    assert (updated["friendlyName"], updated["parentCollection"]["referenceName"]) == ("Marketing", ROOT)
    assert updated["collectionProvisioningState"] == "Succeeded"


async def test_a_missing_parent_is_400_parent_collection_not_found(accounts: PurviewAccountClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await accounts.collections.create_or_update_collection(
            "orphan", {"parentCollection": {"referenceName": "nope"}}
        )

    assert status_and_code(raised.value) == (400, "ParentCollectionNotFound")


async def test_a_new_collection_without_a_parent_is_400_invalid_parent_collection(
    accounts: PurviewAccountClient,
) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await accounts.collections.create_or_update_collection("floating", {"friendlyName": "Floating"})

    assert status_and_code(raised.value) == (400, "InvalidParentCollection")


async def test_a_parent_still_creating_cannot_receive_children(accounts: PurviewAccountClient) -> None:
    await accounts.collections.create_or_update_collection("domain", {"parentCollection": {"referenceName": ROOT}})

    with pytest.raises(HttpResponseError) as raised:
        await accounts.collections.create_or_update_collection(
            "product", {"parentCollection": {"referenceName": "domain"}}
        )

    assert status_and_code(raised.value) == (409, "CollectionNotReady")


async def test_an_invalid_name_is_400(accounts: PurviewAccountClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await accounts.collections.create_or_update_collection(
            "bad name!", {"parentCollection": {"referenceName": ROOT}}
        )

    assert status_and_code(raised.value) == (400, "InvalidCollectionName")


async def test_a_collection_cannot_move_under_its_own_descendant(accounts: PurviewAccountClient) -> None:
    await ready_collection(accounts, "top")
    await ready_collection(accounts, "below", parent="top")

    with pytest.raises(HttpResponseError) as raised:
        await accounts.collections.create_or_update_collection("top", {"parentCollection": {"referenceName": "below"}})

    assert status_and_code(raised.value) == (400, "InvalidParentCollection")


async def test_delete_answers_204_and_the_collection_is_gone(accounts: PurviewAccountClient) -> None:
    await ready_collection(accounts, "temp")

    assert await accounts.collections.delete_collection("TEMP") is None
    with pytest.raises(ResourceNotFoundError) as raised:
        await accounts.collections.get_collection("temp")
    assert code(raised.value) == "CollectionNotFound"


async def test_a_collection_with_children_cannot_be_deleted(accounts: PurviewAccountClient) -> None:
    await ready_collection(accounts, "parent")
    await accounts.collections.create_or_update_collection("child", {"parentCollection": {"referenceName": "parent"}})

    with pytest.raises(HttpResponseError) as raised:
        await accounts.collections.delete_collection("parent")

    assert status_and_code(raised.value) == (409, "CollectionHasChildren")


async def test_a_collection_holding_a_data_source_cannot_be_deleted(
    accounts: PurviewAccountClient, scanning: PurviewScanningClient
) -> None:
    await ready_collection(accounts, "lake")
    await scanning.data_sources.create_or_update("lake-adls", adls_source("lake"))

    with pytest.raises(HttpResponseError) as raised:
        await accounts.collections.delete_collection("lake")

    assert status_and_code(raised.value) == (409, "CollectionHasDataSources")


async def test_the_root_collection_cannot_be_deleted(accounts: PurviewAccountClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await accounts.collections.delete_collection(ROOT)

    assert status_and_code(raised.value) == (400, "CannotDeleteRootCollection")


async def test_list_pages_with_value_count_and_next_link(
    accounts: PurviewAccountClient, control: EmulatorControl
) -> None:
    control.set_purview_creating_gets(0)
    for name in ("c1", "c2", "c3", "c4"):
        await accounts.collections.create_or_update_collection(name, {"parentCollection": {"referenceName": ROOT}})
    control.set_page_size(2)
    control.clear_requests()

    names = [c["name"] async for c in accounts.collections.list_collections()]

    assert names == ["c1", "c2", "c3", "c4", ROOT]
    assert control.request_summary().by_operation["Collections_ListCollections"] == 3


async def test_child_collection_names_and_the_collection_path(accounts: PurviewAccountClient) -> None:
    await ready_collection(accounts, "domain")
    await ready_collection(accounts, "product", parent="domain")
    await accounts.collections.create_or_update_collection(
        "product2", {"friendlyName": "Second", "parentCollection": {"referenceName": "domain"}}
    )

    children = [c async for c in accounts.collections.list_child_collection_names("domain")]
    path = await accounts.collections.get_collection_path("product")

    assert children == [{"name": "product", "friendlyName": "product"}, {"name": "product2", "friendlyName": "Second"}]
    assert path == {"parentNames": [ROOT, "domain"], "parentFriendlyNames": [ROOT, "domain"]}


async def test_a_missing_collection_is_404_collection_not_found(accounts: PurviewAccountClient) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        await accounts.collections.get_collection_path("ghost")

    assert code(raised.value) == "CollectionNotFound"
