"""Constants and helpers shared by the RBAC, Policy and PolicyInsights emulator tests."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from emulator.client import EmulatorControl, LoggedRequest
from tests.emulator.conftest import OTHER_SUB, SUB

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
AZUREML_DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"

ALLOWED_LOCATIONS = "e56962a6-4747-49cd-b67b-bf8b01975c4c"
REQUIRE_TAG = "871b6d14-10aa-478d-b590-94f262ecfa99"
INHERIT_TAG = "cd3aa116-8754-49c9-a813-ad46512ece54"
SECURE_TRANSFER = "404c3081-a854-4457-ae30-26a93ef643f9"
REQUIRE_GROUP_TAG = "96670d01-0a4d-4649-9c89-2d3abc0a5025"

GROUP_PRINCIPAL = "33333333-3333-4333-8333-333333333333"
USER_PRINCIPAL = "44444444-4444-4444-8444-444444444444"
APP_PRINCIPAL = "55555555-5555-4555-8555-555555555555"
UNKNOWN_PRINCIPAL = "66666666-6666-4666-8666-666666666666"

NAME_1 = "0f8fad5b-d9cb-469f-a165-70867728950e"
NAME_2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
NAME_3 = "a3bb189e-8bf9-3888-9912-ace4e6543002"

SUB_SCOPE = f"/subscriptions/{SUB}"
OTHER_SUB_SCOPE = f"/subscriptions/{OTHER_SUB}"
MG = "mg-contoso-data"
MG_SCOPE = f"/providers/Microsoft.Management/managementGroups/{MG}"


def group_scope(group: str, subscription: str = SUB) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}"


def role_id(guid: str, subscription: str | None = SUB) -> str:
    prefix = f"/subscriptions/{subscription}" if subscription else ""
    return f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def builtin_policy(name: str) -> str:
    return f"/providers/Microsoft.Authorization/policyDefinitions/{name}"


def failure(error: HttpResponseError) -> tuple[int | None, str | None]:
    """An SDK error's HTTP status and ARM error code."""
    return error.status_code, error.error.code if error.error is not None else None


async def refusal(call: Awaitable[Any]) -> HttpResponseError:
    """The ARM error an SDK call raises."""
    with pytest.raises(HttpResponseError) as raised:
        await call
    return raised.value


def message(error: HttpResponseError) -> str:
    assert error.error is not None
    return str(error.error.message)


def statuses(control: EmulatorControl, method: str, needle: str) -> list[int]:
    """The statuses ARM answered to ``method`` requests whose path contains ``needle`` (case-insensitive)."""
    return [entry.status for entry in writes(control, method, needle)]


def writes(control: EmulatorControl, method: str, needle: str) -> list[LoggedRequest]:
    return [
        entry
        for entry in control.requests_log()
        if entry.method == method and needle.casefold() in entry.path.casefold()
    ]


def add_principals(control: EmulatorControl) -> None:
    """The example config's principals: a group, a user (member of the group) and a service principal."""
    control.add_principal(GROUP_PRINCIPAL, principal_type="Group", display_name="data scientists")
    control.add_principal(
        USER_PRINCIPAL, principal_type="User", display_name="report author", member_of=[GROUP_PRINCIPAL]
    )
    control.add_principal(APP_PRINCIPAL, principal_type="ServicePrincipal", display_name="power bi gateway")


def baseline_initiative(**overrides: Any) -> dict[str, Any]:
    """The example config's sales initiative: allowed locations, require a tag, inherit it (modify)."""
    body: dict[str, Any] = {
        "properties": {
            "displayName": "Sales data products baseline",
            "parameters": {
                "allowedLocations": {"type": "Array"},
                "costCenterTag": {"type": "String", "defaultValue": "CostCenter"},
            },
            "policyDefinitions": [
                {
                    "policyDefinitionReferenceId": "allowed-locations",
                    "policyDefinitionId": builtin_policy(ALLOWED_LOCATIONS),
                    "parameters": {"listOfAllowedLocations": {"value": "[parameters('allowedLocations')]"}},
                },
                {
                    "policyDefinitionReferenceId": "require-cost-center",
                    "policyDefinitionId": builtin_policy(REQUIRE_TAG),
                    "parameters": {"tagName": {"value": "[parameters('costCenterTag')]"}},
                },
                {
                    "policyDefinitionReferenceId": "inherit-cost-center",
                    "policyDefinitionId": builtin_policy(INHERIT_TAG),
                    "parameters": {"tagName": {"value": "[parameters('costCenterTag')]"}},
                },
            ],
        }
    }
    body["properties"].update(overrides)
    return body


def custom_definition(rule_effect: str = "[parameters('effect')]", **parameters: Any) -> dict[str, Any]:
    """A custom definition whose effect is a parameter (default Audit, or modify with Contributor)."""
    declared = parameters or {
        "effect": {"type": "String", "defaultValue": "Audit", "allowedValues": ["Audit", "Modify", "Disabled"]}
    }
    return {
        "properties": {
            "displayName": "Cost centre on storage",
            "mode": "Indexed",
            "parameters": declared,
            "policyRule": {
                "if": {"field": "type", "equals": "Microsoft.Storage/storageAccounts"},
                "then": {
                    "effect": rule_effect,
                    "details": {
                        "roleDefinitionIds": [f"/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"],
                        "operations": [{"operation": "addOrReplace", "field": "tags['CostCenter']", "value": "x"}],
                    },
                },
            },
        }
    }
