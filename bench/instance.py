"""One app instance of the multi-instance benchmark: ``python -m bench.instance SHARE COUNT``.

A separate process with its own engine, and so its own ``ArmRateGate`` (as a Function App
instance has), reconciling share ``SHARE`` of ``COUNT`` of every landing zone's groups with the
timer's code path (bulk observe, plan, apply). A group belongs to the share its name's CRC-32 picks,
in the listing and in the ledger alike, so the shares are disjoint and together the whole zone.
It reads the app settings from its environment (the benchmark passes the emulator's), prints
``ready`` once its engine is open, starts on a line from stdin, and prints one JSON line: the
outcome counts and the groups that failed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import zlib
from collections.abc import AsyncIterator, Mapping

from shared.azure.inventory import ArmInventory
from shared.azure.ledger_table import TableLedger
from shared.engine import open_engine
from shared.ledger import LedgerRecord
from shared.model import GroupRef, ObservedGroup
from shared.report import Outcome
from shared.settings import Settings


def in_share(ref: GroupRef, share: int, count: int) -> bool:
    return zlib.crc32(f"{ref.subscription_id}/{ref.name}".lower().encode()) % count == share


def restrict(share: int, count: int) -> None:
    """This process lists only its share of the groups and of the ledger (a benchmark-only patch)."""
    list_groups = ArmInventory.list_groups
    list_records = TableLedger.list

    async def groups(self: ArmInventory, subscription_id: str) -> AsyncIterator[ObservedGroup]:
        async for group in list_groups(self, subscription_id):
            if in_share(group.ref, share, count):
                yield group

    async def records(self: TableLedger, subscription_id: str) -> Mapping[GroupRef, LedgerRecord]:
        listed = await list_records(self, subscription_id)
        return {ref: record for ref, record in listed.items() if in_share(ref, share, count)}

    ArmInventory.list_groups = groups  # type: ignore[method-assign]
    TableLedger.list = records  # type: ignore[method-assign]


async def main(share: int, count: int) -> dict[str, object]:
    restrict(share, count)
    async with open_engine(Settings.from_environment()) as engine:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        report = await engine.reconciler.reconcile_all()
    failed = [
        f"{r.group.name}: {r.reason or '; '.join(str(result.error) for result in r.failed)}"
        for r in report.groups
        if r.outcome is Outcome.FAILED
    ]
    return {"counts": report.counts, "failed": failed}


if __name__ == "__main__":
    result = asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
    print(json.dumps(result), flush=True)
