"""An Event Grid publisher for the emulated subscription system topics (docs/emulator.md, "Event Grid").

It does what Event Grid does for a webhook subscription: the validation handshake before accepting
the subscription, one delivery per event per matching subscription (concurrently, so order is not
guaranteed, plus duplicates on demand since delivery is at-least-once), Event Grid's retry
schedule and its no-retry status codes. It keeps a log of every delivery and can tell when nothing
is pending, which is how tests wait for the system to settle.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ..control.models import Delivery, DeliveryOutcome, DeliverySettings, EventSchema
from .events import to_cloud_event, validation_event

__all__ = ["EventGridPublisher", "EventSubscription", "HandshakeError"]

# Event Grid's retry schedule (seconds); the last step repeats.
RETRY_SCHEDULE = (10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200)
DEFAULT_TTL_SECONDS = 1440 * 60
NO_RETRY_STATUSES = frozenset({400, 401, 403, 413})
# Minimum wait before retrying after these statuses.
MINIMUM_RETRY_AFTER = {503: 30, 408: 120}
ORIGIN = "eventgrid.azure.net"
HANDSHAKE_TIMEOUT_SECONDS = 30.0


class HandshakeError(Exception):
    """The endpoint did not complete the validation handshake; nothing was registered."""


@dataclass(frozen=True)
class EventSubscription:
    """A webhook event subscription on the subscription topics."""

    name: str
    endpoint: str
    schema: EventSchema
    subscription_id: str | None = None
    included_event_types: tuple[str, ...] | None = None

    def wants(self, event: dict[str, Any]) -> bool:
        source_subscription = str(event["data"].get("subscriptionId", ""))
        if self.subscription_id is not None and source_subscription.casefold() != self.subscription_id.casefold():
            return False
        if self.included_event_types is not None:
            return event["eventType"].casefold() in {t.casefold() for t in self.included_event_types}
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "endpoint": self.endpoint,
            "schema": self.schema,
            "subscriptionId": self.subscription_id,
            "includedEventTypes": list(self.included_event_types) if self.included_event_types else None,
        }


@dataclass
class _DeliveryRecord:
    delivery_id: str
    event: dict[str, Any]
    subscription: EventSubscription
    attempts: int = 0
    outcome: DeliveryOutcome = "pending"
    statuses: list[int | None] = field(default_factory=list)

    def to_model(self) -> Delivery:
        return Delivery(
            delivery_id=self.delivery_id,
            event_id=self.event["id"],
            event_type=self.event["eventType"],
            subject=self.event["subject"],
            operation_name=str(self.event["data"].get("operationName", "")),
            subscription_name=self.subscription.name,
            attempts=self.attempts,
            outcome=self.outcome,
            last_status=self.statuses[-1] if self.statuses else None,
            statuses=tuple(self.statuses),
        )


class EventGridPublisher:
    """Delivers events to webhook subscriptions; owned by the emulator, one per process."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self.settings = DeliverySettings()
        self._subscriptions: dict[str, EventSubscription] = {}
        self._records: list[_DeliveryRecord] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(ssl=self._ssl_context, limit=200)
        self._session = aiohttp.ClientSession(connector=connector)

    async def close(self) -> None:
        await self.reset()
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("publisher not started")
        return self._session

    async def reset(self) -> None:
        """Forget subscriptions, deliveries and settings; cancel deliveries in flight."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._subscriptions.clear()
        self._records.clear()
        self.settings = DeliverySettings()
        self._busy = 0
        self._idle.set()

    # -- subscriptions ---------------------------------------------------------------------------

    def subscriptions(self) -> list[EventSubscription]:
        return list(self._subscriptions.values())

    async def add_subscription(self, subscription: EventSubscription) -> None:
        """Validate the endpoint as Event Grid does, then register (or replace) the subscription."""
        if subscription.schema == "EventGridSchema":
            await self._validate_event_grid(subscription)
        else:
            await self._validate_cloud_events(subscription)
        self._subscriptions[subscription.name.casefold()] = subscription

    def remove_subscription(self, name: str) -> bool:
        return self._subscriptions.pop(name.casefold(), None) is not None

    async def _validate_event_grid(self, subscription: EventSubscription) -> None:
        code = str(uuid.uuid4()).upper()
        topic = f"/subscriptions/{subscription.subscription_id or '00000000-0000-0000-0000-000000000000'}"
        body = json.dumps([validation_event(topic, subscription.name, code)])
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "aeg-event-type": "SubscriptionValidation",
            "aeg-subscription-name": subscription.name.upper(),
            "aeg-delivery-count": "0",
            "aeg-data-version": "1",
            "aeg-metadata-version": "1",
        }
        try:
            async with self.session.post(
                subscription.endpoint,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=HANDSHAKE_TIMEOUT_SECONDS),
                allow_redirects=False,
            ) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            raise HandshakeError(
                f"Webhook validation handshake failed for {subscription.endpoint}: "
                f"Http POST request failed: {type(error).__name__}: {error}"
            ) from error
        if status != 200:
            raise HandshakeError(
                f"Webhook validation handshake failed for {subscription.endpoint}: "
                f"Http POST request returned {status}; only 200 with the validation code is accepted."
            )
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        returned = answer.get("validationResponse") if isinstance(answer, dict) else None
        if not isinstance(returned, str) or returned.casefold() != code.casefold():
            raise HandshakeError(
                f"Webhook validation handshake failed for {subscription.endpoint}: the response did not "
                f"contain validationResponse '{code}' (got {text[:200]!r})."
            )

    async def _validate_cloud_events(self, subscription: EventSubscription) -> None:
        try:
            async with self.session.options(
                subscription.endpoint,
                headers={"WebHook-Request-Origin": ORIGIN},
                timeout=aiohttp.ClientTimeout(total=HANDSHAKE_TIMEOUT_SECONDS),
                allow_redirects=False,
            ) as response:
                status = response.status
                allowed = response.headers.get("WebHook-Allowed-Origin", "")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise HandshakeError(
                f"CloudEvents abuse-protection handshake failed for {subscription.endpoint}: "
                f"Http OPTIONS request failed: {type(error).__name__}: {error}"
            ) from error
        if status != 200 or allowed.strip() not in {ORIGIN, "*"}:
            raise HandshakeError(
                f"CloudEvents abuse-protection handshake failed for {subscription.endpoint}: OPTIONS returned "
                f"{status} with WebHook-Allowed-Origin {allowed!r}; expected '{ORIGIN}' or '*'."
            )

    # -- delivery --------------------------------------------------------------------------------

    def publish(self, event: dict[str, Any]) -> None:
        """Queue deliveries of ``event`` to every matching subscription (and duplicates)."""
        for subscription in self._subscriptions.values():
            if not subscription.wants(event):
                continue
            for _ in range(1 + self.settings.duplicates):
                record = _DeliveryRecord(str(uuid.uuid4()), event, subscription)
                self._records.append(record)
                self._spawn(self._deliver(record))

    def hold(self) -> None:
        """Count an event that will be published later (a running LRO) as pending work."""
        self._busy += 1
        self._idle.clear()

    def release(self) -> None:
        self._busy = max(0, self._busy - 1)
        if self._busy == 0:
            self._idle.set()

    def deliveries(self) -> list[Delivery]:
        return [record.to_model() for record in self._records]

    async def wait_idle(self, seconds: float) -> bool:
        """True once nothing is pending or in flight; False if ``seconds`` passed first."""
        try:
            async with asyncio.timeout(seconds):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    def _spawn(self, coroutine: Any) -> None:
        self.hold()
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled():
                self.release()

        task.add_done_callback(done)

    async def _deliver(self, record: _DeliveryRecord) -> None:
        subscription, event = record.subscription, record.event
        if subscription.schema == "EventGridSchema":
            body = json.dumps([event])
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "aeg-data-version": str(event.get("dataVersion", "")),
                "aeg-metadata-version": str(event.get("metadataVersion", "1")),
            }
        else:
            body = json.dumps(to_cloud_event(event))
            headers = {"Content-Type": "application/cloudevents+json; charset=utf-8", "aeg-metadata-version": "1.0"}
        headers.update(
            {
                "aeg-event-type": "Notification",
                "aeg-subscription-name": subscription.name.upper(),
                "aeg-output-event-id": event["id"],
            }
        )
        started = time.monotonic()
        while True:
            settings = self.settings
            headers["aeg-delivery-count"] = str(record.attempts)
            status = await self._attempt(subscription.endpoint, body, headers, settings.response_timeout)
            record.attempts += 1
            record.statuses.append(status)
            if status is not None and 200 <= status <= 204:
                record.outcome = "delivered"
                return
            if status in NO_RETRY_STATUSES:
                record.outcome = "dropped"
                return
            if record.attempts >= settings.max_attempts:
                record.outcome = "exhausted"
                return
            step = RETRY_SCHEDULE[min(record.attempts - 1, len(RETRY_SCHEDULE) - 1)]
            await asyncio.sleep(max(step, MINIMUM_RETRY_AFTER.get(status or 0, 0)) * settings.retry_scale)
            # Event Grid checks the time to live only when the next scheduled attempt comes round, so
            # an event whose TTL ends between two attempts stays pending until then.
            if time.monotonic() - started > DEFAULT_TTL_SECONDS * self.settings.retry_scale:
                record.outcome = "exhausted"
                return

    async def _attempt(self, endpoint: str, body: str, headers: dict[str, str], limit: float) -> int | None:
        try:
            async with self.session.post(
                endpoint,
                data=body.encode("utf-8"),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=limit),
                allow_redirects=False,  # Event Grid counts a 3xx as a failed attempt; it does not follow it
            ) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError, OSError):
            return None
