"""The log of requests the emulator served, and the numbers benchmarks and tests read from it.

dpgov's cost is counted in requests and sequential round trips (docs/emulator.md), so the emulator records
each ARM, token, Purview and Unified Catalog request with its start and end on one monotonic clock. The
critical path is the longest chain of requests in which each starts after the previous one ended:
concurrent requests add to the count of requests but not to the chain.
"""

from __future__ import annotations

import bisect
from collections import Counter

from .control.models import LoggedRequest, RequestSummary

__all__ = ["RequestLog", "longest_sequential_chain", "summarize"]


class RequestLog:
    """Append-only list of served requests, cleared on demand."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []

    def record(self, entry: LoggedRequest) -> None:
        self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()


def longest_sequential_chain(entries: list[LoggedRequest]) -> int:
    """Length of the longest chain e1, e2, … with e(k+1).start >= e(k).end.

    Requests are visited in order of start; every request that ended by that start also started
    by then, so its chain is already known. A Fenwick tree over requests sorted by end answers
    "longest chain among requests that ended by t" in O(log n), O(n log n) in all.
    """
    ordered_by_end = sorted(range(len(entries)), key=lambda index: entries[index].end)
    ends = [entries[index].end for index in ordered_by_end]
    rank = {index: position for position, index in enumerate(ordered_by_end)}
    tree = [0] * (len(entries) + 1)
    longest = 0
    for index in sorted(range(len(entries)), key=lambda i: (entries[i].start, entries[i].end)):
        chain = _prefix_max(tree, bisect.bisect_right(ends, entries[index].start)) + 1
        longest = max(longest, chain)
        _raise_to(tree, rank[index] + 1, chain)
    return longest


def _prefix_max(tree: list[int], count: int) -> int:
    best = 0
    while count > 0:
        best = max(best, tree[count])
        count -= count & -count
    return best


def _raise_to(tree: list[int], position: int, value: int) -> None:
    while position < len(tree):
        tree[position] = max(tree[position], value)
        position += position & -position


def summarize(entries: list[LoggedRequest]) -> RequestSummary:
    counts = Counter(entry.request_class for entry in entries)
    return RequestSummary(
        reads=counts["read"],
        writes=counts["write"],
        deletes=counts["delete"],
        tokens=counts["token"],
        total=len(entries),
        sequential_round_trips=longest_sequential_chain(entries),
        by_operation=dict(Counter(entry.operation for entry in entries)),
        purview_reads=counts["purview-read"],
        purview_writes=counts["purview-write"],
        purview_deletes=counts["purview-delete"],
        purview_round_trips=longest_sequential_chain([e for e in entries if e.request_class.startswith("purview-")]),
        catalog_reads=counts["catalog-read"],
        catalog_writes=counts["catalog-write"],
        catalog_deletes=counts["catalog-delete"],
        catalog_round_trips=longest_sequential_chain([e for e in entries if e.request_class.startswith("catalog-")]),
    )
