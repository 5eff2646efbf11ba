"""The ARM front door: what happens to every request before and after its handler.

In order: half the configured latency, authentication (ARM's 401s), throttling (token buckets,
429 + ``Retry-After``), injected faults, the ``api-version`` check, the handler, the other half of
the latency. Every response carries ARM's headers (request and correlation ids, remaining-rate
headers, no-cache); every request lands in the request log. Handlers never see HTTP.
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
from .errors import ArmError
from .paths import ArmTarget, parse_arm_path
from .providers.resources import ArmCall, ArmResponse, dispatch, operation_id

__all__ = ["STATE_KEY", "handle_arm", "json_response"]

REGION = "WESTEUROPE"
_CLASSES: dict[str, RequestClass] = {"GET": "read", "HEAD": "read", "DELETE": "delete"}


def request_class(method: str) -> RequestClass:
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


def _subscription_of(target: object) -> str | None:
    value = getattr(target, "subscription_id", None)
    return value if isinstance(value, str) else None


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
    klass = request_class(method)
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
            operation=operation_id(method, target),
            start=started,
            end=time.monotonic(),
            subscription_id=subscription_id,
        )
    )
    if response is None:
        # A "reset" fault: the connection is already aborted, so nothing of this reaches the client.
        return web.Response(status=500)
    return response


async def _serve(
    state: EmulatorState,
    request: web.Request,
    target: ArmTarget,
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
    call = ArmCall(
        method=method,
        path=request.path,
        query=query,
        body=await request.read(),
        base_url=f"{request.scheme}://{request.host}",
        context=_context(state, request, caller, subscription_id, correlation_id),
    )
    result: ArmResponse = dispatch(state, call, target)
    body = None if method == "HEAD" else result.body
    return json_response(result.status, body, {**headers, **result.headers})


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
