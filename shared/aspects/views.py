"""Small building blocks for aspects' bulk observation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from shared.aspects.base import Reads, Target

T = TypeVar("T")


class ViaReads(Generic[T]):
    """The zone view of an aspect that observes only through the shared reads.

    Such an aspect needs no list of its own: in bulk mode the shared reads already answer from one
    paged list per subscription, so its single-group ``observe`` is its bulk observation too.
    """

    def __init__(self, observe: Callable[[Target, Reads], Awaitable[T]], reads: Reads) -> None:
        self._observe = observe
        self._reads = reads

    async def get(self, target: Target) -> T:
        return await self._observe(target, self._reads)
