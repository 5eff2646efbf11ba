"""What a burst of events costs: the rules, pure (times are passed in, nothing here waits or reads).

Two rules keep a burst cheap, both per instance:

1. **Coalescing, leading and trailing edge.** The first request for a group reconciles at once.
   Requests for the same group that arrive while that run is in flight, or within ``window`` seconds
   after a run of the group ended, share **one** trailing run, which starts once the run in flight has
   finished and no request has joined it for ``window`` seconds (it reads Azure after every joined
   change). A steady stream cannot starve it: it starts at the latest ``MAX_DELAY_WINDOWS`` windows
   after its first request (5 s with the default 1 s window), whatever keeps arriving; requests after
   that start share the next trailing run. Each caller waits for the run it shares, so an event is
   acknowledged only when a reconcile that read Azure after its change has finished.
2. **Screening.** A resource write cannot make its group a data product (only the group's own name,
   write or tags can). With tag recognition on, a group the name cannot identify must be read to
   learn whether its tags make it one; ``RecentGroups`` remembers, for ``RECENT_GROUP_TTL_SECONDS``,
   the groups read and found not to be data products, so further resource writes there are
   acknowledged without reading the group again (the caller also checks the ledger for a pin another
   instance may have written since).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from shared.model import GroupRef

MAX_DELAY_WINDOWS = 5
"""A trailing run starts at most this many windows after its first request (the starvation bound)."""

RECENT_GROUP_TTL_SECONDS = 60.0
"""How long a read that found a group not to be a data product screens resource writes in it."""

RECENT_GROUP_LIMIT = 100_000
"""At most this many groups are remembered (the oldest are forgotten first): memory stays bounded."""


@dataclass(frozen=True, slots=True)
class Coalescing:
    """The trailing-edge window of one instance's reconciles of a group (seconds; 0: none)."""

    window: float = 0.0

    @property
    def max_delay(self) -> float:
        """The longest a trailing run waits after its first request, however many keep arriving."""
        return self.window * MAX_DELAY_WINDOWS

    def trails(self, now: float, last_ended: float | None) -> bool:
        """Whether a request arriving ``now``, with no run in flight, joins a trailing run.

        True within the window after the group's last run ended; otherwise it is a leading edge.
        """
        return last_ended is not None and now - last_ended < self.window

    def start_at(self, first: float, last: float) -> float:
        """When a trailing run whose requests arrived from ``first`` to ``last`` may start.

        The window after its latest request, bounded by ``max_delay`` after its first (and never
        before the run in flight has finished: the caller waits for that first).
        """
        return min(last + self.window, first + self.max_delay)


@dataclass(frozen=True, slots=True)
class NotAProduct:
    """A group read at ``read_at`` and found not to be a data product, and why."""

    read_at: float
    reason: str


class RecentGroups:
    """Groups this instance recently read and found not to be data products, for a short TTL.

    In-memory and per instance; forgotten on restart. Only ``record`` and ``forget`` change it, and
    only with what a read of the group found.
    """

    def __init__(self, ttl: float = RECENT_GROUP_TTL_SECONDS, limit: int = RECENT_GROUP_LIMIT) -> None:
        self._ttl = ttl
        self._limit = limit
        self._groups: OrderedDict[tuple[str, str], NotAProduct] = OrderedDict()  # oldest read first

    def __len__(self) -> int:
        return len(self._groups)

    def record(self, ref: GroupRef, now: float, reason: str) -> None:
        """A read at ``now`` found the group not to be a data product."""
        self._groups.pop(ref.key, None)
        self._groups[ref.key] = NotAProduct(now, reason)
        self._expire(now)
        while len(self._groups) > self._limit:
            self._groups.popitem(last=False)

    def forget(self, ref: GroupRef) -> None:
        """A read found the group to be a data product (or gone): nothing is screened any more."""
        self._groups.pop(ref.key, None)

    def not_a_product(self, ref: GroupRef, now: float) -> NotAProduct | None:
        """What a read within the TTL found, when it found the group not to be a data product."""
        self._expire(now)
        return self._groups.get(ref.key)

    def _expire(self, now: float) -> None:
        while self._groups:
            key, entry = next(iter(self._groups.items()))
            if now - entry.read_at < self._ttl:
                return
            del self._groups[key]
