"""Headless Chromium for the compliance page's tests and the demo's screenshot (dev and test only).

The browser is Debian's (``chromium``, at ``/usr/bin/chromium``; ``make test`` and ``make demo``
install it with apt when it is missing), driven by Playwright for Python with that executable:
Playwright's own browser download needs the internet, which this project's machines do not have.
The flags keep Chromium off the network (no background requests, component updates, sync or QUIC),
so the only requests it makes are the page's own. ``DPGOV_CHROMIUM`` names another Chromium binary.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path(os.environ.get("DPGOV_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PAGE_LOADED = "body[data-loaded='true']"  # set by the page once the inventory answered (or failed)


class ChromiumMissing(RuntimeError):
    """Debian's Chromium is not installed."""


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium (a fresh profile), closed afterwards."""
    if not CHROMIUM.exists():
        raise ChromiumMissing(
            f"{CHROMIUM} is missing: `make test` and `make demo` install it "
            "(apt-get install --no-install-recommends chromium chromium-driver)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def open_compliance_page(browser: Browser, url: str, *, width: int = 1440, height: int = 900) -> Page:
    """A new page (its own context) showing the compliance page at ``url``, once its inventory is shown."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(PAGE_LOADED, timeout=120_000)
    return page


def show_plan(page: Page, resource_group: str) -> None:
    """Press a product's "Plan" button and wait for its dry run to be shown."""
    page.locator(f"tr.product-row[data-resource-group='{resource_group}'] button.plan-button").click()
    page.locator(f"tr.plan-row[data-resource-group='{resource_group}'] .plan-outcome").wait_for(timeout=60_000)


def screenshot_compliance_page(url: str, path: Path, *, plan_of: str | None = None) -> Path:
    """Open the page, optionally show one product's dry run, and write a full-page PNG to ``path``."""
    with chromium() as browser:
        page = open_compliance_page(browser, url, height=560)
        if plan_of is not None:
            show_plan(page, plan_of)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        page.context.close()
    return path
