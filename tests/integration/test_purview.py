"""Microsoft Purview end to end: a product's stores registered, scannable and in its collection within
its events, the stores Purview cannot scan alone reported `blocked`, and everything retired with the group.

Through the official SDKs against the emulator and the local Functions host: ARM for the product
team's resources, Event Grid delivering their events, and the Purview data plane (collections,
metadata policies, scanning, Data Map) the app writes to, read back here through the same SDKs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables.aio import TableClient
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.purview.datamap.aio import DataMapClient

from emulator.client import SeedResource
from tests.integration.conftest import EMEA, LocalAzure

GROUP = "dp-sales-orders-rg"
SCOPE = f"/subscriptions/{EMEA}/resourceGroups/{GROUP}"
CHAIN = ("lz-emea", "lz-emea-sales", "lz-emea-sales-orders-prd")
STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
ENTITY_TYPE = "dpgov_data_product"

STORAGE = (
    "Microsoft.Storage/storageAccounts",
    "stsalesorders",
    "2023-05-01",
    {
        "location": "westeurope",
        "kind": "StorageV2",
        "sku": {"name": "Standard_LRS"},
        "properties": {"isHnsEnabled": True},
    },
)
SQL = (
    "Microsoft.Sql/servers",
    "sql-sales-orders",
    "2021-11-01",
    {"location": "westeurope", "properties": {"administratorLogin": "orders", "version": "12.0"}},
)
COSMOS = (
    "Microsoft.DocumentDB/databaseAccounts",
    "cosmos-sales-orders",
    "2024-08-15",
    {
        "location": "westeurope",
        "kind": "GlobalDocumentDB",
        "properties": {"databaseAccountOfferType": "Standard", "locations": [{"locationName": "westeurope"}]},
    },
)
BLOB = (
    "Microsoft.Storage/storageAccounts",
    "stsalesordersraw",
    "2023-05-01",
    {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": {}},
)


@pytest.fixture
async def datamap(app_environment: dict[str, str]) -> AsyncIterator[DataMapClient]:
    async with (
        DefaultAzureCredential() as credential,
        DataMapClient(app_environment["DPGOV_PURVIEW_ENDPOINT"], credential) as client,
    ):
        yield client


async def create(arm: ResourceManagementClient, *resources: tuple[str, str, str, dict[str, Any]]) -> None:
    for resource_type, name, api_version, body in resources:
        poller = await arm.resources.begin_create_or_update_by_id(
            f"{SCOPE}/providers/{resource_type}/{name}", body, api_version=api_version
        )
        await poller.result()


async def entity_attributes(datamap: DataMapClient) -> dict[str, Any]:
    found = await datamap.entity.get_by_unique_attribute(ENTITY_TYPE, attribute=SCOPE.lower())
    body = found.as_dict() if hasattr(found, "as_dict") else dict(found)
    return dict(body["entity"]["attributes"])


async def test_a_new_product_is_registered_scanned_and_blocked_where_a_person_must_act(
    azure: LocalAzure,
    arm: ResourceManagementClient,
    authorization: AuthorizationManagementClient,
    datamap: DataMapClient,
) -> None:
    await arm.resource_groups.create_or_update(GROUP, {"location": "westeurope"})
    await create(arm, STORAGE, SQL, COSMOS)
    azure.control.wait_for_deliveries_idle(timeout=30)

    purview = azure.control.purview()
    collections = {c.name: (c.parent, c.state) for c in purview.collections}
    sources = {s.kind: s for s in purview.data_sources}
    storage_id = f"{SCOPE}/providers/Microsoft.Storage/storageAccounts/stsalesorders"
    grants = [
        str(a.role_definition_id).rsplit("/", 1)[-1]
        async for a in authorization.role_assignments.list_for_scope(storage_id, filter="atScope()")
        if a.principal_id == purview.principal_id
    ]
    report = azure.post(f"dataproducts/{EMEA}/{GROUP}/sync").json()
    condition = next(c for c in report["conditions"] if c["aspect"] == "purview")

    assert {name: collections[name] for name in CHAIN} == {
        "lz-emea": (purview.account.lower(), "Succeeded"),
        "lz-emea-sales": ("lz-emea", "Succeeded"),
        "lz-emea-sales-orders-prd": ("lz-emea-sales", "Succeeded"),
    }
    assert sorted(sources) == ["AdlsGen2", "AzureCosmosDb", "AzureSqlDatabase"]
    assert {s.collection for s in purview.data_sources} == {CHAIN[-1]}
    (scan,) = sources["AdlsGen2"].scans
    assert (scan.kind, scan.collection, scan.has_trigger) == ("AdlsGen2Msi", CHAIN[-1], True)
    assert (sources["AzureSqlDatabase"].scans, sources["AzureCosmosDb"].scans) == ((), ())
    assert grants == [STORAGE_BLOB_DATA_READER]
    assert (condition["status"], report["outcome"]) == ("blocked", "compliant")
    blocked = sorted(f["message"] for f in condition["findings"] if f["kind"] == "blocked")
    assert [message.split(" is registered")[0] for message in blocked] == [
        "cosmos-sales-orders (AzureCosmosDb)",
        "sql-sales-orders (AzureSqlDatabase)",
    ]
    assert "AccountKey credential" in blocked[0]
    assert f"CREATE USER [{purview.account}] FROM EXTERNAL PROVIDER" in blocked[1]
    attributes = await entity_attributes(datamap)
    assert (attributes["domain"], attributes["product"], attributes["lifecycle"]) == ("sales", "orders", "active")
    assert attributes["resourceGroupId"] == SCOPE


async def test_duplicate_events_register_once_and_a_compliant_estate_writes_nothing_to_purview(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    azure.control.set_delivery(duplicates=2)  # every event delivered three times, racing
    await arm.resource_groups.create_or_update(GROUP, {"location": "westeurope"})
    await create(arm, STORAGE)
    azure.control.wait_for_deliveries_idle(timeout=30)

    purview = azure.control.purview()
    assert [(s.kind, len(s.scans)) for s in purview.data_sources] == [("AdlsGen2", 1)]
    assert [e.qualified_name for e in purview.entities if e.type_name == ENTITY_TYPE] == [SCOPE.lower()]

    azure.control.clear_requests()
    assert azure.post(f"dataproducts/{EMEA}/{GROUP}/sync").json()["outcome"] == "compliant"
    assert azure.run_timer().status_code == 202  # the admin endpoint answers once the run is done
    summary = azure.control.request_summary()
    assert (summary.purview_writes, summary.purview_deletes) == (0, 0)
    assert summary.by_operation["Triggers_GetTrigger"] == 1, "one product's sync reads its trigger"
    assert summary.by_operation["Entity_GetByUniqueAttribute"] == 2, (
        "its entity and its store's asset; the timer trusts the ledger"
    )


async def test_a_store_added_later_is_registered_by_its_own_event(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update(GROUP, {"location": "westeurope"})
    await create(arm, STORAGE)
    azure.control.wait_for_deliveries_idle(timeout=30)

    await create(arm, BLOB)
    azure.control.wait_for_deliveries_idle(timeout=30)

    sources = {s.kind: s for s in azure.control.purview().data_sources}
    assert sorted(sources) == ["AdlsGen2", "AzureStorage"]
    (scan,) = sources["AzureStorage"].scans
    assert (scan.kind, scan.has_trigger) == ("AzureStorageMsi", True)


async def test_a_deleted_group_takes_its_sources_and_scans_and_retires_its_entity(
    azure: LocalAzure, arm: ResourceManagementClient, datamap: DataMapClient, ledger_table: TableClient
) -> None:
    await arm.resource_groups.create_or_update(GROUP, {"location": "westeurope"})
    await create(arm, STORAGE, SQL)
    azure.control.wait_for_deliveries_idle(timeout=30)
    assert len(azure.control.purview().data_sources) == 2
    assert (await ledger_table.get_entity(EMEA, GROUP))["Domain"] == "sales"

    await (await arm.resource_groups.begin_delete(GROUP)).result()
    azure.control.wait_for_deliveries_idle(timeout=30)

    purview = azure.control.purview()
    assert purview.data_sources == ()
    assert {c.name for c in purview.collections} >= set(CHAIN), "collections are kept"
    assert (await entity_attributes(datamap))["lifecycle"] == "retired"
    with pytest.raises(ResourceNotFoundError):
        await ledger_table.get_entity(EMEA, GROUP)  # and the product forgotten


def test_dry_run_plans_the_registration_and_writes_nothing(azure: LocalAzure) -> None:
    azure.control.seed_resources(
        EMEA,
        GROUP,
        [
            SeedResource(
                "Microsoft.Storage/storageAccounts",
                "stsalesorders",
                kind="StorageV2",
                sku={"name": "Standard_LRS"},
                properties={"isHnsEnabled": True},
            )
        ],
    )

    plan = azure.post(f"dataproducts/{EMEA}/{GROUP}/sync", dryRun="true").json()

    kinds = [a["kind"] for a in plan["plan"] if a["aspect"] == "purview"]
    assert sorted(set(kinds)) == [
        "grant_scanner",
        "grant_stewards",
        "put_collection",
        "put_entity",
        "put_scan",
        "put_trigger",
        "register_source",
    ]
    summary = azure.control.request_summary()
    assert (summary.writes, summary.purview_writes) == (0, 0)
    assert azure.control.purview().data_sources == ()
