"""The ledger as an Azure Table in the Function App's own storage account (``azure-data-tables``).

One row per data product: partition key = subscription id (so a bulk reconcile reads a landing zone
with one paged query), row key = the group name, lower-cased (ARM compares names case-insensitively;
group names never contain the characters a row key forbids). Writes are optimistic: a new row is an
insert that fails if another instance inserted first, a change is a replace conditioned on the ETag
read. The table is created on the first write that finds it missing (a deployment creates it up
front, so this is for local runs and new accounts).

Authentication is the managed identity (``AzureWebJobsStorage__tableServiceUri``/``__accountName``,
the identity needs *Storage Table Data Contributor* on the account), or a connection string for local
development. Never a key in config or code.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from collections.abc import Mapping
from typing import Any

from azure.core import MatchConditions
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.core.pipeline.transport import AioHttpTransport
from azure.data.tables import TableEntity, UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient
from azure.identity.aio import ManagedIdentityCredential

from shared.azure.request_id import ReconcileRequestIdPolicy
from shared.config import ConfigError
from shared.ledger import Artifact, IdentitySource, LedgerConflict, LedgerRecord
from shared.model import DataProduct, GroupRef
from shared.settings import StorageSettings

USER_AGENT = "dpgov/0.1"


def _keys(ref: GroupRef) -> tuple[str, str]:
    return ref.subscription_id.lower(), ref.name.lower()


def to_entity(record: LedgerRecord) -> dict[str, Any]:
    partition, row = _keys(record.ref)
    return {
        "PartitionKey": partition,
        "RowKey": row,
        "GroupName": record.ref.name,
        "LandingZone": record.product.landing_zone,
        "Domain": record.product.domain,
        "Product": record.product.product,
        "Environment": record.product.environment,
        "IdentitySource": record.source,
        "FirstGovernedAt": record.first_governed_at,
        "Artifacts": json.dumps([[a.aspect, a.kind, a.id] for a in record.artifacts], separators=(",", ":")),
    }


def from_entity(entity: Mapping[str, Any]) -> LedgerRecord:
    source: IdentitySource = "tags" if entity.get("IdentitySource") == "tags" else "name"
    first = entity.get("FirstGovernedAt")
    if not isinstance(first, datetime.datetime):
        first = datetime.datetime.fromisoformat(str(first))
    artifacts = tuple(Artifact(str(a), str(k), str(i)) for a, k, i in json.loads(entity.get("Artifacts") or "[]"))
    etag = entity.metadata.get("etag") if isinstance(entity, TableEntity) else None
    return LedgerRecord(
        ref=GroupRef(str(entity["PartitionKey"]), str(entity.get("GroupName") or entity["RowKey"])),
        product=DataProduct(
            str(entity.get("LandingZone", "")),
            str(entity["Domain"]),
            str(entity["Product"]),
            str(entity["Environment"]),
        ),
        source=source,
        first_governed_at=first,
        artifacts=artifacts,
        etag=etag,
    )


class TableLedger:
    """``shared.ledger.Ledger`` over one Azure Table."""

    def __init__(self, table: TableClient) -> None:
        self._table = table

    async def get(self, ref: GroupRef) -> LedgerRecord | None:
        partition, row = _keys(ref)
        try:
            entity = await self._table.get_entity(partition, row)
        except ResourceNotFoundError:  # no such row, or no table yet
            return None
        return from_entity(entity)

    async def list(self, subscription_id: str) -> Mapping[GroupRef, LedgerRecord]:
        records: dict[GroupRef, LedgerRecord] = {}
        query = self._table.query_entities(
            "PartitionKey eq @partition", parameters={"partition": subscription_id.lower()}
        )
        try:
            async for entity in query:
                record = from_entity(entity)
                records[record.ref] = record
        except ResourceNotFoundError:  # no table yet: nothing recorded
            return {}
        return records

    async def create(self, record: LedgerRecord) -> LedgerRecord:
        entity = to_entity(record)
        try:
            try:
                metadata = await self._table.create_entity(entity)
            except ResourceNotFoundError:
                await self._create_table()
                metadata = await self._table.create_entity(entity)
        except ResourceExistsError:
            raise LedgerConflict(f"{record.ref}: a ledger record exists already") from None
        return _with_etag(record, metadata)

    async def replace(self, record: LedgerRecord) -> LedgerRecord:
        try:
            metadata = await self._table.update_entity(
                to_entity(record),
                mode=UpdateMode.REPLACE,
                etag=record.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            raise LedgerConflict(f"{record.ref}: the ledger record changed since it was read") from None
        return _with_etag(record, metadata)

    async def delete(self, ref: GroupRef) -> bool:
        if await self.get(ref) is None:
            return False
        partition, row = _keys(ref)
        await self._table.delete_entity(partition, row)
        return True

    async def _create_table(self) -> None:
        with contextlib.suppress(ResourceExistsError):  # another instance created it first
            await self._table.create_table()


def _with_etag(record: LedgerRecord, metadata: Mapping[str, Any]) -> LedgerRecord:
    etag = metadata.get("etag")
    return LedgerRecord(
        record.ref, record.product, record.source, record.first_governed_at, record.artifacts, etag=etag
    )


def connect_table(
    storage: StorageSettings,
    table_name: str,
    *,
    credential: AsyncTokenCredential,
    transport: AioHttpTransport,
) -> tuple[TableClient, AsyncTokenCredential | None]:
    """The ledger's Table client, and a credential it owns (a user-assigned identity's) if any.

    Identity-based settings win over a connection string, as they should in any deployment.
    """
    options: dict[str, Any] = {
        "transport": transport,
        "user_agent": USER_AGENT,
        "per_call_policies": [ReconcileRequestIdPolicy()],
    }
    if storage.table_endpoint:
        owned: AsyncTokenCredential | None = None
        if storage.client_id:
            owned = credential = ManagedIdentityCredential(client_id=storage.client_id)
        service = TableServiceClient(storage.table_endpoint, credential=credential, **options)
        return service.get_table_client(table_name), owned
    require_storage(storage)
    service = TableServiceClient.from_connection_string(str(storage.connection_string), **options)
    return service.get_table_client(table_name), None


def require_storage(storage: StorageSettings) -> None:
    """Fail with a config error naming the settings when the app's storage account is not set."""
    if not storage.configured:
        raise ConfigError(
            "the ledger needs the Function App's storage account: set AzureWebJobsStorage__tableServiceUri "
            "(or AzureWebJobsStorage__accountName) for managed-identity access, or AzureWebJobsStorage"
        )
