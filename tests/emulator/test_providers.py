"""The provider registry: what ARM refuses is refused, and each declared type keeps its provider's rules."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.arm.paths import ArmTarget, Scope
from emulator.arm.providers import PROVIDERS, build_registry, storage
from emulator.arm.registry import ProviderRegistry, ResourceProvider, ResourceType
from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints
from tests.emulator.conftest import SUB

GROUP = f"/subscriptions/{SUB}/resourceGroups/rg-p"
ROLE_ASSIGNMENT = f"{GROUP}/providers/Microsoft.Authorization/roleAssignments/0f8fad5b-d9cb-469f-a165-70867728950e"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


@pytest.fixture(autouse=True)
def group(control: EmulatorControl) -> None:
    control.seed_groups(SUB, {"rg-p": {}})


async def put(arm: ResourceManagementClient, resource_id: str, body: dict[str, Any], api_version: str) -> Any:
    return await (await arm.resources.begin_create_or_update_by_id(resource_id, body, api_version=api_version)).result()


async def refused(
    arm: ResourceManagementClient, resource_id: str, body: dict[str, Any], api_version: str
) -> HttpResponseError:
    with pytest.raises(HttpResponseError) as raised:
        await put(arm, resource_id, body, api_version)
    return raised.value


def code_of(error: HttpResponseError) -> tuple[int | None, str | None]:
    return error.status_code, error.error.code if error.error is not None else None


# -- what no provider declares -------------------------------------------------------------------


async def test_an_unknown_namespace_is_400_invalid_resource_type(
    arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    error = await refused(arm, f"{GROUP}/providers/Microsoft.Foo/bars/b1", {"location": "westeurope"}, "2023-01-01")

    assert code_of(error) == (400, "InvalidResourceType")
    assert error.error is not None
    assert (
        error.error.message
        == "The resource type could not be found in the namespace 'Microsoft.Foo' for api version '2023-01-01'."
    )
    assert control.deliveries() == []
    assert [entry.operation for entry in control.requests_log() if entry.method == "PUT"] == ["Unknown_CreateOrUpdate"]


async def test_a_role_assignment_at_an_api_version_authorization_does_not_serve_is_no_registered_provider(
    arm: ResourceManagementClient,
) -> None:
    body = {
        "properties": {
            "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
            "principalId": "0f8fad5b-d9cb-469f-a165-70867728950e",
        }
    }

    error = await refused(arm, ROLE_ASSIGNMENT, body, "2021-01-01")

    assert code_of(error) == (400, "NoRegisteredProviderFound")
    assert error.error is not None
    assert "for type 'roleAssignments'" in str(error.error.message)
    assert "'2015-07-01, 2017-10-01-preview" in str(error.error.message)


async def test_an_unknown_type_in_a_known_namespace_is_invalid_resource_type(arm: ResourceManagementClient) -> None:
    error = await refused(
        arm, f"{GROUP}/providers/Microsoft.Storage/tapes/t1", {"location": "westeurope"}, "2023-01-01"
    )

    assert code_of(error) == (400, "InvalidResourceType")


@pytest.mark.parametrize("namespace", ["Storage", "Microsoft.Storage!", "Microsoft..Storage"])
async def test_a_malformed_namespace_is_400_invalid_resource_namespace(
    arm: ResourceManagementClient, namespace: str
) -> None:
    error = await refused(
        arm, f"{GROUP}/providers/{namespace}/storageAccounts/sa1", {"location": "westeurope"}, "2023-01-01"
    )

    assert code_of(error) == (400, "InvalidResourceNamespace")
    assert error.error is not None
    assert error.error.message == f"The resource namespace '{namespace}' is invalid."


async def test_an_unsupported_api_version_is_no_registered_provider_found_listing_the_supported_ones(
    arm: ResourceManagementClient,
) -> None:
    body = {"location": "West Europe", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}

    error = await refused(arm, f"{GROUP}/providers/Microsoft.Storage/storageAccounts/sa1", body, "2030-01-01")

    assert code_of(error) == (400, "NoRegisteredProviderFound")
    assert error.error is not None
    assert (error.error.message or "").startswith(
        "No registered resource provider found for location 'westeurope' and API version '2030-01-01' for type "
        f"'storageAccounts'. The supported api-versions are '{', '.join(storage.API_VERSIONS)}'. The supported locations are '"
    )


async def test_arm_refuses_an_unknown_api_version_of_its_own_types_with_invalid_api_version_parameter(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str
) -> None:
    async with http.get(
        f"{emulator.url}/subscriptions/{SUB}/resourcegroups?api-version=2030-01-01",
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        body = await response.json()

    assert response.status == 400
    assert body["error"]["code"] == "InvalidApiVersionParameter"
    assert body["error"]["message"].startswith(
        "The api-version '2030-01-01' is invalid. The supported versions are '2025-04-01, "
    )


def test_the_registry_refuses_a_type_declared_twice() -> None:
    def handler(*_: Any) -> Any:
        raise AssertionError

    twice = ResourceProvider(
        "Contoso.Widgets", types=(ResourceType("widgets", ("2024-01-01",), handler, frozenset({"resourceGroup"})),) * 2
    )

    with pytest.raises(ValueError, match="declared twice"):
        ProviderRegistry([twice])
    with pytest.raises(ValueError, match="registered twice"):
        ProviderRegistry([*PROVIDERS, PROVIDERS[1]])


def test_a_new_provider_is_one_registration_away() -> None:
    def handler(*_: Any) -> Any:
        raise AssertionError

    widgets = ResourceType(
        "widgets", ("2024-01-01",), handler, frozenset({"resourceGroup"}), operations={"PUT": "Widgets_Create"}
    )
    registry = build_registry()
    target = ArmTarget(Scope(SUB, "rg"), "Contoso.Widgets", ("widgets",), ("w1",))

    assert registry.operation_id("PUT", target) == "Unknown_CreateOrUpdate"
    registry.register(ResourceProvider("Contoso.Widgets", types=(widgets,)))
    assert registry.resolve("PUT", target, "2024-01-01", lambda: "westeurope").resource_type is widgets
    assert registry.operation_id("PUT", target) == "Widgets_Create"


# -- each declared type --------------------------------------------------------------------------

DECLARED: list[tuple[str, str, str, dict[str, Any], str, Any]] = [
    # (type, name, api-version, body beyond location, read-only property, its expected value)
    (
        "Microsoft.Storage/storageAccounts",
        "stdata01",
        "2023-05-01",
        {"kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": {"isHnsEnabled": True}},
        "primaryEndpoints",
        {
            "blob": "https://stdata01.blob.core.windows.net/",
            "queue": "https://stdata01.queue.core.windows.net/",
            "table": "https://stdata01.table.core.windows.net/",
            "file": "https://stdata01.file.core.windows.net/",
            "dfs": "https://stdata01.dfs.core.windows.net/",
        },
    ),
    (
        "Microsoft.Sql/servers",
        "sql-data",
        "2023-08-01",
        {"properties": {"administratorLogin": "dba"}},
        "fullyQualifiedDomainName",
        "sql-data.database.windows.net",
    ),
    (
        "Microsoft.DBforMySQL/flexibleServers",
        "my-data",
        "2023-06-30",
        {},
        "fullyQualifiedDomainName",
        "my-data.mysql.database.azure.com",
    ),
    (
        "Microsoft.DBforPostgreSQL/flexibleServers",
        "pg-data",
        "2022-12-01",
        {},
        "fullyQualifiedDomainName",
        "pg-data.postgres.database.azure.com",
    ),
    (
        "Microsoft.DocumentDB/databaseAccounts",
        "cosmos-data",
        "2024-05-15",
        {
            "kind": "GlobalDocumentDB",
            "properties": {"databaseAccountOfferType": "Standard", "locations": [{"locationName": "westeurope"}]},
        },
        "documentEndpoint",
        "https://cosmos-data.documents.azure.com:443/",
    ),
    (
        "Microsoft.Synapse/workspaces",
        "syn-data",
        "2021-06-01",
        {},
        "connectivityEndpoints",
        {
            "web": f"https://web.azuresynapse.net?workspace=%2fsubscriptions%2f{SUB}%2fresourcegroups%2frg-p%2fproviders%2fmicrosoft.synapse%2fworkspaces%2fsyn-data",
            "dev": "https://syn-data.dev.azuresynapse.net",
            "sqlOnDemand": "syn-data-ondemand.sql.azuresynapse.net",
            "sql": "syn-data.sql.azuresynapse.net",
        },
    ),
    (
        "Microsoft.Kusto/clusters",
        "kustodata",
        "2023-08-15",
        {"sku": {"name": "Dev(No SLA)_Standard_E2a_v4", "tier": "Basic"}},
        "uri",
        "https://kustodata.westeurope.kusto.windows.net",
    ),
    (
        "Microsoft.MachineLearningServices/workspaces",
        "ml-data",
        "2024-04-01",
        {},
        "discoveryUrl",
        "https://westeurope.api.azureml.ms/discovery",
    ),
    (
        "Microsoft.Web/sites",
        "fn-data",
        "2023-12-01",
        {"kind": "functionapp,linux"},
        "defaultHostName",
        "fn-data.azurewebsites.net",
    ),
    ("Microsoft.Web/serverfarms", "plan-data", "2023-12-01", {"sku": {"name": "Y1"}}, "status", "Ready"),
    ("Microsoft.Logic/workflows", "la-data", "2019-05-01", {}, "state", "Enabled"),
    (
        "Microsoft.AnalysisServices/servers",
        "asdata",
        "2017-08-01",
        {"sku": {"name": "S0"}},
        "serverFullName",
        "asazure://westeurope.asazure.windows.net/asdata",
    ),
    (
        "Microsoft.CognitiveServices/accounts",
        "cog-data",
        "2023-05-01",
        {"kind": "TextAnalytics", "sku": {"name": "S"}, "properties": {"customSubDomainName": "cog-data"}},
        "endpoint",
        "https://cog-data.cognitiveservices.azure.com/",
    ),
    (
        "Microsoft.KeyVault/vaults",
        "kv-data",
        "2023-07-01",
        {"properties": {"tenantId": TENANT, "sku": {"family": "A", "name": "standard"}}},
        "vaultUri",
        "https://kv-data.vault.azure.net/",
    ),
]


def resource_id(type_name: str, name: str) -> str:
    namespace, _, type_path = type_name.partition("/")
    return f"{GROUP}/providers/{namespace}/{type_path}/{name}"


@pytest.mark.parametrize("case", DECLARED, ids=[case[0] for case in DECLARED])
async def test_each_declared_type_is_created_with_its_read_only_properties(
    arm: ResourceManagementClient, case: tuple[str, str, str, dict[str, Any], str, Any]
) -> None:
    type_name, name, api_version, body, key, expected = case

    created = await put(arm, resource_id(type_name, name), {"location": "westeurope", **body}, api_version)
    fetched = await arm.resources.get_by_id(resource_id(type_name, name), api_version=api_version)

    assert created.type == type_name
    assert created.properties is not None
    assert fetched.properties is not None
    assert created.properties[key] == expected
    assert fetched.properties == created.properties
    for given, value in body.get("properties", {}).items():
        assert fetched.properties[given] == value, "the caller's properties are echoed back"


@pytest.mark.parametrize(
    ("type_name", "name", "api_version", "body"), [case[:4] for case in DECLARED], ids=[case[0] for case in DECLARED]
)
async def test_each_declared_type_requires_a_location(
    arm: ResourceManagementClient, type_name: str, name: str, api_version: str, body: dict[str, Any]
) -> None:
    error = await refused(arm, resource_id(type_name, name), body, api_version)

    assert code_of(error) == (400, "LocationRequired")


REFUSED: list[tuple[str, str, str, dict[str, Any], str, str | None]] = [
    # (type, name, api-version, body beyond location, ARM error code, its message where it is verified)
    (
        "Microsoft.Storage/storageAccounts",
        "St-Data",
        "2023-01-01",
        {"kind": "StorageV2", "sku": {"name": "Standard_LRS"}},
        "AccountNameInvalid",
        "St-Data is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.",
    ),
    (
        "Microsoft.Storage/storageAccounts",
        "sa",
        "2023-01-01",
        {"kind": "StorageV2", "sku": {"name": "Standard_LRS"}},
        "AccountNameInvalid",
        None,
    ),
    (
        "Microsoft.Storage/storageAccounts",
        "a" * 25,
        "2023-01-01",
        {"kind": "StorageV2", "sku": {"name": "Standard_LRS"}},
        "AccountNameInvalid",
        None,
    ),
    (
        "Microsoft.Storage/storageAccounts",
        "stdata",
        "2023-01-01",
        {"kind": "StorageV2"},
        "InvalidRequestContent",
        None,
    ),
    (
        "Microsoft.Storage/storageAccounts",
        "stdata",
        "2023-01-01",
        {"sku": {"name": "Standard_LRS"}},
        "InvalidRequestContent",
        None,
    ),
    (
        "Microsoft.Storage/storageAccounts",
        "stdata",
        "2023-01-01",
        {"kind": "FileStorage", "sku": {"name": "Standard_LRS"}},
        "InvalidValuesForRequestParameters",
        "Values for request parameters are invalid: kind, sku.",
    ),
    (
        "Microsoft.DocumentDB/databaseAccounts",
        "cosmos",
        "2024-05-15",
        {"properties": {"locations": [{"locationName": "westeurope"}]}},
        "InvalidRequestContent",
        None,
    ),
    (
        "Microsoft.DocumentDB/databaseAccounts",
        "cosmos",
        "2024-05-15",
        {"properties": {"databaseAccountOfferType": "Standard"}},
        "InvalidRequestContent",
        None,
    ),
    ("Microsoft.Kusto/clusters", "kusto", "2023-08-15", {}, "InvalidRequestContent", None),
    ("Microsoft.AnalysisServices/servers", "asdata", "2017-08-01", {}, "InvalidRequestContent", None),
    (
        "Microsoft.CognitiveServices/accounts",
        "cog",
        "2023-05-01",
        {"sku": {"name": "S"}},
        "InvalidRequestContent",
        None,
    ),
    (
        "Microsoft.KeyVault/vaults",
        "kv",
        "2023-07-01",
        {"properties": {"tenantId": TENANT}},
        "InvalidRequestContent",
        None,
    ),
]


@pytest.mark.parametrize("case", REFUSED, ids=[f"{case[0]}-{case[4]}-{index}" for index, case in enumerate(REFUSED)])
async def test_bodies_a_provider_refuses_are_400_with_its_code(
    arm: ResourceManagementClient, control: EmulatorControl, case: tuple[str, str, str, dict[str, Any], str, str | None]
) -> None:
    type_name, name, api_version, body, code, message = case

    error = await refused(arm, resource_id(type_name, name), {"location": "westeurope", **body}, api_version)

    assert code_of(error) == (400, code)
    if message is not None:
        assert error.error is not None
        assert error.error.message == message
    [subscription] = [s for s in control.state()["subscriptions"] if s["subscriptionId"] == SUB]
    assert subscription["resourceGroups"][0]["resources"] == []


async def test_a_storage_account_name_is_taken_in_every_other_group(
    arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    body = {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}}
    control.seed_groups(SUB, {"rg-other": {}})
    await put(arm, resource_id("Microsoft.Storage/storageAccounts", "stshared"), body, "2023-01-01")
    await put(
        arm, resource_id("Microsoft.Storage/storageAccounts", "stshared"), body, "2023-01-01"
    )  # an update is no clash

    error = await refused(
        arm,
        f"{GROUP.replace('rg-p', 'rg-other')}/providers/Microsoft.Storage/storageAccounts/stshared",
        body,
        "2023-01-01",
    )

    assert code_of(error) == (409, "StorageAccountAlreadyTaken")
    assert error.error is not None
    assert error.error.message == "The storage account named stshared is already taken."
