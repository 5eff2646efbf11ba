"""`make demo`: a landing zone comes alive on the local Azure emulator and gets governed.

It starts the emulator and the local Functions host (serving function_app), subscribes the host to
both landing zones' subscription events, then acts as a platform engineer would, through the
official SDK: creates the visualization group and a few data products (and one group that is not a
data product). Events flow emulator → host → function → SDK → emulator while the demo prints them.
Then it shows the governed result, a team changing a governed tag, the dry-run plan that would
repair it, the timer repairing it, and what all of it cost in ARM requests. Exits non-zero if any
demo data product is not governed at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import requests
from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource

from emulator.client import Delivery, EmulatorControl
from emulator.host import HostEndpoints, start_host
from emulator.process import EmulatorEndpoints, start_emulator
from shared.aspects.tags import cross_charging_tags
from shared.config import load_config
from shared.model import DataProduct

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / "governance.example.yaml"
EMEA = "11111111-1111-1111-1111-111111111111"
AMER = "22222222-2222-2222-2222-222222222222"
TEAM_CLIENT_ID = "0b0e7a11-7ea4-4a11-9e11-00000000feed"  # a user-assigned identity of a product team


@dataclass(frozen=True)
class DemoGroup:
    subscription_id: str
    name: str
    tags: Mapping[str, str]
    expected: DataProduct | None  # None: not a data product, must stay untouched


GROUPS = (
    DemoGroup(EMEA, "lz-emea-reporting-rg", {}, None),
    DemoGroup(
        EMEA,
        "dp-sales-orders-rg",
        {"team": "orders", "app": "order-api"},
        DataProduct("lz-emea", "sales", "orders", "prd"),
    ),
    DemoGroup(EMEA, "dp-sales-forecast-dev-rg", {}, DataProduct("lz-emea", "sales", "forecast", "dev")),
    DemoGroup(
        EMEA, "dp-marketing-leads-tst-rg", {"team": "growth"}, DataProduct("lz-emea", "marketing", "leads", "tst")
    ),
    DemoGroup(
        EMEA,
        "churn-analytics",
        {"DataDomain": "sales", "DataProduct": "churn", "Environment": "dev"},
        DataProduct("lz-emea", "sales", "churn", "dev"),
    ),
    DemoGroup(EMEA, "shared-network-rg", {"owner": "netops"}, None),
    DemoGroup(AMER, "dp-finance-ledger-rg", {"team": "ledger"}, DataProduct("lz-amer", "finance", "ledger", "prd")),
)


def say(text: str = "") -> None:
    print(text, flush=True)


def heading(text: str) -> None:
    say()
    say(f"== {text} " + "=" * max(0, 90 - len(text)))


def print_new_deliveries(control: EmulatorControl, seen: set[tuple[str, str]]) -> None:
    for delivery in control.deliveries():
        key = (delivery.event_id, delivery.subscription_name)
        if key in seen or delivery.outcome == "pending":
            continue
        seen.add(key)
        say(f"  event {describe_delivery(delivery)}")


def describe_delivery(delivery: Delivery) -> str:
    subject = delivery.subject.split("/resourceGroups/", 1)[-1].split("/resourcegroups/", 1)[-1]
    return f"{delivery.operation_name:<56} {subject:<60} → {delivery.outcome} (attempt {delivery.attempts})"


class FunctionLog:
    """The app's own log records from the host's log, printed once each."""

    def __init__(self, host: HostEndpoints) -> None:
        self._host = host
        self._printed = 0

    def print_new(self) -> None:
        lines = self._host.log_text().splitlines()
        in_app_record = False
        for line in lines[self._printed :]:
            if line.startswith("["):
                in_app_record = " dpgov." in line and "]: " in line
                if in_app_record:
                    say(f"  function {line.split(']: ', 1)[1]}")
            elif in_app_record:
                say(f"           {line}")
        self._printed = len(lines)


def watch_events(control: EmulatorControl, seen: set[tuple[str, str]], timeout: float = 30.0) -> None:
    """Print deliveries as they complete until Event Grid has nothing left in flight."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        print_new_deliveries(control, seen)
        if not any(d.outcome == "pending" for d in control.deliveries()):
            time.sleep(0.3)  # the app's own tag writes raise events too; let them arrive
            if not any(d.outcome == "pending" for d in control.deliveries()):
                break
        time.sleep(0.1)
    control.wait_for_deliveries_idle(timeout=max(1.0, deadline - time.monotonic()))
    print_new_deliveries(control, seen)


async def create_groups(endpoints: EmulatorEndpoints, groups: Sequence[DemoGroup]) -> None:
    async with DefaultAzureCredential() as credential:
        for subscription_id in {group.subscription_id for group in groups}:
            async with ResourceManagementClient(
                credential, subscription_id, base_url=endpoints.url, connection_verify=str(endpoints.ca_bundle)
            ) as client:
                for group in (g for g in groups if g.subscription_id == subscription_id):
                    await client.resource_groups.create_or_update(
                        group.name, {"location": "westeurope", "tags": dict(group.tags)}
                    )
                    say(f"  created {group.name} in {subscription_id[:8]}… tags={dict(group.tags)}")
                if subscription_id == EMEA:
                    storage = (
                        f"/subscriptions/{EMEA}/resourceGroups/dp-sales-orders-rg"
                        "/providers/Microsoft.Storage/storageAccounts/stsalesorders"
                    )
                    poller = await client.resources.begin_create_or_update_by_id(
                        storage,
                        {"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}},
                        api_version="2023-05-01",
                    )
                    await poller.result()
                    say("  created storage account stsalesorders in dp-sales-orders-rg")


async def read_tags(endpoints: EmulatorEndpoints) -> dict[str, dict[str, str]]:
    tags: dict[str, dict[str, str]] = {}
    async with DefaultAzureCredential() as credential:
        for subscription_id in (EMEA, AMER):
            async with ResourceManagementClient(
                credential, subscription_id, base_url=endpoints.url, connection_verify=str(endpoints.ca_bundle)
            ) as client:
                async for group in client.resource_groups.list():
                    tags[group.name or ""] = dict(group.tags or {})
    return tags


async def team_edits_tags(endpoints: EmulatorEndpoints, group: str, tags: Mapping[str, str]) -> None:
    """A product team edits tags with its own identity (as the portal's tag blade would)."""
    async with (
        ManagedIdentityCredential(client_id=TEAM_CLIENT_ID) as credential,
        ResourceManagementClient(
            credential, EMEA, base_url=endpoints.url, connection_verify=str(endpoints.ca_bundle)
        ) as client,
    ):
        patch = TagsPatchResource(operation="Merge", properties=Tags(tags=dict(tags)))
        scope = f"/subscriptions/{EMEA}/resourceGroups/{group}"
        await (await client.tags.begin_update_at_scope(scope, patch)).result()
        say(f"  the team (its own identity) merged {dict(tags)} into {group}")


def governed_table(tags_by_group: Mapping[str, Mapping[str, str]]) -> tuple[str, list[str]]:
    config = load_config(CONFIG_PATH)
    governed_names = {name.lower() for name in config.tags.model_dump().values()}
    rows = [("RESOURCE GROUP", "DOMAIN/PRODUCT", "ENV", "COST CENTRE", "OWNER", "TEAM TAGS", "STATUS")]
    problems: list[str] = []
    for group in GROUPS:
        tags = tags_by_group.get(group.name, {})
        lowered = {name.lower(): value for name, value in tags.items()}
        team = {name: value for name, value in tags.items() if name.lower() not in governed_names}
        if group.expected is None:
            status = "untouched" if tags == dict(group.tags) else "CHANGED (unexpected)"
            if tags != dict(group.tags):
                problems.append(f"{group.name} is not a data product but its tags changed")
            rows.append((group.name, "-", "-", "-", "-", json.dumps(tags), status))
            continue
        wanted = cross_charging_tags(config, group.expected)
        missing = [name for name, value in wanted.items() if lowered.get(name.lower()) != value]
        status = "governed" if not missing else f"NOT GOVERNED ({', '.join(missing)})"
        if missing:
            problems.append(f"{group.name}: {', '.join(missing)} missing or wrong")
        lost = [name for name in group.tags if name.lower() not in governed_names and name not in tags]
        if lost:
            problems.append(f"{group.name}: team tags lost: {lost}")
        rows.append(
            (
                group.name,
                f"{group.expected.domain}/{group.expected.product}",
                lowered.get("environment", ""),
                lowered.get("costcenter", ""),
                lowered.get("owner", ""),
                json.dumps(team),
                status,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    text = "\n".join("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)
    return text, problems


def main() -> int:
    started = time.monotonic()
    heading("Starting the local Azure emulator and the local Functions host")
    with ExitStack() as stack:
        ca_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dpgov-demo-")))
        endpoints = stack.enter_context(start_emulator(ca_dir=ca_dir))
        control = EmulatorControl(endpoints.url, str(endpoints.ca_bundle))
        environment = {
            **endpoints.app_environment(),
            "GOVERNANCE_CONFIG": str(CONFIG_PATH),
            "DPGOV_IDENTITY_OBJECT_ID": control.identity().principal_id,
        }
        host = stack.enter_context(start_host(app="function_app:app", env=environment, cwd=ROOT))
        say(f"  emulator (ARM, managed identity, Event Grid): {endpoints.url}")
        say(f"  functions host (function_app.py):             {host.url}")
        control.seed_subscriptions([EMEA, AMER])
        webhook = f"{host.url}/runtime/webhooks/eventgrid?functionName=on_resource_event"

        def subscribe(subscription_id: str) -> None:
            control.add_event_subscription(
                name=f"dpgov-{subscription_id[:8]}",
                endpoint=webhook,
                schema="EventGridSchema",
                subscription_id=subscription_id,
            )

        for subscription_id in (EMEA, AMER):
            subscribe(subscription_id)
        say("  Event Grid subscriptions on both landing-zone subscriptions → on_resource_event (handshake done)")

        # The demo process is the platform engineer's workstation: same credential chain as the app.
        os.environ.update({k: v for k, v in environment.items() if k.startswith("IDENTITY_")})

        heading("A platform engineer creates resource groups in two landing zones (through the SDK)")
        asyncio.run(create_groups(endpoints, GROUPS))

        heading("Subscription events arriving at the function (Event Grid → host → on_resource_event)")
        seen: set[tuple[str, str]] = set()
        function_log = FunctionLog(host)
        watch_events(control, seen)
        say("  -- what the function decided (host log) --")
        function_log.print_new()

        heading("The governed result (read back through the SDK)")
        table, problems = governed_table(asyncio.run(read_tags(endpoints)))
        say(table)

        heading("Drift (1): the orders team overwrites the governed CostCenter tag")
        asyncio.run(team_edits_tags(endpoints, "dp-sales-orders-rg", {"CostCenter": "CC-TEAM-GUESS"}))
        watch_events(control, seen)
        function_log.print_new()
        say("  → repaired by the event itself: a tag change by another identity reconciles the group")

        heading("Drift (2): a change whose event never arrives (Event Grid subscription paused)")
        control.remove_event_subscription(f"dpgov-{EMEA[:8]}")
        asyncio.run(team_edits_tags(endpoints, "dp-marketing-leads-tst-rg", {"Owner": "someone@contoso.com"}))
        subscribe(EMEA)
        plan = requests.post(f"{host.url}/api/sync", params={"dryRun": "true"}, timeout=60).json()
        say(f"  POST /api/sync?dryRun=true → {plan['summary']['planned']} group(s) would change:")
        for group in plan["groups"]:
            for action in group["plan"]:
                say(f"    {group['resource_group']}: {action['kind']} {action['tags']}")
        control.clear_requests()
        timer = requests.post(f"{host.url}/admin/functions/reconcile", json={"input": ""}, timeout=120)
        summary = control.request_summary()
        say(
            f"  timer 'reconcile' → HTTP {timer.status_code}: {summary.reads} reads, {summary.writes} writes, "
            f"{summary.sequential_round_trips} sequential round trips"
        )
        watch_events(control, seen)
        function_log.print_new()
        table, problems = governed_table(asyncio.run(read_tags(endpoints)))
        say(table)

        heading("A governed estate costs nothing: the timer again")
        control.clear_requests()
        requests.post(f"{host.url}/admin/functions/reconcile", json={"input": ""}, timeout=120)
        summary = control.request_summary()
        say(f"  {summary.reads} reads (one list per subscription), {summary.writes} writes")

        heading("Result")
        if problems:
            for problem in problems:
                say(f"  FAIL {problem}")
            return 1
        products = sum(1 for group in GROUPS if group.expected is not None)
        say(
            f"  all {products} demo data products governed; other groups untouched ({time.monotonic() - started:.1f} s)"
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())
