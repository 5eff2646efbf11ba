"""Storage is Azurite: reached over HTTPS with the emulator's managed identity, emptied by a reset."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.credentials import AccessToken, AzureNamedKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceModifiedError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableServiceClient
from azure.identity.aio import DefaultAzureCredential
from azure.storage.blob.aio import BlobServiceClient
from azure.storage.queue.aio import QueueServiceClient

from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints
from emulator.storage.azurite import ACCOUNT_KEY, ACCOUNT_NAME
from tests.emulator.conftest import ARM_SCOPE, CREDENTIAL_VARIABLES

STORAGE_SETTINGS = (
    "AzureWebJobsStorage__blobServiceUri",
    "AzureWebJobsStorage__queueServiceUri",
    "AzureWebJobsStorage__tableServiceUri",
)


@pytest.fixture
def app_settings(
    emulator: EmulatorEndpoints, control: EmulatorControl, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The emulator's app settings applied to this process, as the Functions host would apply them."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    settings = emulator.app_environment()
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    return settings


@pytest.fixture
async def tables(app_settings: dict[str, str], emulator: EmulatorEndpoints) -> AsyncIterator[TableServiceClient]:
    """Table storage as the app reaches it: the service URI and its managed identity."""
    assert app_settings["AzureWebJobsStorage__credential"] == "managedidentity"
    async with (
        DefaultAzureCredential() as credential,
        TableServiceClient(
            app_settings["AzureWebJobsStorage__tableServiceUri"],
            credential=credential,
            connection_verify=emulator.ca_bundle,
        ) as client,
    ):
        yield client


def test_storage_settings_point_at_azurite_over_https(emulator: EmulatorEndpoints) -> None:
    settings = emulator.app_environment()

    assert emulator.storage is not None
    assert [settings[name] for name in STORAGE_SETTINGS] == [
        emulator.storage.blob,
        emulator.storage.queue,
        emulator.storage.table,
    ]
    for name in STORAGE_SETTINGS:
        assert settings[name].startswith("https://127.0.0.1:")
        assert settings[name].endswith(f"/{ACCOUNT_NAME}")
    assert settings["AzureWebJobsStorage"] == (
        f"DefaultEndpointsProtocol=https;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint={emulator.storage.blob};QueueEndpoint={emulator.storage.queue};"
        f"TableEndpoint={emulator.storage.table};"
    )


async def test_managed_identity_creates_a_table_and_etags_guard_updates(
    tables: TableServiceClient, control: EmulatorControl
) -> None:
    table = await tables.create_table("ledger")
    await table.upsert_entity({"PartitionKey": "lz-emea", "RowKey": "sales-orders", "domain": "sales"})
    first = await table.get_entity("lz-emea", "sales-orders")
    await table.update_entity(
        {**first, "domain": "finance"},
        mode=UpdateMode.REPLACE,
        etag=first.metadata["etag"],
        match_condition=MatchConditions.IfNotModified,
    )

    with pytest.raises(ResourceModifiedError) as stale:
        await table.update_entity(
            {**first, "domain": "marketing"},
            mode=UpdateMode.REPLACE,
            etag=first.metadata["etag"],
            match_condition=MatchConditions.IfNotModified,
        )
    current = await table.get_entity("lz-emea", "sales-orders")

    assert stale.value.status_code == 412
    assert current["domain"] == "finance"
    assert current.metadata["etag"] != first.metadata["etag"]
    assert [entry.operation for entry in control.requests_log()] == ["ManagedIdentity_GetToken"]


class _ArmTokenOnly:
    """A credential that answers every scope with a token for ARM (the wrong audience for storage)."""

    def __init__(self, inner: DefaultAzureCredential) -> None:
        self._inner = inner

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        del scopes
        return await self._inner.get_token(ARM_SCOPE, **kwargs)

    async def close(self) -> None:
        await self._inner.close()

    async def __aenter__(self) -> _ArmTokenOnly:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()


@pytest.mark.usefixtures("control")
async def test_azurite_refuses_a_token_for_another_audience(
    app_settings: dict[str, str], emulator: EmulatorEndpoints
) -> None:
    async with (
        _ArmTokenOnly(DefaultAzureCredential()) as credential,
        TableServiceClient(
            app_settings["AzureWebJobsStorage__tableServiceUri"],
            credential=credential,
            connection_verify=emulator.ca_bundle,
        ) as client,
    ):
        with pytest.raises(HttpResponseError) as refused:
            await client.create_table("ledger")

    assert refused.value.status_code == 403
    assert getattr(refused.value, "error_code", None) == "AuthenticationFailed"  # set by the storage SDKs


async def test_reset_deletes_every_table_queue_and_container(
    emulator: EmulatorEndpoints, control: EmulatorControl
) -> None:
    assert emulator.storage is not None
    key = AzureNamedKeyCredential(ACCOUNT_NAME, ACCOUNT_KEY)
    verify = emulator.ca_bundle
    async with (
        TableServiceClient(emulator.storage.table, credential=key, connection_verify=verify) as tables,
        QueueServiceClient(emulator.storage.queue, credential=key, connection_verify=verify) as queues,
        BlobServiceClient(emulator.storage.blob, credential=key, connection_verify=verify) as blobs,
    ):
        await tables.create_table("ledger")
        await queues.create_queue("fanout")
        container = await blobs.create_container("evidence")
        await container.upload_blob("plan.json", b"{}")

        control.reset()

        assert [table.name async for table in tables.list_tables()] == []
        assert [queue.name async for queue in queues.list_queues()] == []
        assert [item.name async for item in blobs.list_containers()] == []
        await tables.create_table("ledger")  # a name is free again at once
