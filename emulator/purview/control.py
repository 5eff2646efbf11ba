"""The control API's Purview routes (``/_emulator/purview…``): read the account's state, seed its ARM resource,
read the Unified Catalog and set its rate limit.

Like the rest of the control API they need no token and are neither logged nor faulted.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..arm.providers.purview import account_resource
from ..arm.store import ResourceGroup, normalize_location
from ..state import STATE_KEY
from .account import PurviewAccount
from .unified.snapshot import CatalogRateLimitSettings

__all__ = ["purview_control_routes"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _account(request: web.Request) -> PurviewAccount:
    account = request.app[STATE_KEY].purview
    if account is None:
        raise KeyError("this emulator serves no Purview account (--no-purview)")
    return account


async def get_purview(request: web.Request) -> web.StreamResponse:
    return web.json_response(_account(request).snapshot().to_json())


async def get_catalog(request: web.Request) -> web.StreamResponse:
    """The Unified Catalog: domains, data products, data assets, relationships and the rate limit."""
    return web.json_response(_account(request).catalog.snapshot().to_json())


async def get_rate_limit(request: web.Request) -> web.StreamResponse:
    return web.json_response(_account(request).catalog.rate_limit.settings.to_json())


async def put_rate_limit(request: web.Request) -> web.StreamResponse:
    """Set the catalog's per-caller rate limit (absent keys take their defaults); every window starts empty."""
    account = _account(request)
    text = await request.text()
    body: Any = json.loads(text) if text.strip() else {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    settings = CatalogRateLimitSettings.from_json(body)
    account.catalog.rate_limit.configure(settings)
    return web.json_response(settings.to_json())


async def put_arm_account(request: web.Request) -> web.StreamResponse:
    """Place the emulated account's ARM resource in a group (created if missing), silently."""
    state = request.app[STATE_KEY]
    text = await request.text()
    body: Any = json.loads(text) if text.strip() else {}
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    subscription_id, group_name = body.get("subscriptionId"), body.get("resourceGroup")
    location = body.get("location", "westeurope")
    if not (isinstance(subscription_id, str) and isinstance(group_name, str) and isinstance(location, str)):
        raise ValueError("'subscriptionId', 'resourceGroup' and 'location' must be strings")
    if not (subscription_id and group_name and location):
        raise ValueError("'subscriptionId', 'resourceGroup' and 'location' must not be empty")
    subscription = state.store.ensure_subscription(subscription_id)
    group = subscription.groups.get(group_name.casefold())
    if group is None:
        group = ResourceGroup(subscription.subscription_id, group_name, normalize_location(location))
        subscription.groups[group_name.casefold()] = group
    return web.json_response(account_resource(state, group, location).to_json())


def purview_control_routes() -> list[tuple[str, str, Handler]]:
    """``(method, path under /_emulator, handler)`` for the control API to register."""
    return [
        ("GET", "/purview", get_purview),
        ("PUT", "/purview/armAccount", put_arm_account),
        ("GET", "/purview/catalog", get_catalog),
        ("GET", "/purview/catalog/rate-limit", get_rate_limit),
        ("PUT", "/purview/catalog/rate-limit", put_rate_limit),
    ]
