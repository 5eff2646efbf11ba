"""The cyclic garbage collector's thresholds for a process that holds a landing zone in memory.

CPython collects its youngest generation every 700 net allocations, and its oldest — every live
container object — once enough objects have survived into it. A bulk reconcile keeps a zone's
listings, ledger records and reports alive (hundreds of thousands of objects) while it allocates
millions more that live across a request's await and then die. With the default thresholds those
survivors set off a full collection every few seconds; the app makes almost no reference cycles, so
each one scans the whole heap to free about a thousand objects. Measured on the emulator (reconcile-all
of a compliant estate of 10 zones x 1,000 groups, in one process): 25 s of CPU with the defaults, 13
full collections; 18.5 s with these, one.

Reference counting still frees everything that is not in a cycle at once; the thresholds only make the
collector for cycles run less often (the youngest generation every 50,000 net allocations, the oldest
after 100 collections of the middle one, and still only when a quarter of the heap is new).
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)


def tune_collector() -> None:
    """Apply ``THRESHOLDS`` to this process (the Functions worker, the CLI, a benchmark)."""
    gc.set_threshold(*THRESHOLDS)
