"""The benchmark scenarios; run them with ``python -m bench`` (see bench/__main__.py)."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO

import requests
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource

from emulator.control.client import EmulatorControl, SeedResource, SeedResourceGroup, SeedSubscription
from emulator.host import start_host
from emulator.process import EmulatorEndpoints, start_emulator
from emulator.scenario import AMER, EMEA, define_initiatives, prepare_directory
from shared.config import load_config
from shared.engine import open_engine
from shared.model import GroupRef
from shared.report import EstateReport
from shared.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / "governance.example.yaml"
ARM_READ_BURST, ARM_READ_REFILL_PER_SECOND = 250, 25
ARM_WRITE_BURST, ARM_WRITE_REFILL_PER_SECOND = 200, 10
PAGE_SIZE = 100  # items per list page served by the emulator
DOMAINS = ("sales", "sales", "marketing", "finance")  # the estate's mix, by group index
STORE_EVERY = 10  # every 10th product holds an ADLS Gen2 account (a data store Purview scans)
CATALOG_BURST = 300  # new products governed with the Unified Catalog on, its rate limit enforced
CATALOG_LIMIT, CATALOG_WINDOW_SECONDS = 100, 20.0  # the Unified Catalog's documented rate limit
SDK_LOGGER = "azure.core.pipeline.policies.http_logging_policy"
INSTANCE_COUNTS = (1, 2, 4)  # app instances (processes) sharing one subscription's ARM buckets
Groups = dict[str, dict[str, dict[str, str]]]


@dataclass(frozen=True)
class Figures:
    scenario: str
    arm_reads: int
    arm_writes: int
    purview_reads: int
    purview_writes: int
    catalog_reads: int
    catalog_writes: int
    ledger_requests: int | None  # Table storage (Azurite) is not in the emulator's log; None: not counted
    token_requests: int
    sequential_round_trips: int
    wall_ms: float
    throttled: int
    note: str = ""
    outcomes: Mapping[str, int] | None = None


class LedgerRequests(logging.Handler):
    """Counts the requests this process's SDK clients send to the ledger's table endpoint.

    azure-core's HTTP logging policy logs one record per request at INFO; the benchmark listens to
    that logger (nothing is printed) instead of touching the app.
    """

    def __init__(self, table_endpoint: str) -> None:
        super().__init__(logging.INFO)
        self._prefix = f"Request URL: '{table_endpoint.rstrip('/')}"
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith(self._prefix):
            self.count += 1

    @contextmanager
    def listening(self) -> Iterator[None]:
        logger = logging.getLogger(SDK_LOGGER)
        saved = (logger.level, logger.propagate)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.addHandler(self)
        try:
            yield
        finally:
            logger.removeHandler(self)
            logger.setLevel(saved[0])
            logger.propagate = saved[1]


def measure(
    control: EmulatorControl,
    scenario: str,
    run: Callable[[], object],
    note: str = "",
    ledger: LedgerRequests | None = None,
) -> Figures:
    control.clear_requests()
    if ledger is not None:
        ledger.count = 0
    started = time.perf_counter()
    result = run()
    wall_ms = (time.perf_counter() - started) * 1000
    summary = control.request_summary()
    throttled = sum(1 for entry in control.requests_log() if entry.status == 429)
    outcomes = dict(result.counts) if isinstance(result, EstateReport) else None
    return Figures(
        scenario,
        summary.reads,
        summary.writes + summary.deletes,
        summary.purview_reads,
        summary.purview_writes + summary.purview_deletes,
        summary.catalog_reads,
        summary.catalog_writes + summary.catalog_deletes,
        ledger.count if ledger is not None else None,
        summary.tokens,
        summary.sequential_round_trips,
        round(wall_ms, 1),
        throttled,
        note,
        outcomes,
    )


def estate(count: int, domains: tuple[str, ...] = DOMAINS) -> Groups:
    """``count`` new product groups, split over the two landing zones, as their teams create them."""
    groups: Groups = {EMEA: {}, AMER: {}}
    for index in range(count):
        subscription_id = EMEA if index % 2 == 0 else AMER
        domain = domains[index % len(domains)]
        groups[subscription_id][f"dp-{domain}-p{index:05d}-rg"] = {"team": f"t{index}"}
    return groups


def data_store(group: str) -> SeedResource:
    name = "st" + group.replace("-", "")[:22]
    return SeedResource(
        "Microsoft.Storage/storageAccounts",
        name,
        kind="StorageV2",
        sku={"name": "Standard_LRS"},
        properties={"isHnsEnabled": True},
    )


def seed(
    control: EmulatorControl, endpoints: EmulatorEndpoints, groups: Mapping[str, Mapping[str, Mapping[str, str]]]
) -> None:
    """A blank emulator holding ``groups`` (every STORE_EVERY-th with a data store) and the platform's
    prerequisites: the config's principals, the management group and the sales initiative."""
    control.reset()
    control.set_page_size(PAGE_SIZE)
    subscriptions = []
    for subscription_id, by_name in {EMEA: {}, AMER: {}, **groups}.items():
        seeded = [
            SeedResourceGroup(
                name,
                tags=dict(tags),
                resources=(data_store(name),) if index % STORE_EVERY == 0 else (),
            )
            for index, (name, tags) in enumerate(by_name.items())
        ]
        subscriptions.append(SeedSubscription(subscription_id, resource_groups=seeded))
    control.seed(subscriptions)
    prepare_directory(control)

    async def platform() -> None:
        async with DefaultAzureCredential() as credential:
            await define_initiatives(credential, endpoints.url, connection_verify=endpoints.ca_bundle)

    asyncio.run(platform())


def drift(endpoints: EmulatorEndpoints, groups: Groups, every: int) -> int:
    """Someone edits the cost centre on every ``every``-th group (through ARM, as the portal would)."""
    names = [(sub, name) for sub, by_name in groups.items() for name in by_name][::every]

    async def go() -> None:
        async with DefaultAzureCredential() as credential:
            for subscription_id in {sub for sub, _ in names}:
                async with ResourceManagementClient(
                    credential, subscription_id, base_url=endpoints.url, connection_verify=endpoints.ca_bundle
                ) as client:
                    patch = TagsPatchResource(operation="Merge", properties=Tags(tags={"CostCenter": "CC-DRIFTED"}))
                    scopes = [
                        f"/subscriptions/{sub}/resourceGroups/{name}" for sub, name in names if sub == subscription_id
                    ]
                    pollers = await asyncio.gather(*(client.tags.begin_update_at_scope(s, patch) for s in scopes))
                    await asyncio.gather(*(poller.result() for poller in pollers))

    asyncio.run(go())
    return len(names)


def group_event(group: str) -> list[dict[str, object]]:
    uri = f"/subscriptions/{EMEA}/resourceGroups/{group}"
    return [
        {
            "id": f"bench-{group}",
            "topic": f"/subscriptions/{EMEA}",
            "subject": uri,
            "eventType": "Microsoft.Resources.ResourceWriteSuccess",
            "eventTime": "2026-11-25T10:00:00Z",
            "data": {
                "operationName": "Microsoft.Resources/subscriptions/resourceGroups/write",
                "resourceUri": uri,
                "status": "Succeeded",
                "subscriptionId": EMEA,
            },
            "dataVersion": "2",
            "metadataVersion": "1",
        }
    ]


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run(ca_dir: Path, latency_ms: float, group_count: int) -> list[Figures]:
    config = load_config(CONFIG_PATH)
    figures: list[Figures] = []
    with ExitStack() as stack:
        endpoints = stack.enter_context(start_emulator(ca_dir=ca_dir))
        app_env = {**endpoints.app_environment(), "GOVERNANCE_CONFIG": str(CONFIG_PATH)}
        host = stack.enter_context(start_host(app="function_app:app", env=app_env, cwd=ROOT))
        stack.enter_context(environment(app_env))
        control = EmulatorControl(endpoints.url, str(endpoints.ca_bundle))
        with_catalog = Settings.from_environment()
        # The large estate runs without the Unified Catalog: at its documented 100 requests per 20 s,
        # creating 2,000 catalog products alone takes ≥ 6.5 minutes. Its own scenarios follow.
        settings = Settings.from_environment(
            {k: v for k, v in os.environ.items() if k != "DPGOV_UNIFIED_CATALOG_ENDPOINT"}
        )
        assert endpoints.storage is not None, "the benchmarks need Azurite for the ledger"
        ledger = LedgerRequests(endpoints.storage.table)
        stack.enter_context(ledger.listening())
        webhook = f"{host.url}/runtime/webhooks/eventgrid?functionName=on_resource_event"
        headers = {"aeg-event-type": "Notification", "Content-Type": "application/json"}

        # 1. One new product's event through the host, cold (first of the process) then warm.
        # The third group holds an ADLS Gen2 account (seed: every STORE_EVERY-th group of a zone, from 0).
        events: dict[str, dict[str, str]] = {"dp-sales-store-rg": {}, "dp-sales-cold-rg": {}, "dp-sales-warm-rg": {}}
        seed(control, endpoints, {EMEA: events})
        control.set_latency(latency_ms)
        for label, group in (
            ("cold", "dp-sales-cold-rg"),
            ("warm", "dp-sales-warm-rg"),
            ("warm, with an ADLS Gen2 account", "dp-sales-store-rg"),
        ):
            deliver = functools.partial(requests.post, webhook, json=group_event(group), headers=headers, timeout=120)
            note = "in the host; ledger: 1 point read + 1 insert + 1 replace (not counted)"
            figures.append(measure(control, f"one new sales product's event ({label})", deliver, note))
        control.set_latency(0)

        # 2-6. The estate, in-process (the timer's code path without the host in between).
        def reconcile_all(chosen: Settings = settings) -> EstateReport:
            async def go() -> EstateReport:
                async with open_engine(chosen, config) as engine:
                    return await engine.reconciler.reconcile_all()

            return asyncio.run(go())

        def reconcile_each(groups: Groups) -> object:
            async def go() -> object:
                async with open_engine(settings, config) as engine:
                    refs = [GroupRef(sub, name) for sub, by_name in groups.items() for name in by_name]
                    return await asyncio.gather(*(engine.reconciler.reconcile_group(ref) for ref in refs))

            return asyncio.run(go())

        groups = estate(group_count)
        stores = sum(math.ceil(len(by_name) / STORE_EVERY) for by_name in groups.values())
        seed(control, endpoints, groups)
        control.set_latency(latency_ms)
        figures.append(
            measure(
                control,
                f"govern {group_count} new products (reconcile-all), {stores} with a data store",
                reconcile_all,
                f"every aspect's writes, {settings.max_concurrency} in flight",
                ledger,
            )
        )
        figures.append(
            measure(
                control,
                f"reconcile-all, the same {group_count} products, compliant",
                reconcile_all,
                "one list per subscription and kind, paged; Purview's lists once per run",
                ledger,
            )
        )
        control.set_latency(0)
        drifted = drift(endpoints, groups, every=10)
        control.set_latency(latency_ms)
        figures.append(
            measure(
                control,
                f"reconcile-all, {group_count} products, {drifted} retagged",
                reconcile_all,
                "one tags PATCH per drifted group",
                ledger,
            )
        )
        seconds_in_arm = max(0, 5 * group_count - ARM_READ_BURST) / ARM_READ_REFILL_PER_SECOND
        figures.append(
            measure(
                control,
                f"baseline: reconcile each of the {group_count} products on its own",
                lambda: reconcile_each(groups),
                f"the event path per group; ARM's read bucket (250, 25/s) would add ≥ {seconds_in_arm:.0f} s",
                ledger,
            )
        )
        control.set_latency(0)

        # 6. A burst of new products with the Unified Catalog on and its rate limit enforced
        # (the emulator refuses the 101st request in any 20 s with a 429), then the same estate compliant.
        burst = estate(CATALOG_BURST)
        seed(control, endpoints, burst)
        control.set_catalog_rate_limit(enabled=True, limit=CATALOG_LIMIT, window_seconds=CATALOG_WINDOW_SECONDS)
        control.set_latency(latency_ms)
        governed = measure(
            control,
            f"govern {CATALOG_BURST} new products (reconcile-all), Unified Catalog on, its rate limit enforced",
            lambda: reconcile_all(with_catalog),
            "",
            ledger,
        )
        floor = max(0, governed.catalog_reads + governed.catalog_writes - CATALOG_LIMIT) / (
            CATALOG_LIMIT / CATALOG_WINDOW_SECONDS
        )
        figures.append(
            replace(
                governed,
                note=f"catalog: {CATALOG_LIMIT} per {CATALOG_WINDOW_SECONDS:.0f} s; "
                f"floor for its requests {floor:.0f} s",
            )
        )
        # A Function App instance keeps its engine (and its pacing) across runs; each run here is a new
        # engine, which cannot know what the last one spent. Start from an empty window, as the timer's
        # next run would (30 minutes later).
        control.set_catalog_rate_limit(enabled=True, limit=CATALOG_LIMIT, window_seconds=CATALOG_WINDOW_SECONDS)
        figures.append(
            measure(
                control,
                f"reconcile-all, the same {CATALOG_BURST} products, compliant, Unified Catalog on",
                lambda: reconcile_all(with_catalog),
                "catalog: the domain list and each domain's products, paged",
                ledger,
            )
        )
        control.set_latency(0)

        # 7. Drift beyond ARM's write burst, with ARM's token buckets on: 400 governed groups, every
        # one retagged, repaired by one timer run.
        drift_writes = 400
        retagged: Groups = {EMEA: {f"dp-finance-t{i:04d}-rg": {} for i in range(drift_writes)}}
        seed(control, endpoints, retagged)
        reconcile_all()
        drift(endpoints, retagged, every=1)
        control.set_latency(latency_ms)
        control.set_throttling(True)
        ideal = (drift_writes - ARM_WRITE_BURST) / ARM_WRITE_REFILL_PER_SECOND
        figures.append(
            measure(
                control,
                f"drift repair, {drift_writes} retagged groups in one subscription, ARM throttling on",
                reconcile_all,
                f"bucket {ARM_WRITE_BURST} + {ARM_WRITE_REFILL_PER_SECOND}/s: refill-bound floor {ideal:.0f} s",
                ledger,
            )
        )
        control.set_throttling(False)
        control.set_latency(0)

        # 8. The same repair split over 1, 2 and 4 app instances: separate processes, each with its own
        # engine and rate gate, one identity, so they share the subscription's ARM buckets.
        for count in INSTANCE_COUNTS:
            seed(control, endpoints, retagged)  # a reset: full buckets again
            reconcile_all()
            drift(endpoints, retagged, every=1)
            figures.append(several_instances(control, retagged, count, latency_ms))
    return figures


def several_instances(control: EmulatorControl, groups: Groups, count: int, latency_ms: float) -> Figures:
    """``count`` processes (bench/instance.py), each reconciling its share of ``groups``' zone, started
    together once all are ready, with ARM throttling on; wall time until the last one's report."""
    env = {k: v for k, v in os.environ.items() if k != "DPGOV_UNIFIED_CATALOG_ENDPOINT"}
    with ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile("w+")) for _ in range(count)]
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "bench.instance", str(share), str(count)],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
            for share, log in enumerate(logs)
        ]
        for worker in workers:
            stack.callback(worker.kill)

        def crashed(worker: subprocess.Popen[str], log: IO[str]) -> RuntimeError:
            worker.kill()
            log.seek(0)
            return RuntimeError(f"bench.instance exited {worker.wait()}:\n{log.read()[-4000:]}")

        lines: list[str] = []
        try:
            for worker, log in zip(workers, logs, strict=True):
                if worker.stdout is None or worker.stdout.readline().strip() != "ready":
                    raise crashed(worker, log)
            control.set_latency(latency_ms)
            control.set_throttling(True)
            control.clear_requests()
            started = time.perf_counter()
            for worker in workers:
                if worker.stdin is not None:
                    worker.stdin.write("go\n")
                    worker.stdin.flush()
            for worker in workers:
                lines.append(worker.stdout.readline() if worker.stdout is not None else "")
            wall_ms = (time.perf_counter() - started) * 1000
            for worker, log, line in zip(workers, logs, lines, strict=True):
                if worker.wait(timeout=60) != 0 or not line.strip():
                    raise crashed(worker, log)
        finally:
            control.set_throttling(False)
            control.set_latency(0)
    results = [json.loads(line) for line in lines]
    outcomes: dict[str, int] = {}
    for result in results:
        for outcome, number in result["counts"].items():
            outcomes[outcome] = outcomes.get(outcome, 0) + number
    failed = [group for result in results for group in result["failed"]]
    summary = control.request_summary()
    throttled = sum(1 for entry in control.requests_log() if entry.status == 429)
    writes = sum(len(by_name) for by_name in groups.values())
    floor = max(0, writes - ARM_WRITE_BURST) / ARM_WRITE_REFILL_PER_SECOND
    plural = "process" if count == 1 else "processes"
    return Figures(
        f"drift repair, {writes} retagged groups in one subscription, {count} {plural} (a share each), "
        "ARM throttling on",
        summary.reads,
        summary.writes + summary.deletes,
        summary.purview_reads,
        summary.purview_writes + summary.purview_deletes,
        summary.catalog_reads,
        summary.catalog_writes + summary.catalog_deletes,
        None,
        summary.tokens,
        summary.sequential_round_trips,
        round(wall_ms, 1),
        throttled,
        f"failed writes: {len(failed)}; one identity, one bucket ({ARM_WRITE_BURST} + "
        f"{ARM_WRITE_REFILL_PER_SECOND}/s): floor {floor:.0f} s" + (f"; {failed[:3]}" if failed else ""),
        outcomes,
    )


def render(figures: list[Figures], latency_ms: float) -> str:
    header = (
        "scenario",
        "ARM reads",
        "ARM writes",
        "Purview reads",
        "Purview writes",
        "catalog reads",
        "catalog writes",
        "ledger",
        "tokens",
        "429s",
        "seq. round trips",
        "wall ms",
        "note",
    )
    rows = [header] + [
        (
            f.scenario,
            str(f.arm_reads),
            str(f.arm_writes),
            str(f.purview_reads),
            str(f.purview_writes),
            str(f.catalog_reads),
            str(f.catalog_writes),
            "—" if f.ledger_requests is None else str(f.ledger_requests),
            str(f.token_requests),
            str(f.throttled),
            str(f.sequential_round_trips),
            f"{f.wall_ms:.0f}",
            f.note,
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [f"emulator latency: {latency_ms:.0f} ms per ARM, Purview and catalog request (Azurite: none added)"]
    for row in rows:
        lines.append(
            " | ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)) + " | " + row[-1]
        )
    for f in figures:
        if f.outcomes:
            counted = ", ".join(f"{outcome} {count}" for outcome, count in sorted(f.outcomes.items()) if count)
            lines.append(f"  {f.scenario}: {counted}")
    return "\n".join(lines)


def main(ca_dir: Path) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    figures = run(ca_dir, arguments.latency_ms, arguments.groups)
    if arguments.json:
        print(json.dumps([asdict(f) for f in figures], indent=2))
    else:
        print(render(figures, arguments.latency_ms))
    return 0
