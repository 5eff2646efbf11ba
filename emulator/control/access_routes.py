"""Control routes for what RBAC and Policy consult: the directory's principals and the management groups.

``PUT /_emulator/principals/{id}`` adds a user, group or service principal (visible to ARM after the
``principalReplicationDelay`` setting), ``GET`` lists every principal ARM may know (the emulator's own
managed identities and policy assignments' identities included), ``DELETE`` removes one added here.
``PUT /_emulator/managementGroups/{name}`` creates or replaces a management group with its parent and
subscriptions; ``GET`` lists them; ``DELETE`` removes one without child groups.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..arm.errors import ArmError, error_body
from ..directory.principals import PRINCIPAL_TYPES, Principal
from ..state import STATE_KEY
from .models import DirectoryPrincipal, ManagementGroupInfo

__all__ = ["ACCESS_ROUTES"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _wire(principal: Principal, now: float) -> dict[str, Any]:
    return DirectoryPrincipal(
        principal.id,
        principal.type,
        principal.display_name,
        principal.member_of,
        principal.source,
        principal.visible(now),
    ).to_json()


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object sent; ``ValueError`` (a 400 from the control API's guard) otherwise."""
    text = await request.text()
    parsed = json.loads(text) if text.strip() else {}
    if not isinstance(parsed, dict):
        raise ValueError("the body must be a JSON object")
    return parsed


async def put_principal(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    principal_id = request.match_info["principal_id"]
    body = await _body(request)
    if not _GUID.match(principal_id):
        raise ValueError(f"'{principal_id}' is not an object id (a GUID)")
    kind = body.get("type")
    if kind not in PRINCIPAL_TYPES:
        raise ValueError(f"'type' must be one of {', '.join(PRINCIPAL_TYPES)}")
    display_name = body.get("displayName") or principal_id
    member_of = body.get("memberOf") or []
    if not isinstance(display_name, str):
        raise ValueError("'displayName' must be a string")
    if not isinstance(member_of, list) or not all(isinstance(g, str) and _GUID.match(g) for g in member_of):
        raise ValueError("'memberOf' must be an array of group object ids")
    principal, created = state.access.principals.put(
        principal_id, kind, display_name, member_of, delay=state.settings.principal_replication_delay
    )
    return web.json_response(_wire(principal, time.monotonic()), status=201 if created else 200)


async def get_principals(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    now = time.monotonic()
    return web.json_response({"value": [_wire(p, now) for p in state.access.directory(state.store)]})


async def delete_principal(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    principal_id = request.match_info["principal_id"]
    if not state.access.principals.remove(principal_id):
        return web.json_response(
            error_body("NotFound", f"no principal '{principal_id}' was added through the control API"), status=404
        )
    return web.json_response({"ok": True})


async def put_management_group(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    body = await _body(request)
    info = ManagementGroupInfo.from_json({**body, "name": request.match_info["name"]})
    for subscription_id in info.subscriptions:
        try:
            state.store.subscription(subscription_id)
        except ArmError as error:
            raise ValueError(error.message) from None
    group, created = state.access.management_groups.put(
        info.name, display_name=info.display_name, parent=info.parent, subscriptions=info.subscriptions
    )
    return web.json_response(group.to_json(), status=201 if created else 200)


async def get_management_groups(request: web.Request) -> web.StreamResponse:
    groups = request.app[STATE_KEY].access.management_groups
    return web.json_response({"value": [group.to_json() for group in groups]})


async def delete_management_group(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if not request.app[STATE_KEY].access.management_groups.remove(name):
        return web.json_response(error_body("NotFound", f"no management group '{name}'"), status=404)
    return web.json_response({"ok": True})


ACCESS_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/principals", get_principals),
    ("PUT", "/principals/{principal_id}", put_principal),
    ("DELETE", "/principals/{principal_id}", delete_principal),
    ("GET", "/managementGroups", get_management_groups),
    ("PUT", "/managementGroups/{name}", put_management_group),
    ("DELETE", "/managementGroups/{name}", delete_management_group),
]
