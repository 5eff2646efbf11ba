"""The ARM front door: what happens to every request before and after its handler.

In order: half the configured latency, authentication (ARM's 401s), throttling (token buckets,
429 + ``Retry-After``), injected faults, the ``api-version`` check, resolving the resource type
through the provider registry (ARM's 400/404 for a namespace, type or api-version nobody declared),
the type's handler, the other half of the latency. Every response carries ARM's headers (request
and correlation ids, remaining-rate headers, no-cache); every request lands in the request log with
the caller's ``x-ms-client-request-id``. Handlers never see HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from typing import Any

from aiohttp import web

from ..control.models import LoggedRequest, RequestClass
from ..eventgrid.events import OperationContext
from ..identity.tokens import Caller
from ..state import STATE_KEY, EmulatorState
from .calls import ArmCall
from .errors import ArmError
from .paths import ArmTarget, parse_arm_path
from .registry import invalid_resource_type
from .store import normalize_location

__all__ = ["STATE_KEY", "handle_arm", "json_response"]

REGION = "WESTEUROPE"
_CLASSES: dict[str, RequestClass] = {"GET": "read", "HEAD": "read", "DELETE": "delete"}
# POSTs that only read: a Resource Graph query is counted (and throttled) as a read.
_READING_NAMESPACES = frozenset({"microsoft.resourcegraph"})


def request_class(method: str, target: ArmTarget | None = None) -> RequestClass:
    if target is not None and target.namespace.casefold() in _READING_NAMESPACES:
        return "read"
    return _CLASSES.get(method.upper(), "write")


def json_response(status: int, body: Any | None, headers: dict[str, str] | None = None) -> web.Response:
    """A response with ARM's JSON content type, or an empty one for no body."""
    if body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status,
        body=json.dumps(body).encode("utf-8"),
        headers={**(headers or {}), "Content-Type": "application/json; charset=utf-8"},
    )


def _subscription_of(target: ArmTarget | None) -> str | None:
    if target is None:
        return None
    if target.subscription_id is not None:
        return target.subscription_id
    if target.namespace.casefold() == "microsoft.resources" and target.type_path.casefold() == "subscriptions":
        return target.name or None
    return None


def _fault_error(status: int, correlation_id: str, subscription_id: str | None, retry_after: int) -> ArmError:
    if status == 429:
        return ArmError(
            429,
            "SubscriptionRequestsThrottled",
            f"Number of requests for subscription '{subscription_id}' exceeded the limit. Please try again "
            f"after '{retry_after}' seconds.",
            {"Retry-After": str(retry_after)},
        )
    if status == 503:
        return ArmError(
            503,
            "ServiceUnavailable",
            f"The service is temporarily unavailable. Please try again later. (correlation id '{correlation_id}')",
        )
    return ArmError(
        500,
        "InternalServerError",
        f"Encountered internal server error. Diagnostic information: timestamp "
        f"'{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}', subscription id '{subscription_id}', tracking id "
        f"'{uuid.uuid4()}', request correlation id '{correlation_id}'.",
    )


async def handle_arm(request: web.Request) -> web.StreamResponse:
    """Serve one ARM request end to end."""
    state = request.app[STATE_KEY]
    started = time.monotonic()
    method = request.method.upper()
    target = parse_arm_path(request.path)
    klass = request_class(method, target)
    subscription_id = _subscription_of(target)
    client_correlation = request.headers.get("x-ms-correlation-request-id")
    correlation_id = client_correlation or str(uuid.uuid4())
    headers = {
        "Cache-Control": "no-cache",
        "Pragma": "no-cache",
        "Expires": "-1",
        "x-ms-request-id": str(uuid.uuid4()) if client_correlation else correlation_id,
        "x-ms-correlation-request-id": correlation_id,
        "x-ms-routing-request-id": f"{REGION}:{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}:{uuid.uuid4()}",
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
    }
    half_latency = state.settings.latency_ms / 2000.0
    if half_latency > 0:
        await asyncio.sleep(half_latency)
    response: web.StreamResponse | None
    try:
        response = await _serve(
            state,
            request,
            target,
            klass=klass,
            subscription_id=subscription_id,
            correlation_id=correlation_id,
            headers=headers,
        )
    except ArmError as error:
        # For HEAD aiohttp sends the headers of this body (Content-Length included) but not the body,
        # which is what ARM does: a HEAD of a missing group is a 404 with Content-Length: 104.
        response = json_response(error.status, error.body(), {**headers, **error.headers})
    if response is not None and half_latency > 0:
        await asyncio.sleep(half_latency)
    state.requests.record(
        LoggedRequest(
            method=method,
            path=request.path,
            query=dict(request.query),
            status=response.status if response is not None else 0,
            request_class=klass,
            operation=state.registry.operation_id(method, target),
            start=started,
            end=time.monotonic(),
            subscription_id=subscription_id,
            client_request_id=request.headers.get("x-ms-client-request-id"),
        )
    )
    if response is None:
        # A "reset" fault: the connection is already aborted, so nothing of this reaches the client.
        return web.Response(status=500)
    return response


async def _serve(
    state: EmulatorState,
    request: web.Request,
    target: ArmTarget | None,
    *,
    klass: RequestClass,
    subscription_id: str | None,
    correlation_id: str,
    headers: dict[str, str],
) -> web.StreamResponse | None:
    method = request.method.upper()
    caller = state.issuer.authenticate(request.headers.get("Authorization"))
    decision = state.throttle.take(subscription_id or "", caller.object_id, klass)
    headers[f"x-ms-ratelimit-remaining-subscription-{klass}s"] = str(decision.remaining)
    if not decision.allowed:
        raise ArmError(
            429,
            "SubscriptionRequestsThrottled",
            f"Number of '{klass}' requests for subscription '{subscription_id}' actor '{caller.object_id}' "
            f"exceeded. Please try again after '{decision.retry_after_seconds}' seconds after additional tokens "
            "are available. Refer to https://aka.ms/arm-throttling for additional information.",
            {"Retry-After": str(decision.retry_after_seconds)},
        )
    fault = state.faults.pick(method, request.path)
    if fault is not None:
        if fault.status == "reset":
            if request.transport is not None:
                request.transport.abort()
            return None
        raise _fault_error(int(fault.status), correlation_id, subscription_id, fault.retry_after)
    query = {key.lower(): value for key, value in request.query.items()}
    if not query.get("api-version"):
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    body = await request.read()
    api_version = query["api-version"]
    if target is None:
        raise invalid_resource_type(method, None, request.path, api_version)
    resolved = state.registry.resolve(method, target, api_version, lambda: _location(state, target, body))
    call = ArmCall(
        method=method,
        path=request.path,
        query=query,
        body=body,
        base_url=f"{request.scheme}://{request.host}",
        context=_context(state, request, caller, subscription_id, correlation_id),
    )
    result = resolved.resource_type.handler(state, call, target)
    payload = None if method == "HEAD" else result.body
    return json_response(result.status, payload, {**headers, **result.headers})


def _location(state: EmulatorState, target: ArmTarget, body: bytes) -> str:
    """The location a resource provider names when refusing an api-version: the body's, else the group's."""
    with contextlib.suppress(ValueError):
        given = json.loads(body) if body.strip() else None
        if isinstance(given, dict) and isinstance(given.get("location"), str) and given["location"].strip():
            return normalize_location(str(given["location"]))
    if target.subscription_id is not None and target.group is not None:
        with contextlib.suppress(ArmError):
            group = state.store.find_group(target.subscription_id, target.group)
            if group is not None:
                return group.location
    # What ARM names when neither exists is not verified; "global" is the location of location-less types.
    return "global"


def _context(
    state: EmulatorState, request: web.Request, caller: Caller, subscription_id: str | None, correlation_id: str
) -> OperationContext:
    tenant_id = state.tenant_id
    if subscription_id is not None:
        with contextlib.suppress(ArmError):
            tenant_id = state.store.subscription(subscription_id).tenant_id
    return OperationContext(
        subscription_id=subscription_id or "",
        tenant_id=tenant_id,
        caller=caller,
        correlation_id=correlation_id,
        client_request_id=request.headers.get("x-ms-client-request-id", ""),
        client_ip=request.remote or "",
        method=request.method.upper(),
        url=str(request.url),
    )
