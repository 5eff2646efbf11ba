"""One id per reconcile, sent as ``x-ms-client-request-id`` on every Azure request it makes.

ARM records the client request id in its activity log (and in the ``httpRequest`` of the events
its writes raise), so an operator can match what Azure saw to the app's log line for the reconcile:
the triggering event's id, or a fresh id per HTTP call or timer run. The id travels in a context
variable, which every task the reconcile starts inherits; ``shared.azure.request_id`` puts it on
the wire.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

client_request_id: ContextVar[str | None] = ContextVar("dpgov_client_request_id", default=None)


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
