"""`make demo`: a landing zone comes alive on the local Azure and every data product gets governed.

It starts the local Azure (ARM, managed identity, Event Grid, Purview, Azurite) and the local
Functions host serving function_app, subscribes the host to both landing zones' events, and then acts
as a platform engineer and product teams would, through the official SDKs: creates data products
(one with storage, SQL and Cosmos DB, one with an Azure ML workspace, one recognised by its team's
tags) and a group that is not a data product. Events flow emulator → host → function → SDK →
emulator while the demo prints them. Then it shows, per data product, one condition per aspect
(tags, visualization, rbac, policy, purview, catalog), the grants and groups the app made, a team retagging
its product to make another domain pay (a conflict, repaired), drift whose event was lost (the
dry-run plan, the compliance page showing it — a screenshot in headless Chromium written to
docs/compliance-page.png — and the timer repairing it), and what a governed estate costs: zero
writes. Exits non-zero if any demo data product is not governed at the end.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource

from emulator.browser import ChromiumMissing, screenshot_compliance_page
from emulator.client import Delivery, EmulatorControl
from emulator.host import HostEndpoints, start_host
from emulator.process import EmulatorEndpoints, start_emulator
from emulator.scenario import AMER, EMEA, define_initiatives, prepare_directory

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / "governance.example.yaml"
SCREENSHOT = ROOT / "docs" / "compliance-page.png"  # the README shows it
LEADS = "dp-marketing-leads-tst-rg"
TEAM_CLIENT_ID = "0b0e7a11-7ea4-4a11-9e11-00000000feed"  # a user-assigned identity of a product team
ROLE_NAMES = {
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "f6c7c914-8db3-469d-8ca1-694a8f32e121": "AzureML Data Scientist",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
}


@dataclass(frozen=True)
class DemoGroup:
    subscription_id: str
    name: str
    tags: Mapping[str, str]
    product: bool  # a data product the app must govern (else: must stay untouched)


@dataclass(frozen=True)
class DemoResource:
    group: str
    type: str
    name: str
    api_version: str
    body: Mapping[str, Any]


GROUPS = (
    DemoGroup(EMEA, "dp-sales-orders-rg", {"team": "orders", "app": "order-api"}, True),
    DemoGroup(EMEA, "dp-sales-forecast-dev-rg", {}, True),
    DemoGroup(EMEA, "dp-marketing-leads-tst-rg", {"team": "growth"}, True),
    DemoGroup(EMEA, "churn-analytics", {"DataDomain": "sales", "DataProduct": "churn", "Environment": "dev"}, True),
    DemoGroup(EMEA, "shared-network-rg", {"owner": "netops"}, False),
    DemoGroup(AMER, "dp-finance-ledger-rg", {"team": "ledger"}, True),
)
RESOURCES = (
    DemoResource(
        "dp-sales-orders-rg",
        "Microsoft.Storage/storageAccounts",
        "stsalesorders",
        "2023-05-01",
        {
            "location": "westeurope",
            "kind": "StorageV2",
            "sku": {"name": "Standard_LRS"},
            "properties": {"isHnsEnabled": True},
        },
    ),
    DemoResource(
        "dp-sales-orders-rg",
        "Microsoft.Sql/servers",
        "sql-sales-orders",
        "2021-11-01",
        {"location": "westeurope", "properties": {"administratorLogin": "orders", "version": "12.0"}},
    ),
    DemoResource(
        "dp-sales-orders-rg",
        "Microsoft.DocumentDB/databaseAccounts",
        "cosmos-sales-orders",
        "2024-08-15",
        {
            "location": "westeurope",
            "kind": "GlobalDocumentDB",
            "properties": {"databaseAccountOfferType": "Standard", "locations": [{"locationName": "westeurope"}]},
        },
    ),
    DemoResource(
        "dp-sales-forecast-dev-rg",
        "Microsoft.MachineLearningServices/workspaces",
        "mlw-forecast-dev",
        "2024-04-01",
        {"location": "westeurope", "identity": {"type": "SystemAssigned"}, "properties": {}},
    ),
)


def say(text: str = "") -> None:
    print(text, flush=True)


def follow_run(status_url: str, timeout: float = 300) -> dict[str, Any]:
    """Poll a run's status URL (202 while its landing zones are being reconciled) until it is done."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(status_url, timeout=60)
        if response.status_code != 202 or time.monotonic() > deadline:
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body
        time.sleep(float(response.headers.get("Retry-After", "1")) / 5)


def sync_all(host: HostEndpoints, **params: str) -> dict[str, Any]:
    """``POST /api/sync``: 202 with a status URL; the estate report once every landing zone is done."""
    started = requests.post(f"{host.url}/api/sync", params=params, timeout=60)
    started.raise_for_status()
    report: dict[str, Any] = follow_run(started.headers["Location"])["report"]
    return report


def run_timer(host: HostEndpoints) -> int:
    """Fire the timer (it enqueues one message per landing zone) and wait for its run; the admin status."""
    enqueued = re.compile(r"run ([0-9a-f-]{36}): \d+ landing zones enqueued")
    before = set(enqueued.findall(host.log_text()))
    fired = requests.post(f"{host.url}/admin/functions/reconcile", json={"input": ""}, timeout=300)
    for run_id in [run for run in enqueued.findall(host.log_text()) if run not in before]:
        follow_run(f"{host.url}/api/sync/runs/{run_id}")
    return fired.status_code


def heading(text: str) -> None:
    say()
    say(f"== {text} " + "=" * max(0, 96 - len(text)))


def describe_delivery(delivery: Delivery) -> str:
    subject = delivery.subject.split("/resourceGroups/", 1)[-1].split("/resourcegroups/", 1)[-1]
    return f"{delivery.operation_name:<54} {subject[:58]:<58} → {delivery.outcome} (attempt {delivery.attempts})"


class Watcher:
    """Prints Event Grid deliveries and the app's own log lines as they happen."""

    def __init__(self, control: EmulatorControl, host: HostEndpoints) -> None:
        self._control = control
        self._host = host
        self._seen: set[tuple[str, str]] = set()
        self._printed = 0

    def deliveries(self) -> None:
        for delivery in self._control.deliveries():
            key = (delivery.event_id, delivery.subscription_name)
            if key in self._seen or delivery.outcome == "pending":
                continue
            self._seen.add(key)
            say(f"  event {describe_delivery(delivery)}")

    def function_log(self, *, only_reconciles: bool = True) -> None:
        lines = self._host.log_text().splitlines()
        for line in lines[self._printed :]:
            if " dpgov." in line and "]: " in line:
                message = line.split("]: ", 1)[1]
                if only_reconciles and " acknowledged: " in message:
                    continue
                say(f"  function {message[:220]}{'…' if len(message) > 220 else ''}")
        self._printed = len(lines)

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until Event Grid has nothing in flight (the app's own writes raise events too)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._control.wait_for_deliveries_idle(timeout=max(1.0, deadline - time.monotonic()))
            time.sleep(0.5)
            if not any(d.outcome == "pending" for d in self._control.deliveries()):
                break
        self.deliveries()


async def create(endpoints: EmulatorEndpoints, groups: Sequence[DemoGroup], resources: Sequence[DemoResource]) -> None:
    async with DefaultAzureCredential() as credential:
        for subscription_id in sorted({group.subscription_id for group in groups}):
            async with ResourceManagementClient(
                credential, subscription_id, base_url=endpoints.url, connection_verify=endpoints.ca_bundle
            ) as client:
                for group in (g for g in groups if g.subscription_id == subscription_id):
                    await client.resource_groups.create_or_update(
                        group.name, {"location": "westeurope", "tags": dict(group.tags)}
                    )
                    say(f"  created group {group.name} ({subscription_id[:8]}…) tags={dict(group.tags)}")
                for resource in (r for r in resources if subscription_id == EMEA):
                    group_id = f"/subscriptions/{EMEA}/resourceGroups/{resource.group}"
                    rid = f"{group_id}/providers/{resource.type}/{resource.name}"
                    poller = await client.resources.begin_create_or_update_by_id(
                        rid, dict(resource.body), api_version=resource.api_version
                    )
                    await poller.result()
                    say(f"  created {resource.type.split('/')[-1][:-1]} {resource.name} in {resource.group}")


async def team_retags(endpoints: EmulatorEndpoints, group: str, tags: Mapping[str, str]) -> None:
    """A product team edits tags with its own identity (as the portal's tag blade would)."""
    async with (
        ManagedIdentityCredential(client_id=TEAM_CLIENT_ID) as credential,
        ResourceManagementClient(
            credential, EMEA, base_url=endpoints.url, connection_verify=endpoints.ca_bundle
        ) as client,
    ):
        patch = TagsPatchResource(operation="Merge", properties=Tags(tags=dict(tags)))
        await (await client.tags.begin_update_at_scope(f"/subscriptions/{EMEA}/resourceGroups/{group}", patch)).result()
        say(f"  the team (its own identity) merged {dict(tags)} into {group}")


async def show_governance(endpoints: EmulatorEndpoints, control: EmulatorControl) -> None:
    """What the app made, read back through the SDKs and Purview's state."""
    async with (
        DefaultAzureCredential() as credential,
        ResourceManagementClient(
            credential, EMEA, base_url=endpoints.url, connection_verify=endpoints.ca_bundle
        ) as arm,
        AuthorizationManagementClient(
            credential, EMEA, base_url=endpoints.url, connection_verify=endpoints.ca_bundle
        ) as authorization,
        PolicyClient(credential, EMEA, base_url=endpoints.url, connection_verify=endpoints.ca_bundle) as policy,
    ):
        for group in ("lz-emea-reporting-rg", "dp-sales-orders-viz-rg"):
            found = await arm.resource_groups.get(group)
            say(f"  group {group:<26} tags={dict(found.tags or {})}")
        for scope in (
            "lz-emea-reporting-rg",
            "dp-sales-orders-viz-rg",
            "dp-sales-orders-rg",
            "dp-sales-forecast-dev-rg/providers/Microsoft.MachineLearningServices/workspaces/mlw-forecast-dev",
            "dp-sales-orders-rg/providers/Microsoft.Storage/storageAccounts/stsalesorders",
        ):
            full = f"/subscriptions/{EMEA}/resourceGroups/{scope}"
            async for item in authorization.role_assignments.list_for_scope(full, filter="atScope()"):
                if (item.scope or "").lower() == full.lower():
                    role = ROLE_NAMES.get(str(item.role_definition_id).rsplit("/", 1)[-1], item.role_definition_id)
                    say(f"  grant {role:<24} → {item.principal_type} {item.principal_id} on {scope.split('/')[-1]}")
        assignment = (
            await policy.policy_assignments.get(
                f"/subscriptions/{EMEA}/resourceGroups/dp-sales-orders-rg", "dpgov-sales-baseline"
            )
        ).as_dict()
        say(
            f"  policy {assignment['name']} → {assignment['properties']['policyDefinitionId'].rsplit('/', 1)[-1]}"
            f", identity {assignment['identity']['principalId']} in {assignment['location']}"
        )
    purview = control.purview()
    say(f"  purview collections: {', '.join(sorted(c.name for c in purview.collections))}")
    for source in purview.data_sources:
        scans = ", ".join(f"{scan.name}{' + trigger' if scan.has_trigger else ''}" for scan in source.scans) or "-"
        say(f"  purview source {source.name} ({source.kind}) in {source.collection}; scans: {scans}")
    for entity in purview.entities:
        say(f"  purview entity {entity.type_name} {entity.qualified_name} in {entity.collection_id} ({entity.status})")
    catalog = control.catalog()
    domains = {d["id"]: d["name"] for d in catalog.domains}
    for domain in catalog.domains:
        say(f"  unified catalog governance domain {domain['name']} ({domain['type']}, {domain['status']})")
    assets = {a["id"]: a["name"] for a in catalog.data_assets}
    for product in catalog.data_products:
        owners = len((product.get("contacts") or {}).get("owner") or [])
        linked = [
            assets.get(r.data_asset_id, r.data_asset_id)
            for r in catalog.relationships
            if r.data_product_id == product["id"]
        ]
        say(
            f"  unified catalog data product {product['name']} in {domains.get(product['domain'], '?')} "
            f"({product['status']}, {owners} owner(s)); assets: {', '.join(linked) or '-'}"
        )


def product_table(host: HostEndpoints) -> tuple[str, list[str]]:
    """``GET /api/dataproducts``: one row per product, one column per aspect."""
    inventory = requests.get(f"{host.url}/api/dataproducts", timeout=120).json()
    products = inventory["data_products"]
    aspects = [c["aspect"] for c in products[0]["conditions"]] if products else []
    rows = [("RESOURCE GROUP", "DOMAIN/PRODUCT", "ENV", *(a.upper() for a in aspects))]
    problems = []
    for product in sorted(products, key=lambda p: p["resource_group"]):
        statuses = {c["aspect"]: c["status"] for c in product["conditions"]}
        rows.append(
            (
                product["resource_group"],
                f"{product['domain']}/{product['product']}",
                product["environment"],
                *(statuses.get(a, "-") for a in aspects),
            )
        )
        bad = [a for a, s in statuses.items() if s not in {"compliant", "blocked"}]
        if bad:
            problems.append(f"{product['resource_group']}: {', '.join(f'{a}={statuses[a]}' for a in bad)}")
    wanted = {g.name for g in GROUPS if g.product}
    missing = wanted - {p["resource_group"] for p in products}
    problems += [f"{name} is not governed" for name in sorted(missing)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    table = "\n".join("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)
    return table, problems


def main() -> int:
    started = time.monotonic()
    heading("Starting the local Azure (ARM, identity, Event Grid, Purview, Azurite) and the Functions host")
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
        say(f"  local Azure: {endpoints.url}   Purview: {environment.get('DPGOV_PURVIEW_ENDPOINT', '-')}")
        say(f"  functions host (function_app.py): {host.url}")
        # The demo process is the platform engineer's workstation: same credential chain as the app.
        os.environ.update({k: v for k, v in environment.items() if k.startswith("IDENTITY_")})

        heading("What the platform team has in place: principals, a management group, the sales initiative")
        control.seed_subscriptions([EMEA, AMER])
        prepare_directory(control)

        async def platform() -> None:
            async with DefaultAzureCredential() as credential:
                await define_initiatives(credential, endpoints.url, connection_verify=endpoints.ca_bundle)

        asyncio.run(platform())
        say("  Entra: sales data scientists, sales report authors (groups), the Power BI gateway (service principal)")
        say("  management group mg-contoso-data: both landing zones; initiative dpgov-sales-baseline defined there")
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
        say("  Event Grid: both landing-zone subscriptions → on_resource_event (handshake done)")

        heading("Product teams create their data products (through the SDK)")
        asyncio.run(create(endpoints, GROUPS, RESOURCES))
        watcher = Watcher(control, host)

        heading("Events arriving at the function, and what it decided (one line per reconcile)")
        watcher.settle()
        watcher.function_log()

        heading("The governed estate: GET /api/dataproducts — one condition per aspect")
        table, problems = product_table(host)
        say(table)
        say("  (blocked: Purview registered the SQL server and the Cosmos DB account but needs a person: see below)")
        report = requests.post(
            f"{host.url}/api/dataproducts/{EMEA}/dp-sales-orders-rg/sync", params={"dryRun": "true"}, timeout=60
        ).json()
        for condition in report["conditions"]:
            for finding in condition.get("findings", []):
                say(f"  {condition['aspect']} {finding['kind']}: {finding['message'][:180]}")

        heading("What the app made (read back through the SDKs)")
        asyncio.run(show_governance(endpoints, control))

        heading("A team retags its product to make another domain pay (the identity is pinned)")
        asyncio.run(team_retags(endpoints, "churn-analytics", {"DataDomain": "finance", "CostCenter": "CC-3001"}))
        watcher.settle()
        watcher.function_log()
        churn = requests.post(
            f"{host.url}/api/dataproducts/{EMEA}/churn-analytics/sync", params={"dryRun": "true"}, timeout=60
        ).json()
        domain, outcome = churn["data_product"]["domain"], churn["outcome"]
        say(f"  churn-analytics now: domain={domain}, outcome={outcome} (repaired by its own event)")

        heading("Drift whose event never arrives (Event Grid subscription paused)")
        control.remove_event_subscription(f"dpgov-{EMEA[:8]}")
        asyncio.run(team_retags(endpoints, "dp-marketing-leads-tst-rg", {"Owner": "someone@contoso.com"}))
        subscribe(EMEA)
        plan = sync_all(host, dryRun="true")
        say(f"  POST /api/sync?dryRun=true → 202, its status URL → {plan['summary']['planned']} group(s) would change:")
        for group in plan["groups"]:
            for action in group["plan"]:
                say(f"    {group['resource_group']}: {action['aspect']} {action['kind']}")
        try:
            shot = screenshot_compliance_page(f"{host.url}/api/inventory", SCREENSHOT, plan_of=LEADS)
            say(f"  the compliance page (GET /api/inventory), this drift's plan shown → {shot.relative_to(ROOT)}")
        except ChromiumMissing as missing:
            say(f"  no screenshot of the compliance page: {missing}")
        control.clear_requests()
        timer = run_timer(host)
        summary = control.request_summary()
        say(
            f"  timer 'reconcile' → HTTP {timer}, one queue message per landing zone: "
            f"{summary.writes} ARM writes, {summary.reads} ARM reads"
        )
        watcher.settle()

        heading("A governed estate costs nothing: the timer again")
        control.clear_requests()
        run_timer(host)
        summary = control.request_summary()
        say(
            f"  ARM: {summary.reads} reads (one list per subscription and kind), {summary.writes} writes; "
            f"Purview: {summary.purview_reads} reads, {summary.purview_writes} writes; "
            f"Unified Catalog: {summary.catalog_reads} reads, {summary.catalog_writes} writes"
        )
        if summary.writes or summary.purview_writes or summary.catalog_writes:
            problems.append("the second timer run wrote something")

        heading("Result")
        table, end_problems = product_table(host)
        problems += end_problems
        say(table)

        heading("Outcome events the app published to its custom topic (GET /_emulator/topics/events)")
        received = control.topic_events()
        for event in received:
            group = (event.subject or "").rsplit("/", 1)[-1]
            say(f"  {event.type:<27} {group}")
        say(f"  {len(received)} event(s), CloudEvents 1.0; the compliant runs published none")
        if not any(event.type == "DataProduct.Governed" for event in received):
            problems.append("no DataProduct.Governed event reached the outcome topic")
        if problems:
            for problem in problems:
                say(f"  FAIL {problem}")
            return 1
        products = sum(1 for group in GROUPS if group.product)
        say(
            f"  all {products} demo data products governed; other groups untouched ({time.monotonic() - started:.1f} s)"
        )
        return 0


if __name__ == "__main__":
    sys.exit(main())
