"""The postprovision hook adds the app's identity to Purview's collection roles, and only adds."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.scripts.purview_roles import (
    APP_ROLES,
    COLLECTION_ADMIN,
    DATA_CURATOR,
    DATA_SOURCE_ADMIN,
    main,
    root_collection,
    with_principal,
)

APP = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
ADMIN = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
ACCOUNT_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Purview/accounts/contoso-purview"


def role_rule(role: str, collection: str, members: list[str]) -> dict[str, Any]:
    return {
        "kind": "attributerule",
        "id": f"{role}:{collection}",
        "name": f"{role}:{collection}",
        "dnfCondition": [
            [
                {"attributeName": "principal.microsoft.id", "attributeValueIncludedIn": members},
                {"fromRule": role, "attributeName": "derived.purview.role", "attributeValueIncludes": role},
            ]
        ],
    }


def root_policy() -> dict[str, Any]:
    return {
        "id": "p1",
        "name": "policy_contoso-purview",
        "version": 3,
        "properties": {
            "collection": {"type": "CollectionReference", "referenceName": "contoso-purview"},
            "attributeRules": [
                role_rule(COLLECTION_ADMIN, "contoso-purview", [ADMIN]),
                role_rule(DATA_CURATOR, "contoso-purview", [ADMIN]),
                {"kind": "attributerule", "id": "permission:contoso-purview", "dnfCondition": []},
            ],
        },
    }


def members(policy: dict[str, Any], role: str) -> list[str]:
    rule = next(r for r in policy["properties"]["attributeRules"] if r["id"] == f"{role}:contoso-purview")
    clause = next(c for c in rule["dnfCondition"] if c[0]["attributeName"] == "principal.microsoft.id")
    found: list[str] = clause[0]["attributeValueIncludedIn"]
    return found


def test_app_gets_collection_admin_data_source_admin_and_data_curator() -> None:
    assert APP_ROLES == (
        "purviewmetadatarole_builtin_collection-administrator",
        "purviewmetadatarole_builtin_data-source-administrator",
        "purviewmetadatarole_builtin_data-curator",
    )


def test_app_is_added_next_to_existing_members() -> None:
    updated = with_principal(root_policy(), "contoso-purview", APP)

    assert updated is not None
    assert members(updated, COLLECTION_ADMIN) == [ADMIN, APP]
    assert members(updated, DATA_CURATOR) == [ADMIN, APP]
    assert members(updated, DATA_SOURCE_ADMIN) == [APP]


def test_a_missing_role_rule_is_created_and_referenced_by_the_permission_rule() -> None:
    updated = with_principal(root_policy(), "contoso-purview", APP)

    assert updated is not None
    permission = next(r for r in updated["properties"]["attributeRules"] if r["id"] == "permission:contoso-purview")
    assert permission["dnfCondition"] == [
        [
            {
                "fromRule": f"{DATA_SOURCE_ADMIN}:contoso-purview",
                "attributeName": "derived.purview.permission",
                "attributeValueIncludes": f"{DATA_SOURCE_ADMIN}:contoso-purview",
            }
        ]
    ]


def test_the_input_policy_is_left_unchanged() -> None:
    policy = root_policy()
    before = copy.deepcopy(policy)

    with_principal(policy, "contoso-purview", APP)

    assert policy == before


def test_nothing_to_do_once_the_app_holds_its_roles() -> None:
    updated = with_principal(root_policy(), "contoso-purview", APP)
    assert updated is not None

    assert with_principal(updated, "contoso-purview", APP.upper()) is None


def test_policy_fields_other_than_the_rules_are_kept() -> None:
    updated = with_principal(root_policy(), "contoso-purview", APP)

    assert updated is not None
    assert (updated["id"], updated["version"]) == ("p1", 3)
    assert updated["properties"]["collection"] == {"type": "CollectionReference", "referenceName": "contoso-purview"}


def test_root_collection_is_the_configured_one_else_the_accounts() -> None:
    assert root_collection(ACCOUNT_ID, {"purviewRootCollection": "data-estate"}) == "data-estate"
    assert root_collection(ACCOUNT_ID, {"purviewRootCollection": None}) == "contoso-purview"


def test_hook_does_nothing_without_a_purview_account(capsys: pytest.CaptureFixture[str]) -> None:
    assert main({"DPGOV_PURVIEW_RESOURCE_ID": ""}) == 0
    assert "Purview aspect is off" in capsys.readouterr().out


def test_hook_fails_before_the_identity_exists() -> None:
    assert main({"DPGOV_PURVIEW_RESOURCE_ID": ACCOUNT_ID, "DPGOV_PURVIEW_ENDPOINT": ""}) == 1
