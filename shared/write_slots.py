"""Write slots: at most N actions with requests in flight, and waiting does not occupy a slot.

The reconciler runs each action inside a slot (``DPGOV_MAX_CONCURRENCY`` of them). An action that
has to wait between requests — a new Purview collection still provisioning, a new principal not yet
replicated to ARM's directory — waits inside ``released()``: its slot goes to another action
meanwhile and is taken back before its next request. Without it, a burst of new products would
spend its concurrency sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["WriteSlots", "released"]


@dataclass(slots=True)
class _Slot:
    semaphore: asyncio.Semaphore
    lent: bool = False


_current: ContextVar[_Slot | None] = ContextVar("dpgov_write_slot", default=None)


class WriteSlots:
    """``size`` slots; ``held()`` runs a block in one."""

    def __init__(self, size: int) -> None:
        self._semaphore = asyncio.Semaphore(size)

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        await self._semaphore.acquire()
        slot = _Slot(self._semaphore)
        token = _current.set(slot)
        try:
            yield
        finally:
            _current.reset(token)
            if not slot.lent:  # not given back by a released() whose re-acquire was cancelled
                self._semaphore.release()


@asynccontextmanager
async def released() -> AsyncIterator[None]:
    """Give the current slot back for the block (a wait, no request); a no-op outside a slot."""
    slot = _current.get()
    if slot is None or slot.lent:
        yield
        return
    slot.lent = True
    slot.semaphore.release()
    try:
        yield
    finally:
        await slot.semaphore.acquire()
        slot.lent = False
