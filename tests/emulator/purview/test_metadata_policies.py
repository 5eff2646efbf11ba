"""Metadata policies and roles through ``PurviewMetadataPoliciesClient``: one policy per collection, versioned PUTs."""

from __future__ import annotations

import copy
from typing import Any

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.purview.administration.account.aio import PurviewAccountClient
from azure.purview.administration.metadatapolicies.aio import PurviewMetadataPoliciesClient

from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints
from tests.emulator.purview.conftest import ROOT, code, purview_url, ready_collection, status_and_code

ADMIN = "purviewmetadatarole_builtin_collection-administrator"
CURATOR = "purviewmetadatarole_builtin_data-curator"
SOMEONE = "2f656762-e440-4b62-9eb6-a991d17d64b0"


async def _policy(policies: PurviewMetadataPoliciesClient, collection: str) -> dict[str, Any]:
    [policy] = [p async for p in policies.metadata_policy.list_all(collection_name=collection)]
    return dict(policy)


def _rule(policy: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(rule for rule in policy["properties"]["attributeRules"] if rule["id"] == rule_id)


async def test_the_root_policy_has_a_rule_for_each_collection_role(
    policies: PurviewMetadataPoliciesClient, control: EmulatorControl
) -> None:
    policy = await _policy(policies, ROOT)

    ids = [rule["id"] for rule in policy["properties"]["attributeRules"]]
    assert ids == [
        f"{ADMIN}:{ROOT}",
        f"purviewmetadatarole_builtin_data-source-administrator:{ROOT}",
        f"{CURATOR}:{ROOT}",
        f"purviewmetadatarole_builtin_purview-reader:{ROOT}",
        f"permission:{ROOT}",
    ]
    principals = _rule(policy, f"{ADMIN}:{ROOT}")["dnfCondition"][0][0]["attributeValueIncludedIn"]
    assert principals == [control.identity().principal_id]
    assert (policy["name"], policy["version"]) == (f"policy_{ROOT}", 0)


async def test_a_new_collection_gets_its_policy_with_the_creator_and_inheritance(
    policies: PurviewMetadataPoliciesClient, accounts: PurviewAccountClient, control: EmulatorControl
) -> None:
    await accounts.collections.create_or_update_collection("sales", {"parentCollection": {"referenceName": ROOT}})

    policy = await _policy(policies, "sales")

    admin = _rule(policy, f"{ADMIN}:sales")
    permission = _rule(policy, "permission:sales")
    assert policy["name"] == "policy_sales"
    assert policy["properties"]["parentCollectionName"] == ROOT
    assert [rule["id"] for rule in policy["properties"]["attributeRules"]] == [f"{ADMIN}:sales", "permission:sales"]
    assert admin["dnfCondition"][0][0] == {
        "attributeName": "principal.microsoft.id",
        "attributeValueIncludedIn": [control.identity().principal_id],
    }
    assert admin["dnfCondition"][1] == [
        {
            "fromRule": f"{ADMIN}:{ROOT}",
            "attributeName": "derived.purview.permission",
            "attributeValueIncludes": f"{ADMIN}:{ROOT}",
        }
    ]
    assert permission["dnfCondition"][1][0]["fromRule"] == f"permission:{ROOT}"


async def test_lists_answer_under_values(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, purview_token: str
) -> None:
    async with http.get(
        f"{purview_url(emulator)}/policyStore/metadataPolicies?api-version=2021-07-01-preview",
        headers={"Authorization": f"Bearer {purview_token}"},
    ) as response:
        body = await response.json()

    assert response.status == 200
    assert set(body) == {"values"}
    assert [policy["name"] for policy in body["values"]] == [f"policy_{ROOT}"]


async def test_metadata_roles_list_the_built_in_roles(policies: PurviewMetadataPoliciesClient) -> None:
    roles = [role async for role in policies.metadata_roles.list()]

    assert [role["name"] for role in roles] == [
        "collection-administrator",
        "data-source-administrator",
        "data-curator",
        "purview-reader",
        "data-share-contributor",
    ]
    curator = roles[2]
    assert curator["id"] == CURATOR
    assert curator["properties"]["cnfCondition"][0][0]["attributeValueIncludedIn"] == [
        "Microsoft.Purview/accounts/data/read",
        "Microsoft.Purview/accounts/data/write",
        "Microsoft.Purview/accounts/collection/read",
    ]


def _grant_curator(policy: dict[str, Any], collection: str, principal: str) -> dict[str, Any]:
    """What a caller does to grant Data Curator on a fresh child policy: a new rule plus its permission clause."""
    granted = copy.deepcopy(policy)
    rule_id = f"{CURATOR}:{collection}"
    granted["properties"]["attributeRules"].insert(
        0,
        {
            "kind": "attributerule",
            "id": rule_id,
            "name": rule_id,
            "dnfCondition": [
                [
                    {"attributeName": "principal.microsoft.id", "attributeValueIncludedIn": [principal]},
                    {"fromRule": CURATOR, "attributeName": "derived.purview.role", "attributeValueIncludes": CURATOR},
                ]
            ],
            "futureField": {"kept": True},
        },
    )
    _rule(granted, f"permission:{collection}")["dnfCondition"].append(
        [{"fromRule": rule_id, "attributeName": "derived.purview.permission", "attributeValueIncludes": rule_id}]
    )
    return granted


async def test_a_put_replaces_the_document_keeps_unknown_fields_and_increments_the_version(
    policies: PurviewMetadataPoliciesClient, accounts: PurviewAccountClient
) -> None:
    await ready_collection(accounts, "sales")
    policy = await _policy(policies, "sales")

    updated = await policies.metadata_policy.update(policy["id"], body=_grant_curator(policy, "sales", SOMEONE))
    again = await policies.metadata_policy.get(policy["id"])

    assert updated["version"] == 1
    assert again == updated
    assert _rule(again, f"{CURATOR}:sales")["futureField"] == {"kept": True}
    assert _rule(again, f"{CURATOR}:sales")["dnfCondition"][0][1]["fromRule"] == CURATOR


async def test_a_put_based_on_a_stale_version_is_409(
    policies: PurviewMetadataPoliciesClient, accounts: PurviewAccountClient
) -> None:
    await ready_collection(accounts, "sales")
    stale = await _policy(policies, "sales")
    await policies.metadata_policy.update(stale["id"], body=_grant_curator(stale, "sales", SOMEONE))

    with pytest.raises(HttpResponseError) as raised:
        await policies.metadata_policy.update(stale["id"], body=stale)

    assert status_and_code(raised.value) == (409, "PolicyVersionConflict")
    assert (await policies.metadata_policy.get(stale["id"]))["version"] == 1


@pytest.mark.parametrize(
    "break_it",
    ["unknown-role", "other-collection", "principal-not-guid", "role-clause"],
)
async def test_a_policy_purview_would_refuse_is_400(
    policies: PurviewMetadataPoliciesClient, accounts: PurviewAccountClient, break_it: str
) -> None:
    await ready_collection(accounts, "sales")
    policy = _grant_curator(await _policy(policies, "sales"), "sales", SOMEONE)
    rule = policy["properties"]["attributeRules"][0]
    if break_it == "unknown-role":
        rule["id"] = "purviewmetadatarole_builtin_superuser:sales"
    elif break_it == "other-collection":
        policy["properties"]["collection"]["referenceName"] = ROOT
    elif break_it == "principal-not-guid":
        rule["dnfCondition"][0][0]["attributeValueIncludedIn"] = ["alice@example.com"]
    else:
        rule["dnfCondition"][0][1]["attributeValueIncludes"] = "purviewmetadatarole_builtin_owner"

    with pytest.raises(HttpResponseError) as raised:
        await policies.metadata_policy.update(policy["id"], body=policy)

    assert status_and_code(raised.value) == (400, "InvalidMetadataPolicy")


async def test_the_ga_route_reads_a_collections_policy(
    emulator: EmulatorEndpoints,
    accounts: PurviewAccountClient,
    http: aiohttp.ClientSession,
    purview_token: str,
) -> None:
    await ready_collection(accounts, "sales")

    async with http.get(
        f"{purview_url(emulator)}/policystore/collections/sales/metadataPolicy?api-version=2021-07-01",
        headers={"Authorization": f"Bearer {purview_token}"},
    ) as response:
        body = await response.json()

    assert (response.status, body["name"]) == (200, "policy_sales")


async def test_a_deleted_collection_takes_its_policy_along(
    policies: PurviewMetadataPoliciesClient, accounts: PurviewAccountClient
) -> None:
    await ready_collection(accounts, "temp")
    policy = await _policy(policies, "temp")
    await accounts.collections.delete_collection("temp")

    with pytest.raises(ResourceNotFoundError) as raised:
        await policies.metadata_policy.get(policy["id"])

    assert code(raised.value) == "PolicyNotFound"


async def test_listing_the_policy_of_a_missing_collection_is_404(policies: PurviewMetadataPoliciesClient) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        await _policy(policies, "ghost")

    assert code(raised.value) == "CollectionNotFound"
