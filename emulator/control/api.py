"""The emulator's control API under ``/_emulator/``: how tests, the demo and benchmarks steer it.

It needs no ARM token and is not ARM traffic: it is neither logged nor delayed nor faulted. Bad input
gets a 400 with an ARM-shaped error body and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..arm.errors import error_body
from ..eventgrid.publisher import EventSubscription, HandshakeError
from ..purview.control import purview_control_routes
from ..requestlog import summarize
from ..state import STATE_KEY, EmulatorState
from .access_routes import ACCESS_ROUTES
from .models import (
    EVENT_SCHEMAS,
    DeliverySettings,
    FaultRule,
    SeedSubscription,
)

__all__ = ["CONTROL_PREFIX", "add_control_routes"]

CONTROL_PREFIX = "/_emulator"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadControlRequest(Exception):
    """Invalid control input (400)."""


def _bad(message: str, code: str = "BadRequest", status: int = 400) -> web.Response:
    return web.json_response(error_body(code, message), status=status)


async def _json(request: web.Request) -> dict[str, Any]:
    text = await request.text()
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        raise BadControlRequest(f"invalid JSON: {error}") from None
    if not isinstance(value, dict):
        raise BadControlRequest("the body must be a JSON object")
    return value


def _guarded(handler: Handler) -> Handler:
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (BadControlRequest, ValueError, KeyError, TypeError) as error:
            return _bad(str(error))

    return run


def _ok(body: Any = None) -> web.Response:
    return web.json_response(body if body is not None else {"ok": True})


async def reset(request: web.Request) -> web.StreamResponse:
    await request.app[STATE_KEY].reset()
    return _ok()


async def seed(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    body = await _json(request)
    items = body.get("subscriptions")
    if not isinstance(items, list):
        raise BadControlRequest("'subscriptions' must be an array")
    seeds = [SeedSubscription.from_json(item) for item in items]
    # Seeding skips ARM's checks but not its catalogue: only types some provider declares can exist.
    for seed_subscription in seeds:
        for group in seed_subscription.resource_groups:
            for resource in group.resources:
                if state.registry.tracked(resource.type) is None:
                    raise BadControlRequest(f"the resource type '{resource.type}' is not declared by any provider")
    written = state.store.seed(seeds)
    return _ok({"subscriptions": len(seeds), "resourceGroups": written})


async def put_subscription(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    body = await _json(request)
    subscription = state.store.ensure_subscription(
        request.match_info["subscription_id"],
        display_name=body.get("displayName"),
        tenant_id=body.get("tenantId"),
    )
    return _ok(subscription.to_json())


async def get_state(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    return _ok(
        {
            **state.store.dump(),
            "settings": _settings_json(state),
            "throttling": state.throttle.enabled,
            "eventSubscriptions": [s.to_json() for s in state.publisher.subscriptions()],
            "delivery": state.publisher.settings.to_json(),
            "access": state.access.dump(state.store),
        }
    )


async def get_identity(request: web.Request) -> web.StreamResponse:
    return _ok(request.app[STATE_KEY].issuer.system_identity.to_json())


async def put_latency(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    ms = body.get("ms")
    if not isinstance(ms, int | float) or ms < 0:
        raise BadControlRequest("'ms' must be a non-negative number")
    request.app[STATE_KEY].settings.latency_ms = float(ms)
    return _ok()


def _count(body: dict[str, Any], name: str, *, minimum: int = 0) -> int:
    value = body[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        kind = "a positive integer" if minimum == 1 else "a non-negative integer"
        raise BadControlRequest(f"'{name}' must be {kind}")
    return value


def _seconds(body: dict[str, Any], name: str) -> float:
    value = body[name]
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise BadControlRequest(f"'{name}' must be a non-negative number (seconds)")
    return float(value)


async def put_settings(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    body = await _json(request)
    if "pageSize" in body:
        state.settings.page_size = _count(body, "pageSize", minimum=1)
    if "lroRetryAfter" in body:
        state.settings.lro_retry_after = _count(body, "lroRetryAfter")
    if "purviewCreatingGets" in body:
        state.settings.purview_creating_gets = _count(body, "purviewCreatingGets")
    if "principalReplicationDelay" in body:
        state.settings.principal_replication_delay = _seconds(body, "principalReplicationDelay")
    if "remediationPolls" in body:
        state.settings.remediation_polls = _count(body, "remediationPolls")
    if "resourceGraphLag" in body:
        state.settings.resource_graph_lag = _seconds(body, "resourceGraphLag")
        state.resource_graph.take_snapshot(state.store, state.access)  # what Resource Graph answers until it is lag old
    return _ok(_settings_json(state))


def _settings_json(state: EmulatorState) -> dict[str, Any]:
    settings = state.settings
    return {
        "pageSize": settings.page_size,
        "latencyMs": settings.latency_ms,
        "lroRetryAfter": settings.lro_retry_after,
        "purviewCreatingGets": settings.purview_creating_gets,
        "principalReplicationDelay": settings.principal_replication_delay,
        "remediationPolls": settings.remediation_polls,
        "resourceGraphLag": settings.resource_graph_lag,
    }


async def put_faults(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    rules = body.get("rules")
    if not isinstance(rules, list):
        raise BadControlRequest("'rules' must be an array")
    request.app[STATE_KEY].faults.set_rules([FaultRule.from_json(rule) for rule in rules])
    return _ok()


async def delete_faults(request: web.Request) -> web.StreamResponse:
    request.app[STATE_KEY].faults.clear()
    return _ok()


async def put_throttling(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    enabled = body.get("enabled")
    if not isinstance(enabled, bool):
        raise BadControlRequest("'enabled' must be a boolean")
    state = request.app[STATE_KEY]
    state.throttle.enabled = enabled
    return _ok()


async def get_requests(request: web.Request) -> web.StreamResponse:
    return _ok({"value": [entry.to_json() for entry in request.app[STATE_KEY].requests.entries()]})


async def delete_requests(request: web.Request) -> web.StreamResponse:
    request.app[STATE_KEY].requests.clear()
    return _ok()


async def get_summary(request: web.Request) -> web.StreamResponse:
    return _ok(summarize(request.app[STATE_KEY].requests.entries()).to_json())


async def post_event_subscription(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    name, endpoint, schema = body.get("name"), body.get("endpoint"), body.get("schema", "EventGridSchema")
    if not isinstance(name, str) or not name.strip():
        raise BadControlRequest("'name' is required")
    if not isinstance(endpoint, str) or not endpoint.lower().startswith(("http://", "https://")):
        raise BadControlRequest("'endpoint' must be an http(s) URL")
    if schema not in EVENT_SCHEMAS:
        raise BadControlRequest(f"'schema' must be one of {EVENT_SCHEMAS}")
    subscription_id = body.get("subscriptionId")
    included = body.get("includedEventTypes")
    if included is not None and (not isinstance(included, list) or not all(isinstance(t, str) for t in included)):
        raise BadControlRequest("'includedEventTypes' must be an array of strings")
    subscription = EventSubscription(
        name=name,
        endpoint=endpoint,
        schema=schema,
        subscription_id=subscription_id if isinstance(subscription_id, str) and subscription_id else None,
        included_event_types=tuple(included) if included else None,
    )
    try:
        await request.app[STATE_KEY].publisher.add_subscription(subscription)
    except HandshakeError as error:
        return _bad(str(error), code="WebhookValidationFailed")
    return web.json_response(subscription.to_json(), status=201)


async def get_event_subscriptions(request: web.Request) -> web.StreamResponse:
    return _ok({"value": [s.to_json() for s in request.app[STATE_KEY].publisher.subscriptions()]})


async def delete_event_subscription(request: web.Request) -> web.StreamResponse:
    removed = request.app[STATE_KEY].publisher.remove_subscription(request.match_info["name"])
    if not removed:
        return _bad(f"event subscription '{request.match_info['name']}' not found", "NotFound", 404)
    return _ok()


async def get_deliveries(request: web.Request) -> web.StreamResponse:
    return _ok({"value": [d.to_json() for d in request.app[STATE_KEY].publisher.deliveries()]})


async def wait_idle(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    timeout = body.get("timeout", 10.0)
    if not isinstance(timeout, int | float) or timeout < 0:
        raise BadControlRequest("'timeout' must be a non-negative number")
    idle = await request.app[STATE_KEY].publisher.wait_idle(float(timeout))
    return _ok({"idle": idle})


async def put_delivery(request: web.Request) -> web.StreamResponse:
    body = await _json(request)
    request.app[STATE_KEY].publisher.settings = DeliverySettings.from_json(body)
    return _ok()


async def get_topic(request: web.Request) -> web.StreamResponse:
    topic = request.app[STATE_KEY].topic
    return _ok({"endpoint": topic.endpoint, "resourceId": topic.resource_id, "received": len(topic.events())})


async def get_topic_events(request: web.Request) -> web.StreamResponse:
    return _ok({"value": [event.to_json() for event in request.app[STATE_KEY].topic.events()]})


async def get_topic_publishes(request: web.Request) -> web.StreamResponse:
    return _ok({"value": [publish.to_json() for publish in request.app[STATE_KEY].topic.publishes()]})


async def health(request: web.Request) -> web.StreamResponse:
    del request
    return _ok({"status": "healthy"})


def add_control_routes(app: web.Application) -> None:
    """Register the control API; call before the ARM catch-all route."""
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/health", health),
        ("POST", "/reset", reset),
        ("POST", "/seed", seed),
        ("PUT", "/subscriptions/{subscription_id}", put_subscription),
        ("GET", "/state", get_state),
        ("GET", "/identity", get_identity),
        ("PUT", "/latency", put_latency),
        ("PUT", "/settings", put_settings),
        ("PUT", "/faults", put_faults),
        ("DELETE", "/faults", delete_faults),
        ("PUT", "/throttling", put_throttling),
        ("GET", "/requests", get_requests),
        ("DELETE", "/requests", delete_requests),
        ("GET", "/requests/summary", get_summary),
        ("POST", "/eventSubscriptions", post_event_subscription),
        ("GET", "/eventSubscriptions", get_event_subscriptions),
        ("DELETE", "/eventSubscriptions/{name}", delete_event_subscription),
        ("GET", "/deliveries", get_deliveries),
        ("POST", "/deliveries/wait-idle", wait_idle),
        ("PUT", "/delivery", put_delivery),
        ("GET", "/topics", get_topic),
        ("GET", "/topics/events", get_topic_events),
        ("GET", "/topics/publishes", get_topic_publishes),
        *purview_control_routes(),
        *ACCESS_ROUTES,
    ]
    for method, path, handler in routes:
        app.router.add_route(method, CONTROL_PREFIX + path, _guarded(handler))

    async def unknown(request: web.Request) -> web.StreamResponse:
        return _bad(f"no control route {request.method} {request.path}", "NotFound", 404)

    app.router.add_route("*", CONTROL_PREFIX + "/{tail:.*}", unknown)
