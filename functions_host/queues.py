"""Queue triggers, the way the Storage queues extension runs them (dev and test only).

One listener per queue-triggered function polls its queue (Azurite locally) through
``azure-storage-queue``, as the extension's ``QueueListener`` does:

- **Polling with back-off**: a batch of up to ``batchSize`` (16) messages at a time; when the queue
  is empty (or does not exist yet) the wait doubles from 100 ms up to ``maxPollingInterval`` (host.json,
  default one minute), and a message found resets it. The messages of a batch run concurrently.
- **Visibility**: a message being processed is invisible for the function timeout (host.json
  ``functionTimeout``, default 10 min); on success it is deleted, on failure made visible again
  after ``visibilityTimeout`` (host.json, default 0: retried at once).
- **Dequeue count and poison**: a message whose invocation fails on its ``maxDequeueCount``-th
  dequeue (host.json, default 5), or that is dequeued more often than that, is copied to
  ``<queue>-poison`` (created if missing) and deleted, and the host logs it at ERROR with the error.
- **Encoding**: ``messageEncoding`` ``base64`` (the default) decodes the message text from base64
  before the function sees it; a message that is not base64 is a failed invocation (so it ends in the
  poison queue); ``none`` passes the text as is.
- **Connection**: the binding's ``connection`` names an app setting: a connection string in it wins
  (local development), else ``<connection>__queueServiceUri`` (or ``__accountName``) with a managed
  identity (``__clientId`` for a user-assigned one), as the extension reads identity-based
  connections.

Where it differs from Azure: one instance (no scale-out, no lease on the queue, no scale controller);
no visibility renewal while a function runs (the lease is the whole function timeout instead); a new
batch is fetched when the whole previous batch is done, not at ``newBatchThreshold``; the poison
message is a copy with a new id and insertion time (as in Azure), and no ``x-ms-...`` diagnostic
metadata is added.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.functions import meta
from azure.functions.queue import QueueMessage, QueueMessageInConverter
from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential
from azure.storage.queue import QueueMessage as StoredMessage
from azure.storage.queue.aio import QueueClient

from functions_host.functions import FunctionSpec, InvocationFailed, Invoker

__all__ = ["QueueListener", "QueueOptions", "make_queue_message", "open_listener", "read_queue_options"]

_log = logging.getLogger("functions_host")
_MIN_POLLING_SECONDS = 0.1
_DEFAULT_FUNCTION_TIMEOUT_SECONDS = 600


@dataclass(frozen=True, slots=True)
class QueueOptions:
    """host.json ``extensions.queues`` (the extension's defaults when unset)."""

    max_polling_seconds: float = 60.0
    visibility_timeout_seconds: float = 0.0
    batch_size: int = 16
    max_dequeue_count: int = 5
    base64: bool = True
    function_timeout_seconds: int = _DEFAULT_FUNCTION_TIMEOUT_SECONDS


def _seconds(value: object, default: float) -> float:
    if value is None:
        return default
    parts = str(value).split(":")
    if len(parts) != 3:
        raise ValueError(f"host.json: {value!r} is not a TimeSpan (hh:mm:ss)")
    hours, minutes, seconds = (float(part) for part in parts)
    return hours * 3600 + minutes * 60 + seconds


def read_queue_options(host_json: Mapping[str, Any] | None) -> QueueOptions:
    config = host_json or {}
    extensions = config.get("extensions")
    queues = extensions.get("queues") if isinstance(extensions, Mapping) else None
    queues = queues if isinstance(queues, Mapping) else {}
    defaults = QueueOptions()
    return QueueOptions(
        max_polling_seconds=_seconds(queues.get("maxPollingInterval"), defaults.max_polling_seconds),
        visibility_timeout_seconds=_seconds(queues.get("visibilityTimeout"), defaults.visibility_timeout_seconds),
        batch_size=max(1, min(32, int(queues.get("batchSize", defaults.batch_size)))),
        max_dequeue_count=max(1, int(queues.get("maxDequeueCount", defaults.max_dequeue_count))),
        base64=str(queues.get("messageEncoding", "base64")).lower() != "none",
        function_timeout_seconds=int(_seconds(config.get("functionTimeout"), _DEFAULT_FUNCTION_TIMEOUT_SECONDS)),
    )


def _connect(
    connection: str, names: tuple[str, str], environ: Mapping[str, str]
) -> tuple[QueueClient, QueueClient, AsyncTokenCredential | None]:
    """Clients for the queue and its poison queue through the connection named ``connection``, and a
    credential they share (closed by the caller)."""
    connection_string = (environ.get(connection) or "").strip()
    if connection_string:
        queue, poison = (QueueClient.from_connection_string(connection_string, name) for name in names)
        return queue, poison, None
    uri = (environ.get(f"{connection}__queueServiceUri") or "").strip()
    account = (environ.get(f"{connection}__accountName") or "").strip()
    if not uri and account:
        uri = f"https://{account}.queue.core.windows.net"
    if not uri:
        raise ValueError(f"the connection {connection!r} has no connection string and no queueServiceUri")
    client_id = (environ.get(f"{connection}__clientId") or "").strip()
    credential: AsyncTokenCredential = (
        ManagedIdentityCredential(client_id=client_id) if client_id else DefaultAzureCredential()
    )
    queue, poison = (QueueClient(uri, name, credential=credential) for name in names)
    return queue, poison, credential


def open_listener(
    spec: FunctionSpec,
    queue_name: str,
    connection: str,
    environ: Mapping[str, str],
    *,
    invoker: Invoker,
    options: QueueOptions,
) -> QueueListener:
    """The listener of one queue-triggered function (``run`` it; ``close`` it)."""
    queue, poison, credential = _connect(connection, (queue_name, f"{queue_name}-poison"), environ)
    return QueueListener(spec, queue_name, queue, poison, invoker=invoker, options=options, credential=credential)


def make_queue_message(
    body: bytes,
    *,
    message_id: str,
    dequeue_count: int,
    inserted_on: datetime.datetime | None = None,
    expires_on: datetime.datetime | None = None,
    next_visible_on: datetime.datetime | None = None,
    pop_receipt: str | None = None,
) -> QueueMessage:
    """The QueueMessage the worker builds from the host's trigger payload and metadata."""

    def text(value: object) -> meta.Datum:
        return meta.Datum(type="string", value=str(value))

    metadata = {"Id": text(message_id), "DequeueCount": meta.Datum(type="int", value=dequeue_count)}
    for name, moment in (("InsertionTime", inserted_on), ("ExpirationTime", expires_on)):
        if moment is not None:
            metadata[name] = text(moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    if next_visible_on is not None:
        metadata["NextVisibleTime"] = text(next_visible_on.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"))
    if pop_receipt is not None:
        metadata["PopReceipt"] = text(pop_receipt)
    message = QueueMessageInConverter.decode(meta.Datum(type="bytes", value=body), trigger_metadata=metadata)
    assert isinstance(message, QueueMessage)
    return message


class QueueListener:
    """Polls one queue for one function until ``close``."""

    def __init__(
        self,
        spec: FunctionSpec,
        queue_name: str,
        client: QueueClient,
        poison: QueueClient,
        *,
        invoker: Invoker,
        options: QueueOptions,
        credential: AsyncTokenCredential | None = None,
    ) -> None:
        self._credential = credential
        self._spec = spec
        self._queue_name = queue_name
        self._client = client
        self._poison = poison
        self._invoker = invoker
        self._options = options

    async def run(self) -> None:
        delay = _MIN_POLLING_SECONDS
        missing_logged = False
        while True:
            try:
                batch = [
                    message
                    async for message in self._client.receive_messages(
                        messages_per_page=self._options.batch_size,
                        max_messages=self._options.batch_size,
                        visibility_timeout=self._options.function_timeout_seconds,
                    )
                ]
            except ResourceNotFoundError:
                if not missing_logged:
                    _log.info("Queue '%s' does not exist yet; polling until it does", self._queue_name)
                    missing_logged = True
                batch = []
            except Exception as error:  # storage unreachable: back off, as the listener does
                _log.warning("Polling queue '%s' failed: %s", self._queue_name, error)
                batch = []
            if not batch:
                await asyncio.sleep(delay)
                delay = min(self._options.max_polling_seconds, delay * 2)
                continue
            missing_logged, delay = False, _MIN_POLLING_SECONDS
            await asyncio.gather(*(self._process(message) for message in batch))

    async def _process(self, message: StoredMessage) -> None:
        count = int(message.dequeue_count or 1)
        if count > self._options.max_dequeue_count:
            await self._to_poison(message, count, None)
            return
        raw = str(message.content or "")

        def bind() -> object:
            body = raw.encode()
            if self._options.base64:
                try:
                    body = base64.b64decode(body, validate=True)
                except (binascii.Error, ValueError) as error:
                    raise ValueError(f"the message is not valid base64 (messageEncoding is base64): {error}") from None
            return make_queue_message(
                body,
                message_id=str(message.id),
                dequeue_count=count,
                inserted_on=message.inserted_on,
                expires_on=message.expires_on,
                next_visible_on=message.next_visible_on,
                pop_receipt=message.pop_receipt,
            )

        reason = f"New queue message detected on '{self._queue_name}'."
        try:
            await self._invoker.invoke(self._spec, bind, reason=reason, retry_count=count - 1)
        except InvocationFailed as failure:
            if count >= self._options.max_dequeue_count:
                await self._to_poison(message, count, failure)
            else:
                with contextlib.suppress(ResourceNotFoundError):  # deleted meanwhile (a reset)
                    await self._client.update_message(
                        message, visibility_timeout=int(self._options.visibility_timeout_seconds)
                    )
            return
        with contextlib.suppress(ResourceNotFoundError):
            await self._client.delete_message(message)

    async def _to_poison(self, message: StoredMessage, count: int, failure: InvocationFailed | None) -> None:
        poison_name = f"{self._queue_name}-poison"
        _log.error(
            "Message has reached MaxDequeueCount of %d. Moving message %s (dequeued %d times) to queue '%s'.%s",
            self._options.max_dequeue_count,
            message.id,
            count,
            poison_name,
            f" Last error: {failure}" if failure is not None else "",
        )
        content = str(message.content or "")
        try:
            await self._poison.send_message(content)
        except ResourceNotFoundError:
            with contextlib.suppress(ResourceExistsError):
                await self._poison.create_queue()
            await self._poison.send_message(content)
        with contextlib.suppress(ResourceNotFoundError):
            await self._client.delete_message(message)

    async def close(self) -> None:
        await self._client.close()
        await self._poison.close()
        if self._credential is not None:
            await self._credential.close()
