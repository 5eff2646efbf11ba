"""Publish outcome events to an Event Grid custom topic (``DPGOV_OUTCOME_TOPIC_ENDPOINT``).

A thin adapter over ``azure.eventgrid.aio.EventGridPublisherClient``: CloudEvents 1.0 batches
(``application/cloudevents-batch+json``), the app's managed identity (a bearer token for
``https://eventgrid.azure.net``, so the identity needs **EventGrid Data Sender** on the topic), the
engine's shared session. What to publish is decided in ``shared.outcome_events`` (pure).

Publishing never fails or undoes the governance already done, and is never lost silently: the SDK's
retry policy retries 408, 429, 5xx and connection failures (``RETRY_TOTAL`` more attempts with a short
backoff); what still fails is logged at ERROR with the event ids and counted (``stats()``, shown by
``GET /api/health/details``). Ids already published by this instance are not sent again: that is how a
blocked or unclassified group is announced at most once a day, and how a duplicate of a report (two
callers sharing one reconcile) stays one event. The memory is per instance and bounded; another
instance, or this one after a restart, sends the same ids again, and consumers drop them by id.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.messaging import CloudEvent
from azure.core.pipeline.transport import AioHttpTransport
from azure.eventgrid.aio import EventGridPublisherClient

from shared import telemetry
from shared.errors import describe, is_azure_error
from shared.outcome_events import OutcomeEvent, batches, outcome_events
from shared.report import GroupReport

log = logging.getLogger("dpgov.outcomes")

RETRY_TOTAL = 3
RETRY_BACKOFF_FACTOR = 0.5
RETRY_BACKOFF_MAX = 4.0
LOGGED_EVENTS = 20  # events named in one log line; a large first run has tens of thousands
PUBLISH_DEADLINE_SECONDS = 15.0  # all of a run's events, retries included: governance is not kept waiting
SENDS_IN_FLIGHT = 4  # batches (512 KB each) sent at once: a large first run's round trips overlap
REMEMBERED_IDS = 10_000


@dataclass(frozen=True, slots=True)
class OutcomeStats:
    """What this instance published since it started."""

    published: int = 0  # events the topic accepted
    failed: int = 0  # events the topic did not accept after the retries (logged at ERROR)
    repeated: int = 0  # events not sent again: this instance had published the same id already

    def to_dict(self) -> dict[str, int]:
        return {"published": self.published, "failed": self.failed, "repeated": self.repeated}


class PublishedIds:
    """The most recent ids this instance published (oldest forgotten first)."""

    def __init__(self, capacity: int = REMEMBERED_IDS) -> None:
        self._capacity = capacity
        self._ids: collections.OrderedDict[str, None] = collections.OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def discard(self, event_id: str) -> None:
        self._ids.pop(event_id, None)

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        self._ids.move_to_end(event_id)
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)


def cloud_event(event: OutcomeEvent) -> CloudEvent[dict[str, object]]:
    return CloudEvent(
        source=event.source,
        type=event.type.value,
        data=event.data,
        subject=event.subject,
        id=event.id,
        time=event.time,
        datacontenttype="application/json",
    )


class OutcomePublisher:
    """Sends the outcome events of finished reconciles; the reconciler's ``OutcomeSink``."""

    def __init__(
        self,
        endpoint: str,
        credential: AsyncTokenCredential,
        *,
        transport: AioHttpTransport,
        user_agent: str,
        clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        self._client = EventGridPublisherClient(
            endpoint,
            credential,
            transport=transport,
            user_agent=user_agent,
            retry_total=RETRY_TOTAL,
            retry_backoff_factor=RETRY_BACKOFF_FACTOR,
            retry_backoff_max=RETRY_BACKOFF_MAX,
        )
        self._clock = clock
        self._sent = PublishedIds()
        self._stats = OutcomeStats()

    def stats(self) -> OutcomeStats:
        return self._stats

    async def publish(self, reports: Sequence[GroupReport], *, trigger: str) -> None:
        """Never raises and never waits past ``PUBLISH_DEADLINE_SECONDS``: governance is already done."""
        try:
            due = outcome_events(reports, trigger=trigger, now=self._clock())
        except Exception:
            log.exception("building the outcome events of a reconcile failed; none published")
            self._count(failed=1)
            return
        events = [event for event in due if event.id not in self._sent]
        if len(events) < len(due):
            self._count(repeated=len(due) - len(events))
        for event in events:
            self._sent.add(event.id)  # reserved before the send: a concurrent run skips it
        handled: set[str] = set()  # sent, or counted as failed
        slots = asyncio.Semaphore(SENDS_IN_FLIGHT)

        async def send(batch: Sequence[OutcomeEvent]) -> None:
            try:
                await self._send(batch)
                handled.update(event.id for event in batch)
            finally:
                slots.release()

        try:
            async with asyncio.timeout(PUBLISH_DEADLINE_SECONDS), asyncio.TaskGroup() as sending:
                for batch in batches(events):
                    await slots.acquire()
                    sending.create_task(send(batch))
        except TimeoutError:
            unsent = [event for event in events if event.id not in handled]
            self._fail(unsent, f"no answer within {PUBLISH_DEADLINE_SECONDS:.0f} s")

    async def _send(self, batch: Sequence[OutcomeEvent]) -> None:
        try:
            await self._client.send([cloud_event(event) for event in batch])
        except Exception as error:
            if not is_azure_error(error):
                log.exception("publishing outcome events hit a bug")
            self._fail(batch, describe(error))
            return
        self._count(published=len(batch))
        log.info("published %s", listed(f"{event.type.value} {event.id} {event.subject}" for event in batch))

    def _fail(self, batch: Sequence[OutcomeEvent], why: str) -> None:
        for event in batch:
            self._sent.discard(event.id)  # not sent: a redelivered trigger may try again
        ids = listed(f"{event.type.value} {event.id}" for event in batch)
        log.error("publishing %d outcome event(s) failed, not retried further: %s; %s", len(batch), why, ids)
        self._count(failed=len(batch))

    def _count(self, *, published: int = 0, failed: int = 0, repeated: int = 0) -> None:
        telemetry.outcome_events_counted(published=published, failed=failed, repeated=repeated)
        stats = self._stats
        self._stats = OutcomeStats(stats.published + published, stats.failed + failed, stats.repeated + repeated)

    async def close(self) -> None:
        await self._client.close()


def listed(items: Iterable[str], most: int = LOGGED_EVENTS) -> str:
    """The first ``most`` items, and how many more there were: a log line stays readable."""
    items = list(items)
    shown = ", ".join(items[:most])
    return shown if len(items) <= most else f"{shown} and {len(items) - most} more"
