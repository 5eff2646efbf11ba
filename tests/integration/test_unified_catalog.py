"""Purview's Unified Catalog end to end: a new product is a catalog data product in its governance
domain, owned as configured, with its storage account as a data asset, within one event; people's
edits are kept, governed fields repaired, the product expired with its group.

Through the emulator (ARM, Event Grid, the Purview Data Map and the Unified Catalog), the local
Functions host, and the app's own catalog client (``shared.azure.unified_catalog``) for the
curator's edits and reads, over HTTPS with the managed identity's token.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import SeedResource, SeedResourceGroup, SeedSubscription
from shared.aspects.catalog import product_id
from shared.azure.unified_catalog import DataProduct, UnifiedCatalogClient
from shared.config import load_config
from shared.engine import open_engine
from shared.model import GroupRef
from shared.reconciler import TransientFailure
from shared.settings import Settings, UnifiedCatalogSettings
from tests.integration.conftest import EMEA, EXAMPLE_CONFIG, LocalAzure

GROUP = "dp-sales-orders-rg"
SCOPE = f"/subscriptions/{EMEA}/resourceGroups/{GROUP}"
PRODUCT_ID = product_id(GroupRef(EMEA, GROUP))
DOMAIN_OWNER = "44444444-4444-4444-8444-444444444444"
PRODUCT_OWNER = "77777777-7777-4777-8777-777777777777"
STORAGE_ACCOUNT = (
    "Microsoft.Storage/storageAccounts",
    "stsalesorders",
    "2023-05-01",
    {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": {}},
)


@pytest.fixture
async def catalog(app_environment: dict[str, str]) -> AsyncIterator[UnifiedCatalogClient]:
    settings = UnifiedCatalogSettings.from_environment(app_environment)
    assert settings is not None, "the emulator's ready file names the Unified Catalog"
    async with DefaultAzureCredential() as credential, UnifiedCatalogClient(settings, credential) as client:
        yield client


async def new_product(arm: ResourceManagementClient, azure: LocalAzure) -> None:
    await arm.resource_groups.create_or_update(GROUP, {"location": "westeurope"})
    resource_type, name, api_version, body = STORAGE_ACCOUNT
    poller = await arm.resources.begin_create_or_update_by_id(
        f"{SCOPE}/providers/{resource_type}/{name}", body, api_version=api_version
    )
    await poller.result()
    azure.control.wait_for_deliveries_idle(timeout=30)


def catalog_requests(azure: LocalAzure, request_class: str) -> list[str]:
    return [r.operation for r in azure.control.requests_log() if r.request_class == request_class]


def sync(azure: LocalAzure, **params: str) -> dict[str, Any]:
    response = azure.post(f"dataproducts/{EMEA}/{GROUP}/sync", **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_new_product_is_in_the_catalog_in_its_domain_with_its_owners_and_storage_within_its_events(
    azure: LocalAzure, arm: ResourceManagementClient, catalog: UnifiedCatalogClient
) -> None:
    await new_product(arm, azure)

    (domain,) = await catalog.domains()
    product = await catalog.product(PRODUCT_ID)
    state = azure.control.catalog()
    assert (domain.name, domain.type, domain.status) == ("Sales", "DataDomain", "PUBLISHED")
    assert product is not None
    assert (product.name, product.domain, product.status, product.type) == (
        "orders (lz-emea, prd)",
        domain.id,
        "DRAFT",
        "Operational",
    )
    assert (product.business_use, product.update_frequency) == ("Revenue reporting and demand forecasting.", "Daily")
    assert product.description == "Every confirmed sales order, one row per order line."
    assert sorted(product.owners()) == [DOMAIN_OWNER, PRODUCT_OWNER]
    (asset,) = state.data_assets
    assert (asset["source"]["assetType"], asset["source"]["fqn"]) == (
        "azure_storage_account",
        "https://stsalesorders.core.windows.net",
    )
    assert [(e.entity_id, e.relationship_type) for e in await catalog.product_assets(PRODUCT_ID)] == [
        (asset["id"], "Related")
    ]
    report = sync(azure)
    condition = next(c for c in report["conditions"] if c["aspect"] == "catalog")
    assert (report["outcome"], condition["status"]) == ("compliant", "compliant")


async def test_a_curators_edits_survive_and_a_governed_field_changed_by_hand_is_repaired(
    azure: LocalAzure, arm: ResourceManagementClient, catalog: UnifiedCatalogClient
) -> None:
    await new_product(arm, azure)
    current = await catalog.product(PRODUCT_ID)
    assert current is not None
    curated = DataProduct.model_validate(
        {
            **current.body(),
            "description": "Curated by the sales data team.",
            "status": "PUBLISHED",
            "type": "Reference",  # governed: set back
            "termsOfUse": [{"url": "https://contoso.example/terms/orders", "name": "Orders terms"}],
        }
    )
    await catalog.update_product(curated)
    azure.control.clear_requests()

    report = sync(azure)

    repaired = await catalog.product(PRODUCT_ID)
    assert repaired is not None
    assert repaired.type == "Operational"
    assert (repaired.description, repaired.status) == ("Curated by the sales data team.", "PUBLISHED")
    assert repaired.model_dump(by_alias=True)["termsOfUse"] == [
        {"url": "https://contoso.example/terms/orders", "name": "Orders terms"}
    ]
    assert report["outcome"] == "changed"
    assert catalog_requests(azure, "catalog-write") == ["DataProducts_Update"]


async def test_a_deleted_group_expires_its_catalog_product(
    azure: LocalAzure, arm: ResourceManagementClient, catalog: UnifiedCatalogClient
) -> None:
    await new_product(arm, azure)

    await (await arm.resource_groups.begin_delete(GROUP)).result()
    azure.control.wait_for_deliveries_idle(timeout=30)

    expired = await catalog.product(PRODUCT_ID)
    assert expired is not None
    assert expired.status == "EXPIRED"
    assert expired.model_dump(by_alias=True)["systemData"]["expiredAt"]


async def test_duplicate_events_change_nothing_and_a_compliant_estate_reads_pages_and_writes_nothing(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    azure.control.set_delivery(duplicates=2)  # every event delivered three times, racing
    await new_product(arm, azure)

    state = azure.control.catalog()
    assert (len(state.domains), len(state.data_products), len(state.data_assets)) == (1, 1, 1)
    assert len(state.relationships) == 1

    assert azure.run_timer().status_code == 202  # records what the events linked; nothing to write
    azure.control.clear_requests()
    assert azure.run_timer().status_code == 202
    assert catalog_requests(azure, "catalog-write") == []
    # Per landing zone (each its own queue message): the governance domains; the one domain's products.
    assert sorted(catalog_requests(azure, "catalog-read")) == [
        "BusinessDomain_Enumerate",
        "BusinessDomain_Enumerate",
        "DataProducts_List",
    ]


def test_dry_run_plans_the_catalog_entry_and_writes_nothing(azure: LocalAzure) -> None:
    azure.control.seed_resources(
        EMEA, GROUP, [SeedResource("Microsoft.Storage/storageAccounts", "stsalesorders", kind="StorageV2")]
    )

    plan = sync(azure, dryRun="true")

    kinds = [a["kind"] for a in plan["plan"] if a["aspect"] == "catalog"]
    assert kinds == ["create_domain", "create_product", "put_store_asset", "link_asset"]
    assert catalog_requests(azure, "catalog-write") == []
    state = azure.control.catalog()
    assert (state.domains, state.data_products) == ((), ())


async def test_a_burst_of_new_products_with_stores_stays_under_the_catalogs_rate_limit(azure: LocalAzure) -> None:
    """20 new products, every 4th with a storage account, against a limit of 10 requests per 2 s."""
    groups = [f"dp-sales-p{index:02d}-rg" for index in range(20)]
    seeded = [
        SeedResourceGroup(
            name,
            resources=(SeedResource("Microsoft.Storage/storageAccounts", f"stburst{index:02d}", kind="StorageV2"),)
            if index % 4 == 0
            else (),
        )
        for index, name in enumerate(groups)
    ]
    azure.control.seed([SeedSubscription(EMEA, resource_groups=seeded)])
    azure.control.set_catalog_rate_limit(enabled=True, limit=10, window_seconds=2.0)
    settings = Settings.from_environment({**os.environ, "DPGOV_UNIFIED_CATALOG_RATE_LIMIT": "10/2"})
    azure.control.clear_requests()

    async with open_engine(settings, load_config(EXAMPLE_CONFIG)) as engine:
        report = await engine.reconciler.reconcile_all()

    catalog_log = [r for r in azure.control.requests_log() if r.request_class.startswith("catalog-")]
    operations = [r.operation for r in catalog_log]
    assert [r.status for r in catalog_log if r.status == 429] == []
    assert {g.outcome.value for g in report.groups if g.group.name in groups} == {"changed"}
    assert (operations.count("DataProducts_Create"), operations.count("DataAssets_Create")) == (20, 5)
    assert operations.count("DataAssets_CreateRelationship") == 5
    state = azure.control.catalog()
    assert (len(state.data_products), len(state.relationships)) == (20, 5)


async def test_two_instances_racing_on_a_new_product_make_one_domain_and_one_product(azure: LocalAzure) -> None:
    """Two engines (two Function App instances) reconcile the same new group at once."""
    azure.control.seed_resources(
        EMEA, GROUP, [SeedResource("Microsoft.Storage/storageAccounts", "stsalesorders", kind="StorageV2")]
    )
    settings = Settings.from_environment()

    async def one_instance() -> str:
        async with open_engine(settings, load_config(EXAMPLE_CONFIG)) as engine:
            report = await engine.reconciler.reconcile_group(GroupRef(EMEA, GROUP))
            return str(getattr(report, "outcome", "")).lower()

    raced = await asyncio.gather(one_instance(), one_instance(), return_exceptions=True)
    again = await one_instance()  # Event Grid's redelivery to the instance that lost

    state = azure.control.catalog()
    assert (len(state.domains), len(state.data_products), len(state.data_assets), len(state.relationships)) == (
        1,
        1,
        1,
        1,
    )
    (product,) = state.data_products
    assert sorted(owner["id"] for owner in product["contacts"]["owner"]) == [DOMAIN_OWNER, PRODUCT_OWNER]
    assert "changed" in raced
    assert all(outcome == "changed" or isinstance(outcome, TransientFailure) for outcome in raced), raced
    assert again == "compliant"
