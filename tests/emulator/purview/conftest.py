"""The Purview data plane through the official SDKs (aio), authenticated like the app: ``DefaultAzureCredential``.

Every test starts from a reset emulator (the shared ``control`` fixture): a new account holding its
root collection ``dpgov-purview`` and the root metadata policy.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import DefaultAzureCredential
from azure.purview.administration.account.aio import PurviewAccountClient
from azure.purview.administration.metadatapolicies.aio import PurviewMetadataPoliciesClient
from azure.purview.datamap.aio import DataMapClient
from azure.purview.scanning.aio import PurviewScanningClient

from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints

ROOT = "dpgov-purview"
PURVIEW_SCOPE = "https://purview.azure.net/.default"


def purview_url(emulator: EmulatorEndpoints) -> str:
    url = emulator.purview_endpoint
    assert url is not None, "the session emulator serves Purview"
    return url


def options(emulator: EmulatorEndpoints, **extra: Any) -> dict[str, Any]:
    return {"connection_verify": emulator.ca_bundle, "retry_backoff_factor": 0.01, **extra}


@pytest.fixture
async def accounts(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> AsyncIterator[PurviewAccountClient]:
    async with PurviewAccountClient(purview_url(emulator) + "/account/", credential, **options(emulator)) as client:
        yield client


@pytest.fixture
async def policies(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> AsyncIterator[PurviewMetadataPoliciesClient]:
    async with PurviewMetadataPoliciesClient(purview_url(emulator), credential, **options(emulator)) as client:
        yield client


@pytest.fixture
async def scanning(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> AsyncIterator[PurviewScanningClient]:
    async with PurviewScanningClient(purview_url(emulator), credential, **options(emulator)) as client:
        yield client


@pytest.fixture
async def datamap(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> AsyncIterator[DataMapClient]:
    async with DataMapClient(purview_url(emulator), credential, **options(emulator)) as client:
        yield client


@pytest.fixture
async def purview_token(credential: DefaultAzureCredential) -> str:
    return (await credential.get_token(PURVIEW_SCOPE)).token


async def ready_collection(accounts: PurviewAccountClient, name: str, parent: str = ROOT) -> dict[str, Any]:
    """Create a collection and read it until it has succeeded, as a careful caller does."""
    created: dict[str, Any] = await accounts.collections.create_or_update_collection(
        name, {"parentCollection": {"referenceName": parent}}
    )
    for _ in range(10):
        created = await accounts.collections.get_collection(name)
        if created["collectionProvisioningState"] == "Succeeded":
            return created
    raise AssertionError(f"collection {name} never succeeded")


def adls_source(collection: str, account: str = "salesdata") -> dict[str, Any]:
    """An ADLS Gen2 registration body as the SDK sends it."""
    return {
        "kind": "AdlsGen2",
        "properties": {
            "endpoint": f"https://{account}.dfs.core.windows.net/",
            "resourceId": f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{account}",
            "subscriptionId": "s",
            "resourceGroup": "rg",
            "location": "westeurope",
            "resourceName": account,
            "collection": {"referenceName": collection, "type": "CollectionReference"},
        },
    }


def msi_scan(collection: str | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"scanRulesetName": "AdlsGen2", "scanRulesetType": "System"}
    if collection is not None:
        properties["collection"] = {"referenceName": collection, "type": "CollectionReference"}
    return {"kind": "AdlsGen2Msi", "properties": properties}


def code(error: HttpResponseError) -> str | None:
    """The ``error.code`` of a Purview account, policy or scanning error (ODataV4 shape)."""
    return error.error.code if error.error is not None else None


def status_and_code(error: HttpResponseError) -> tuple[int | None, str | None]:
    return error.status_code, code(error)
