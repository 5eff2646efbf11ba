"""The benchmark scenarios; run them with ``python -m bench`` (see bench/__main__.py)."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from emulator.client import EmulatorControl
from emulator.host import start_host
from emulator.process import start_emulator
from shared.aspects.tags import cross_charging_tags
from shared.config import GovernanceConfig, load_config
from shared.engine import open_engine
from shared.model import DataProduct, GroupRef
from shared.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / "governance.example.yaml"
EMEA = "11111111-1111-1111-1111-111111111111"
AMER = "22222222-2222-2222-2222-222222222222"
ARM_READ_BURST, ARM_READ_REFILL_PER_SECOND = 250, 25
PAGE_SIZE = 100  # groups per list page served by the emulator


@dataclass(frozen=True)
class Figures:
    scenario: str
    requests: int
    reads: int
    writes: int
    token_requests: int
    sequential_round_trips: int
    wall_ms: float
    note: str = ""
    throttled: int = 0


def measure(control: EmulatorControl, scenario: str, run: Callable[[], object], note: str = "") -> Figures:
    control.clear_requests()
    started = time.perf_counter()
    run()
    wall_ms = (time.perf_counter() - started) * 1000
    summary = control.request_summary()
    throttled = sum(1 for entry in control.requests_log() if entry.status == 429)
    return Figures(
        scenario,
        summary.total,
        summary.reads,
        summary.writes,
        summary.tokens,
        summary.sequential_round_trips,
        round(wall_ms, 1),
        note,
        throttled,
    )


def estate(config: GovernanceConfig, count: int, drifted_every: int = 0) -> dict[str, dict[str, dict[str, str]]]:
    """``count`` governed groups split over the two landing zones; every Nth one drifted."""
    groups: dict[str, dict[str, dict[str, str]]] = {EMEA: {}, AMER: {}}
    for index in range(count):
        subscription_id, zone = (EMEA, "lz-emea") if index % 2 == 0 else (AMER, "lz-amer")
        product = f"p{index:05d}"
        tags = {**cross_charging_tags(config, DataProduct(zone, "sales", product, "prd")), "team": f"t{index}"}
        if drifted_every and index % drifted_every == 0:
            tags["CostCenter"] = "CC-DRIFTED"
        groups[subscription_id][f"dp-sales-{product}-rg"] = tags
    return groups


def seed(control: EmulatorControl, groups: Mapping[str, Mapping[str, Mapping[str, str]]]) -> None:
    control.reset()
    control.set_page_size(PAGE_SIZE)
    control.seed_subscriptions([EMEA, AMER])
    for subscription_id, by_name in groups.items():
        control.seed_groups(subscription_id, {name: dict(tags) for name, tags in by_name.items()})


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
        webhook = f"{host.url}/runtime/webhooks/eventgrid?functionName=on_resource_event"
        headers = {"aeg-event-type": "Notification", "Content-Type": "application/json"}

        # 1. One new-group event through the host, cold then warm.
        seed(control, {EMEA: {"dp-sales-cold-rg": {}, "dp-sales-warm-rg": {}}})
        control.set_latency(latency_ms)
        for label, group in (("cold", "dp-sales-cold-rg"), ("warm", "dp-sales-warm-rg")):
            deliver = functools.partial(requests.post, webhook, json=group_event(group), headers=headers, timeout=60)
            note = "token + GET group + PATCH tags" if label == "cold" else "GET group + PATCH tags"
            figures.append(measure(control, f"one new-group event ({label})", deliver, note))

        # 2-5. The estate, in-process (the timer's code path without the host in between).
        settings = Settings.from_environment()

        def reconcile_all() -> object:
            async def go() -> object:
                async with open_engine(settings, config) as engine:
                    return await engine.reconciler.reconcile_all()

            return asyncio.run(go())

        def get_per_group(names: Mapping[str, Mapping[str, object]]) -> object:
            async def go() -> object:
                async with open_engine(settings, config) as engine:
                    refs = [GroupRef(sub, name) for sub, by_name in names.items() for name in by_name]
                    return await asyncio.gather(*(engine.reconciler.reconcile_group(ref) for ref in refs))

            return asyncio.run(go())

        compliant = estate(config, group_count)
        control.set_latency(0)
        seed(control, compliant)
        control.set_latency(latency_ms)
        pages = sum(math.ceil(len(by_name) / PAGE_SIZE) for by_name in compliant.values())
        figures.append(
            measure(
                control,
                f"reconcile-all, {group_count} compliant groups, 2 subscriptions",
                reconcile_all,
                f"{pages} list pages + token",
            )
        )
        control.set_latency(0)
        seed(control, estate(config, group_count, drifted_every=10))
        control.set_latency(latency_ms)
        figures.append(
            measure(
                control,
                f"reconcile-all, {group_count} groups, {group_count // 10} drifted",
                reconcile_all,
                f"one PATCH per drifted group, {settings.max_concurrency} in flight",
            )
        )
        # 4. Drift beyond ARM's write burst, with ARM's token buckets on.
        drift_writes = 400
        control.set_latency(0)
        seed(control, {EMEA: {f"dp-sales-t{i:04d}-rg": {} for i in range(drift_writes)}})
        control.set_latency(latency_ms)
        control.set_throttling(True)
        ideal = (drift_writes - 200) / 10
        figures.append(
            measure(
                control,
                f"drift repair, {drift_writes} writes in one subscription, ARM throttling on",
                reconcile_all,
                f"bucket 200 + 10/s: refill-bound floor {ideal:.0f} s",
            )
        )
        control.set_throttling(False)

        control.set_latency(0)
        seed(control, compliant)
        control.set_latency(latency_ms)
        seconds_in_arm = max(0, group_count - ARM_READ_BURST) / ARM_READ_REFILL_PER_SECOND
        figures.append(
            measure(
                control,
                f"baseline: GET per group, {group_count} compliant groups",
                lambda: get_per_group(compliant),
                f"real ARM read bucket (250, 25/s) would add ≥ {seconds_in_arm:.0f} s of throttling",
            )
        )
    return figures


def render(figures: list[Figures], latency_ms: float) -> str:
    header = ("scenario", "requests", "reads", "writes", "tokens", "429s", "seq. round trips", "wall ms", "note")
    rows = [header] + [
        (
            f.scenario,
            str(f.requests),
            str(f.reads),
            str(f.writes),
            str(f.token_requests),
            str(f.throttled),
            str(f.sequential_round_trips),
            f"{f.wall_ms:.0f}",
            f.note,
        )
        for f in figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [f"emulator latency: {latency_ms:.0f} ms per ARM request"]
    for row in rows:
        lines.append(
            " | ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)) + " | " + row[-1]
        )
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
