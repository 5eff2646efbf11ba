"""One id per reconcile, sent as ``x-ms-client-request-id`` on every Azure request it makes.

ARM records the client request id in its activity log (and in the ``httpRequest`` of the events
its writes raise), so an operator can match what Azure saw to the app's log line for the reconcile:
the triggering event's id, or a fresh id per HTTP call or timer run. The id travels in a context
variable, which every task the reconcile starts inherits; ``shared.azure.request_id`` puts it on
the wire.

What started a reconcile (an event, with its ``eventTime``; an HTTP call; the timer) travels the same
way, set by the function that was triggered (``triggered_by``), so telemetry can say it without the
engine's signatures knowing about triggers.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

client_request_id: ContextVar[str | None] = ContextVar("dpgov_client_request_id", default=None)


class Trigger(StrEnum):
    """What started a reconcile."""

    EVENT = "event"  # an Event Grid event about the group
    HTTP = "http"  # an operator's HTTP call (sync, dry run, inventory, unpin)
    TIMER = "timer"  # the reconcile timer
    DIRECT = "direct"  # called directly: the operator CLI, a test


@dataclass(frozen=True, slots=True)
class Origin:
    """The trigger of the reconciles in this context, and for an event, when Azure raised it."""

    trigger: Trigger
    event_time: datetime.datetime | None = None  # the event's eventTime (CloudEvents: time), timezone-aware


origin: ContextVar[Origin | None] = ContextVar("dpgov_origin", default=None)
_DIRECT = Origin(Trigger.DIRECT)


def current_origin() -> Origin:
    """The trigger of the reconciles in this context (``direct`` when no function said)."""
    return origin.get() or _DIRECT


def new_request_id() -> str:
    return str(uuid.uuid4())


@contextmanager
def reconcile_id(request_id: str | None = None) -> Iterator[str]:
    """Run the block (and every task it starts) under one client request id."""
    value = request_id or new_request_id()
    token = client_request_id.set(value)
    try:
        yield value
    finally:
        client_request_id.reset(token)


@contextmanager
def triggered_by(trigger: Trigger, *, event_time: datetime.datetime | None = None) -> Iterator[Origin]:
    """Run the block (and every task it starts) as reconciles started by ``trigger``.

    A naive ``event_time`` is taken as UTC (Event Grid's times are UTC).
    """
    if event_time is not None and event_time.tzinfo is None:
        event_time = event_time.replace(tzinfo=datetime.UTC)
    value = Origin(trigger, event_time)
    token = origin.set(value)
    try:
        yield value
    finally:
        origin.reset(token)
