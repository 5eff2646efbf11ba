"""The compliance page (``GET /api/inventory``) in a real browser: Debian's headless Chromium, driven by
Playwright, over a small demo-like estate on the local Azure served by the local Functions host.

One estate and one browser for the module. The estate is built before the browser starts: the sync
Playwright API marks its event loop as running between calls, so nothing here may run asyncio while
the browser lives (hence no async fixtures). Every test opens the page in a fresh context with
``?code=`` set, records every request the page makes, and lets through only those to the host.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource
from playwright.sync_api import Browser, Page, Request, Route

from emulator.browser import PAGE_LOADED, chromium, show_plan
from emulator.client import EmulatorControl, SeedResource, SeedResourceGroup, SeedSubscription
from emulator.host import HostEndpoints
from emulator.process import EmulatorEndpoints
from emulator.scenario import define_initiatives, prepare_directory
from tests.integration.conftest import AMER, EMEA, TEAM_CLIENT_ID, follow_run
from tests.integration.support import governed

KEY = "page-key-0123456789"
ORDERS = "dp-sales-orders-rg"  # governed; holds a SQL server, which Purview cannot scan without a person
FORECAST = "dp-sales-forecast-dev-rg"  # governed, as configured
RETURNS = "dp-sales-returns-rg"  # created after the last reconcile: everything pending
LEADS = "dp-marketing-leads-tst-rg"  # governed, then its team overwrote the governed cost centre
LEDGER = "dp-finance-ledger-rg"  # governed, in the other landing zone
ASPECTS = ["tags", "visualization", "rbac", "policy", "purview", "catalog"]
SQL_SERVER = SeedResource(
    "Microsoft.Sql/servers",
    "sql-sales-orders",
    location="westeurope",
    properties={"administratorLogin": "orders", "version": "12.0"},
)


@dataclass(frozen=True)
class Estate:
    control: EmulatorControl
    host_url: str

    def page_url(self) -> str:
        return f"{self.host_url}/api/inventory?code={KEY}"


async def _define_initiatives(arm_endpoint: str) -> None:
    async with DefaultAzureCredential() as credential:
        await define_initiatives(credential, arm_endpoint)


async def _team_sets_cost_centre(arm_endpoint: str, group: str, value: str) -> None:
    """The product's team overwrites the governed cost centre with its own identity; no event is delivered."""
    edit = TagsPatchResource(operation="Merge", properties=Tags(tags={"CostCenter": value}))
    async with (
        ManagedIdentityCredential(client_id=TEAM_CLIENT_ID) as credential,
        ResourceManagementClient(credential, EMEA, base_url=arm_endpoint) as client,
    ):
        await (await client.tags.begin_update_at_scope(f"/subscriptions/{EMEA}/resourceGroups/{group}", edit)).result()


@pytest.fixture(scope="module")
def estate(emulator: EmulatorEndpoints, app_environment: dict[str, str], host: HostEndpoints) -> Estate:
    """Four governed products in two landing zones (one since drifted), one not yet governed, one other group."""
    arm_endpoint = app_environment["DPGOV_ARM_ENDPOINT"]
    control = EmulatorControl(emulator.url, str(emulator.ca_bundle))
    control.reset()
    control.seed_subscriptions([EMEA, AMER])
    prepare_directory(control)
    asyncio.run(_define_initiatives(arm_endpoint))
    orders = SeedResourceGroup(ORDERS, tags={"team": "orders"}, resources=[SQL_SERVER])
    control.seed([SeedSubscription(EMEA, resource_groups=[orders])])
    control.seed_groups(EMEA, {FORECAST: {}, LEADS: {"team": "growth"}, "shared-network-rg": {"owner": "netops"}})
    control.seed_groups(AMER, {LEDGER: {"team": "ledger"}})
    started = requests.post(f"{host.url}/api/sync", timeout=300)
    assert started.status_code == 202, started.text
    governed_now = follow_run(started.headers["Location"], timeout=300)
    assert governed_now.status_code == 200, governed_now.text
    asyncio.run(_team_sets_cost_centre(arm_endpoint, LEADS, "CC-9999"))
    control.seed_groups(EMEA, {RETURNS: {}})
    return Estate(control, host.url)


@pytest.fixture(scope="module")
def browser(estate: Estate) -> Iterator[Browser]:
    del estate  # built first: no asyncio may run while the browser lives
    with chromium() as launched:
        yield launched


@dataclass
class Opened:
    page: Page
    requests: list[Request] = field(default_factory=list)

    def row(self, group: str) -> dict[str, str]:
        """A product's row: each aspect's status as the cell shows it."""
        row = self.page.locator(f"tr.product-row[data-resource-group='{group}']")
        return {aspect: row.locator(f"td[data-aspect='{aspect}']").inner_text() for aspect in ASPECTS}

    def visible_products(self) -> list[str]:
        rows = self.page.locator("tr.product-row:visible")
        return [rows.nth(i).get_attribute("data-resource-group") or "" for i in range(rows.count())]

    def visible_groups(self) -> list[tuple[str, str]]:
        rows = self.page.locator("tr.group-row:visible")
        return [
            (rows.nth(i).get_attribute("data-landing-zone") or "", rows.nth(i).get_attribute("data-domain") or "")
            for i in range(rows.count())
        ]


@pytest.fixture
def opened(browser: Browser, estate: Estate) -> Iterator[Opened]:
    """The page, opened with ``?code=KEY`` in a fresh context, its inventory shown; the log cleared after."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB", timezone_id="UTC")
    opened = Opened(context.new_page())

    def only_the_host(route: Route) -> None:
        opened.requests.append(route.request)
        if route.request.url.startswith(f"{estate.host_url}/"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_the_host)
    opened.page.goto(estate.page_url())
    opened.page.wait_for_selector(PAGE_LOADED, timeout=120_000)
    estate.control.clear_requests()
    yield opened
    context.close()


def test_the_page_shows_each_products_status_per_aspect_grouped_by_landing_zone_and_domain(
    opened: Opened, estate: Estate
) -> None:
    page = opened.page

    headers = page.locator("thead th").all_text_contents()
    assert headers == ["Data product", "Env", *ASPECTS, "Pending", "Dry run"]
    assert opened.visible_groups() == [("lz-amer", "finance"), ("lz-emea", "marketing"), ("lz-emea", "sales")]
    assert opened.visible_products() == [LEDGER, LEADS, FORECAST, ORDERS, RETURNS]
    assert opened.row(LEDGER) == dict.fromkeys(ASPECTS, "compliant")
    assert opened.row(FORECAST) == dict.fromkeys(ASPECTS, "compliant")
    assert opened.row(LEADS) == {**dict.fromkeys(ASPECTS, "compliant"), "tags": "planned"}
    assert opened.row(ORDERS) == {**dict.fromkeys(ASPECTS, "compliant"), "purview": "blocked"}
    assert opened.row(RETURNS) == {
        "tags": "planned",
        "visualization": "compliant",
        "rbac": "planned",
        "policy": "planned",
        "purview": "planned",
        "catalog": "planned",
    }
    assert page.locator("#summary").inner_text() == (
        "5 data products · 2 compliant · 3 need attention · 4 other groups not governed"
    )
    shown_at = datetime.datetime.fromisoformat(page.locator("#generated").get_attribute("datetime") or "")
    assert datetime.timedelta(0) <= datetime.datetime.now(datetime.UTC) - shown_at < datetime.timedelta(minutes=2)
    assert page.locator("#generated-note").inner_text() == "(read-only, at page load)"


def test_choosing_a_domain_hides_the_other_domains(opened: Opened) -> None:
    page = opened.page

    page.select_option("#filter-domain", "marketing")

    assert opened.visible_products() == [LEADS]
    assert opened.visible_groups() == [("lz-emea", "marketing")]
    assert page.locator("#shown").inner_text() == "1 of 5 shown"


def test_the_zone_and_status_filters_combine(opened: Opened) -> None:
    page = opened.page

    page.select_option("#filter-status", "planned")
    planned = opened.visible_products()
    page.select_option("#filter-zone", "lz-amer")
    planned_in_amer = opened.visible_products()
    page.select_option("#filter-status", "compliant")
    compliant_in_amer = opened.visible_products()
    page.select_option("#filter-zone", "")
    page.select_option("#filter-status", "blocked")
    blocked = opened.visible_products()

    assert planned == [LEADS, RETURNS]
    assert planned_in_amer == []
    assert compliant_in_amer == [LEDGER]
    assert blocked == [ORDERS]


def test_hovering_a_drifted_aspect_lists_its_pending_actions(opened: Opened) -> None:
    cell = opened.page.locator(f"tr.product-row[data-resource-group='{LEADS}'] td[data-aspect='tags'] .status")

    cell.hover()

    cost_centre = governed("marketing", "leads", "tst")["CostCenter"]
    assert cell.get_attribute("title") == (
        f"tags: planned (ChangesPlanned)\nPending actions (1):\n• merge tags on {LEADS}: CostCenter={cost_centre}"
    )
    compliant = opened.page.locator(f"tr.product-row[data-resource-group='{LEADS}'] td[data-aspect='rbac'] .status")
    assert compliant.get_attribute("title") == "rbac: compliant (UpToDate)\nNothing pending."


def test_the_plan_button_shows_that_products_dry_run_and_writes_nothing(opened: Opened, estate: Estate) -> None:
    page = opened.page
    before = len(opened.requests)

    show_plan(page, LEADS)

    plan = page.locator(f"tr.plan-row[data-resource-group='{LEADS}']")
    actions = plan.locator("ol.plan-actions li")
    cost_centre = governed("marketing", "leads", "tst")["CostCenter"]
    assert plan.locator(".plan-outcome").inner_text() == "planned"
    assert [
        (actions.nth(i).get_attribute("data-aspect"), actions.nth(i).get_attribute("data-kind"))
        for i in range(actions.count())
    ] == [("tags", "merge_tags")]
    assert actions.nth(0).locator(".detail").inner_text() == f"on {LEADS} · tags: CostCenter={cost_centre}"
    button = page.locator(f"tr.product-row[data-resource-group='{LEADS}'] button.plan-button")
    assert (button.inner_text(), button.get_attribute("aria-expanded")) == ("Hide plan", "true")
    [(method, url)] = [(r.method, r.url) for r in opened.requests[before:]]
    assert (method, url) == ("POST", f"{estate.host_url}/api/dataproducts/{EMEA}/{LEADS}/sync?dryRun=true")
    summary = estate.control.request_summary()
    assert (summary.writes, summary.deletes, summary.purview_writes, summary.purview_deletes) == (0, 0, 0, 0)
    assert (summary.catalog_writes, summary.catalog_deletes) == (0, 0)
    assert summary.reads > 0, "the dry run read Azure"


def test_the_page_requests_only_the_app_and_sends_its_key_as_a_header(opened: Opened, estate: Estate) -> None:
    show_plan(opened.page, RETURNS)

    requested = [(r.method, r.url.split("?", 1)[0]) for r in opened.requests]
    assert requested == [
        ("GET", f"{estate.host_url}/api/inventory"),
        ("GET", f"{estate.host_url}/api/dataproducts"),
        ("POST", f"{estate.host_url}/api/dataproducts/{EMEA}/{RETURNS}/sync"),
    ]
    calls = opened.requests[1:]
    assert [r.headers.get("x-functions-key") for r in calls] == [KEY, KEY]
    assert all("code=" not in r.url for r in calls), "the key travels as a header, never in a URL"
    assert opened.page.url == f"{estate.host_url}/api/inventory", "and leaves the address bar once read"


def test_the_page_is_served_with_a_policy_that_allows_only_the_app(estate: Estate) -> None:
    estate.control.clear_requests()

    response = requests.get(f"{estate.host_url}/api/inventory", headers={"x-functions-key": KEY}, timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    policy = dict(part.split(" ", 1) for part in response.headers["Content-Security-Policy"].split("; "))
    assert (policy["default-src"], policy["connect-src"]) == ("'none'", "'self'")
    assert f'<meta name="dpgov-function-key" content="{KEY}">' in response.text
    assert estate.control.request_summary().total == 0, "serving the page calls no Azure"
