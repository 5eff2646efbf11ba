"""Return Azurite to a blank slate through the official storage SDKs: no tables, no queues, no containers.

The emulator's ``POST /_emulator/reset`` calls this so that every test starts from empty storage, as it
starts from an empty ARM. It authenticates with the development account's key (a local-only secret
every Azurite shares), over HTTPS trusting the emulator's CA.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from azure.core.credentials import AzureNamedKeyCredential
from azure.data.tables.aio import TableServiceClient
from azure.storage.blob.aio import BlobServiceClient
from azure.storage.queue.aio import QueueServiceClient

from .azurite import ACCOUNT_KEY, ACCOUNT_NAME, AzuriteEndpoints

__all__ = ["StorageReset"]


class StorageReset:
    """Clients for one Azurite, kept open for the emulator's lifetime."""

    def __init__(self, endpoints: AzuriteEndpoints, ca_bundle: Path) -> None:
        credential = AzureNamedKeyCredential(ACCOUNT_NAME, ACCOUNT_KEY)
        verify = str(ca_bundle)
        self._tables = TableServiceClient(endpoints.table, credential=credential, connection_verify=verify)
        self._queues = QueueServiceClient(endpoints.queue, credential=credential, connection_verify=verify)
        self._blobs = BlobServiceClient(endpoints.blob, credential=credential, connection_verify=verify)

    async def clear(self) -> None:
        """Delete every table, queue and blob container."""
        await asyncio.gather(self._clear_tables(), self._clear_queues(), self._clear_blobs())

    async def _clear_tables(self) -> None:
        names = [table.name async for table in self._tables.list_tables()]
        await asyncio.gather(*(self._tables.delete_table(name) for name in names))

    async def _clear_queues(self) -> None:
        names = [queue.name async for queue in self._queues.list_queues()]
        await asyncio.gather(*(self._queues.delete_queue(name) for name in names))

    async def _clear_blobs(self) -> None:
        names = [container.name async for container in self._blobs.list_containers()]
        await asyncio.gather(*(self._blobs.delete_container(name) for name in names))

    async def close(self) -> None:
        await asyncio.gather(self._tables.close(), self._queues.close(), self._blobs.close())
