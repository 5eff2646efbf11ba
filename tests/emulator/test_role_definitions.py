"""Built-in role definitions through azure-mgmt-authorization: ids, filters, paging, unknown roles."""

from __future__ import annotations

import aiohttp
import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.authorization.aio import AuthorizationManagementClient

from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints
from tests.emulator.access_support import (
    AZUREML_DATA_SCIENTIST,
    READER,
    STORAGE_BLOB_DATA_READER,
    SUB_SCOPE,
    failure,
    group_scope,
    message,
    refusal,
    role_id,
)
from tests.emulator.conftest import SUB

BUILTIN_NAMES = {
    "Reader",
    "Contributor",
    "Owner",
    "User Access Administrator",
    "Role Based Access Control Administrator",
    "AzureML Data Scientist",
    "Storage Blob Data Reader",
    "Storage Blob Data Contributor",
    "Tag Contributor",
    "Resource Policy Contributor",
    "Monitoring Reader",
    "Log Analytics Reader",
    "Key Vault Secrets User",
    "Data Factory Contributor",
}


async def test_a_builtin_role_read_under_a_subscription_has_a_subscription_prefixed_id(
    authorization: AuthorizationManagementClient,
) -> None:
    role = await authorization.role_definitions.get(SUB_SCOPE, READER)

    assert role.id == role_id(READER)
    assert role.name == READER
    assert role.role_name == "Reader"
    assert role.role_type == "BuiltInRole"
    assert role.assignable_scopes == ["/"]
    assert [p.actions for p in role.permissions or []] == [["*/read"]]


async def test_a_builtin_role_read_at_the_tenant_has_its_tenant_id(
    authorization: AuthorizationManagementClient,
) -> None:
    role = await authorization.role_definitions.get("/", AZUREML_DATA_SCIENTIST)

    assert role.id == role_id(AZUREML_DATA_SCIENTIST, None)
    assert role.role_name == "AzureML Data Scientist"


async def test_roles_filtered_by_name_return_exactly_that_role(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    control.seed_groups(SUB, {"rg-r": {}})

    found = [
        role
        async for role in authorization.role_definitions.list(
            group_scope("rg-r"), filter="roleName eq 'Storage Blob Data Reader'"
        )
    ]

    assert [(role.id, role.role_name) for role in found] == [
        (role_id(STORAGE_BLOB_DATA_READER), "Storage Blob Data Reader")
    ]
    assert [entry.query["$filter"] for entry in control.requests_log() if entry.request_class == "read"] == [
        "roleName eq 'Storage Blob Data Reader'"
    ]


async def test_a_role_name_nobody_defined_lists_nothing(authorization: AuthorizationManagementClient) -> None:
    found = [role async for role in authorization.role_definitions.list(SUB_SCOPE, filter="roleName eq 'Nobody'")]

    assert found == []


async def test_builtin_roles_page_through_every_role(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    control.set_page_size(5)

    found = [role async for role in authorization.role_definitions.list(SUB_SCOPE, filter="type eq 'BuiltInRole'")]

    assert {role.role_name for role in found} == BUILTIN_NAMES
    assert len(found) == len(BUILTIN_NAMES)
    assert [entry.status for entry in control.requests_log() if entry.request_class == "read"] == [200, 200, 200]
    assert [role async for role in authorization.role_definitions.list(SUB_SCOPE, filter="type eq 'CustomRole'")] == []


async def test_an_unknown_role_definition_is_404_role_definition_does_not_exist(
    authorization: AuthorizationManagementClient,
) -> None:
    missing = "00000000-0000-4000-8000-000000000001"

    error = await refusal(authorization.role_definitions.get(SUB_SCOPE, missing))

    assert isinstance(error, ResourceNotFoundError)
    assert failure(error) == (404, "RoleDefinitionDoesNotExist")
    assert message(error) == f"The specified role definition with ID '{missing}' does not exist."


async def test_an_unsupported_role_filter_is_400(authorization: AuthorizationManagementClient) -> None:
    error = await refusal(anext(authorization.role_definitions.list(SUB_SCOPE, filter="startswith(roleName,'R')")))

    assert failure(error) == (400, "InvalidFilterInQueryString")


@pytest.mark.parametrize(
    "case",
    [
        (f"{SUB_SCOPE}/providers/Microsoft.Authorization/roleDefinitions", "2019-01-01", "roleDefinitions"),
        (f"{SUB_SCOPE}/providers/Microsoft.Authorization/policyAssignments", "2014-01-01", "policyAssignments"),
        (
            f"{SUB_SCOPE}/resourceGroups/rg-r/providers/Microsoft.PolicyInsights/remediations",
            "2020-01-01",
            "remediations",
        ),
    ],
)
async def test_an_api_version_a_type_does_not_serve_is_no_registered_provider_found(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str, case: tuple[str, str, str]
) -> None:
    path, api_version, resource_type = case
    url = f"{emulator.url}{path}?api-version={api_version}"

    async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"]["code"] == "NoRegisteredProviderFound"
    assert f"API version '{api_version}' for type '{resource_type}'" in body["error"]["message"]
