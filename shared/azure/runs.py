"""The estate fan-out's storage: the reconcile queue and the runs table, in the app's own account.

**Queue** (``DPGOV_RECONCILE_QUEUE``, ``azure-storage-queue``): one message per landing zone of a
run, JSON base64-encoded as the Functions host's queue trigger expects by default. Created on the
first send that finds it missing.

**Runs table** (``DPGOV_RUNS_TABLE``, ``azure-data-tables``): partition = the run id; row ``run``
says which zones the run has, when it started, dry run or not and what started it; row
``zone-<name>`` is what the queue function recorded for that zone (state, attempts, the last
transient error, and once done its report). A zone's report is gzip-compressed JSON split over
binary properties of at most 64 KiB (``Report0``…, the Table service's property limit), at most
``_MAX_PARTS`` of them so the entity stays under the 1 MiB entity limit; a report larger than that
(tens of thousands of groups in one zone) is stored without its groups (``groups_omitted``: how many),
its summary and condition counts intact.

Authentication as the ledger's: the managed identity through ``AzureWebJobsStorage__queueServiceUri``
and ``__tableServiceUri`` (*Storage Queue Data Contributor*, *Storage Table Data Contributor*), or
the connection string locally. Never a key in config or code.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.core.pipeline.transport import AioHttpTransport
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient
from azure.storage.queue import TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient

from shared.config import ConfigError
from shared.fanout import Run, ZoneMessage, ZoneRecord, ZoneState, messages
from shared.settings import StorageSettings

USER_AGENT = "dpgov/0.1"
RUN_ROW = "run"
_PART_BYTES = 64 * 1024
_PROGRESS_COLUMNS = [  # what progress needs: the run row, and each zone's state without its report
    *("RowKey", "Zones", "DryRun", "Trigger", "CreatedAt"),
    *("LandingZone", "State", "Attempts", "UpdatedAt"),
]
_MAX_PARTS = 14  # 14 parts of 64 KiB + the other properties < 1 MiB


def _zone_row(zone: str) -> str:
    return f"zone-{zone}"


def pack_report(report: Mapping[str, Any]) -> dict[str, Any]:
    """The report as the entity's binary properties (``ReportParts``, ``Report0``…)."""
    data = gzip.compress(json.dumps(report, separators=(",", ":")).encode())
    if len(data) > _PART_BYTES * _MAX_PARTS:
        groups = report.get("groups") or []
        slim = {**report, "groups": [], "groups_omitted": len(groups)}
        data = gzip.compress(json.dumps(slim, separators=(",", ":")).encode())
    parts = [data[i : i + _PART_BYTES] for i in range(0, len(data), _PART_BYTES)]
    return {"ReportParts": len(parts), **{f"Report{i}": part for i, part in enumerate(parts)}}


def unpack_report(entity: Mapping[str, Any]) -> dict[str, Any] | None:
    count = int(entity.get("ReportParts") or 0)
    if not count:
        return None
    data = b"".join(bytes(entity[f"Report{i}"]) for i in range(count))
    loaded = json.loads(gzip.decompress(data))
    return loaded if isinstance(loaded, dict) else None


def _moment(value: object) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    return datetime.datetime.fromisoformat(str(value))


class RunStore:
    """Runs and their zones' records over one Azure Table."""

    def __init__(self, table: TableClient) -> None:
        self._table = table

    async def start(self, run: Run) -> None:
        entity = {
            "PartitionKey": run.run_id,
            "RowKey": RUN_ROW,
            "Zones": json.dumps(list(run.zones)),
            "DryRun": run.dry_run,
            "Trigger": run.trigger,
            "CreatedAt": run.created_at,
        }
        await self._upsert(entity)

    async def record(self, run_id: str, record: ZoneRecord) -> None:
        """Replace the zone's record (a redelivered message's record replaces the earlier one)."""
        entity: dict[str, Any] = {
            "PartitionKey": run_id,
            "RowKey": _zone_row(record.landing_zone),
            "LandingZone": record.landing_zone,
            "State": record.state.value,
            "Attempts": record.attempts,
            "UpdatedAt": record.updated_at,
            "Error": (record.error or "")[:4000],
        }
        if record.report is not None:
            entity.update(pack_report(record.report))
        await self._upsert(entity)

    async def _upsert(self, entity: Mapping[str, Any]) -> None:
        """Insert or replace; the table is created on the first write that finds it missing."""
        try:
            await self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)
        except ResourceNotFoundError:
            with contextlib.suppress(ResourceExistsError):  # another instance created it first
                await self._table.create_table()
            await self._table.upsert_entity(entity, mode=UpdateMode.REPLACE)

    async def get(self, run_id: str, *, reports: bool = True) -> tuple[Run, list[ZoneRecord]] | None:
        """The run and its zones' records (without their reports unless ``reports``); None: no such run."""
        run: Run | None = None
        records: list[ZoneRecord] = []
        select = None if reports else _PROGRESS_COLUMNS
        query = self._table.query_entities("PartitionKey eq @run", parameters={"run": run_id}, select=select)
        try:
            async for entity in query:
                if entity["RowKey"] == RUN_ROW:
                    run = Run(
                        run_id,
                        tuple(json.loads(entity.get("Zones") or "[]")),
                        bool(entity.get("DryRun")),
                        str(entity.get("Trigger") or ""),
                        _moment(entity.get("CreatedAt")),
                    )
                else:
                    records.append(
                        ZoneRecord(
                            str(entity.get("LandingZone")),
                            ZoneState(str(entity.get("State"))),
                            int(entity.get("Attempts") or 0),
                            _moment(entity.get("UpdatedAt")),
                            unpack_report(entity),
                            str(entity.get("Error") or "") or None,
                        )
                    )
        except ResourceNotFoundError:  # no table yet: no run
            return None
        return (run, records) if run is not None else None


class RunQueue:
    """Sends zone messages to the reconcile queue."""

    def __init__(self, queue: QueueClient | None) -> None:
        self._queue = queue

    async def send(self, messages: Sequence[ZoneMessage]) -> None:
        if self._queue is None:
            raise ConfigError(
                "the estate fan-out needs the Function App's queue service: set AzureWebJobsStorage__queueServiceUri "
                "(or AzureWebJobsStorage__accountName) for managed-identity access, or AzureWebJobsStorage"
            )
        for message in messages:
            try:
                await self._queue.send_message(message.to_json())
            except ResourceNotFoundError:
                with contextlib.suppress(ResourceExistsError):
                    await self._queue.create_queue()
                await self._queue.send_message(message.to_json())

    async def close(self) -> None:
        if self._queue is not None:
            await self._queue.close()


def connect_queue(
    storage: StorageSettings,
    queue_name: str,
    *,
    credential: AsyncTokenCredential,
    transport: AioHttpTransport,
) -> QueueClient | None:
    """The reconcile queue's client (identity first, as the ledger's table); None when not configured."""
    options: dict[str, Any] = {
        "transport": transport,
        "user_agent": USER_AGENT,
        "message_encode_policy": TextBase64EncodePolicy(),
    }
    if storage.queue_endpoint:
        return QueueClient(storage.queue_endpoint, queue_name, credential=credential, **options)
    if storage.connection_string:
        return QueueClient.from_connection_string(storage.connection_string, queue_name, **options)
    return None


async def start_run(
    runs: RunStore,
    queue: RunQueue,
    zones: Sequence[str],
    *,
    dry_run: bool,
    trigger: str,
    request_id: str | None,
    graph_min_zones: int | None = None,
) -> Run:
    """Record a new run, then enqueue one message per landing zone, or per batch of
    ``graph_min_zones`` zones in a large estate (the run exists before any message)."""
    run = Run(str(uuid.uuid4()), tuple(zones), dry_run, trigger, datetime.datetime.now(datetime.UTC))
    await runs.start(run)
    batch = messages(
        run.run_id, run.zones, dry_run=dry_run, request_id=request_id, trigger=trigger, graph_min_zones=graph_min_zones
    )
    await queue.send(batch)
    return run
