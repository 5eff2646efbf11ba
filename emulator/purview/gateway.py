"""The Purview account's front door: its own HTTPS application, separate from ARM's.

In order, for every request: half the configured latency, routing on the path (any host), the bearer
token (Purview's audience, ``https://purview.azure.net`` with or without the slash; anything else is
401 in Purview's error shape), the Unified Catalog's rate limit (its paths only), injected faults (the
emulator's fault rules, matched on this path), the api-version of the route's service, the handler,
the other half of the latency. Every request lands in the request log with a Purview class
(``purview-read``/``-write``/``-delete``, or ``catalog-read``/``-write``/``-delete`` under
``/datagovernance/catalog``) and the service's REST operation id, so benchmarks count Purview traffic
apart from ARM's and the Unified Catalog's apart from the rest. Every error response under
``/datagovernance/catalog`` carries ``x-ms-error-code`` (an Azure.Core service's header).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from aiohttp import web

from ..arm.errors import ArmError
from ..control.models import LoggedRequest, RequestClass
from ..identity.tokens import Caller
from ..state import STATE_KEY, EmulatorState
from .account import PurviewAccount
from .calls import PurviewCall, PurviewResponse
from .errors import AtlasError, PurviewError, PurviewFailure
from .routes import Route, Service, find_route
from .unified.paths import catalog_request_class, is_catalog_path

__all__ = ["PURVIEW_AUDIENCES", "build_purview_app", "handle_purview"]

PURVIEW_AUDIENCES = ("https://purview.azure.net", "https://purview.azure.net/")
MAX_REQUEST_BYTES = 16 * 1024 * 1024
_CLASSES: dict[str, RequestClass] = {"GET": "purview-read", "HEAD": "purview-read", "DELETE": "purview-delete"}


def request_class(method: str, path: str) -> RequestClass:
    if is_catalog_path(path):
        return catalog_request_class(method, path)
    return _CLASSES.get(method.upper(), "purview-write")


def _render(
    response: PurviewResponse, headers: dict[str, str], *, atlas: bool, error_code: str | None = None
) -> web.Response:
    merged = {**headers, **response.headers}
    if error_code is not None:
        merged["x-ms-error-code"] = error_code
    if response.body is None:
        return web.Response(status=response.status, headers=merged)
    # Atlas answers "application/json"; the account, policy and scanning services add the charset.
    merged["Content-Type"] = "application/json" if atlas else "application/json; charset=utf-8"
    return web.Response(status=response.status, body=json.dumps(response.body).encode("utf-8"), headers=merged)


def _failure(
    error: PurviewFailure, request_id: str, headers: dict[str, str], *, error_code_header: bool = False
) -> web.Response:
    return _render(
        PurviewResponse(error.status, error.body(request_id)),
        headers,
        atlas=isinstance(error, AtlasError),
        error_code=error.code if error_code_header else None,
    )


def _authenticate(state: EmulatorState, authorization: str | None) -> Caller:
    try:
        return state.issuer.authenticate(authorization, PURVIEW_AUDIENCES)
    except ArmError as error:
        # Purview's front door answers every authentication failure as 401 "Unauthorized" (code unverified).
        raise _Unauthenticated(error) from None


class _Unauthenticated(Exception):
    def __init__(self, error: ArmError) -> None:
        super().__init__(error.message)
        self.error = error


def _fault(status: int | str, retry_after: int) -> PurviewError:
    if status == 429:
        return PurviewError(429, "TooManyRequests", f"Rate limit is exceeded. Try again in {retry_after} seconds.")
    if status == 503:
        return PurviewError(
            503, "ServiceUnavailable", "The service is temporarily unavailable. Please try again later."
        )
    return PurviewError(500, "InternalServerError", "An internal server error occurred. Please try again later.")


def _check_api_version(service: Service, path: str, api_version: str | None) -> None:
    """ASP.NET API versioning's answers, which Purview's services (Kestrel) give."""
    if api_version is None or api_version == "":
        if service.requires_api_version:
            raise PurviewError(400, "ApiVersionUnspecified", "An API version is required, but was not specified.")
        return
    if api_version not in service.api_versions:
        raise PurviewError(
            400,
            "UnsupportedApiVersion",
            f"The HTTP resource that matches the request URI '{path}' does not support the API version "
            f"'{api_version}'.",
        )


async def handle_purview(request: web.Request) -> web.StreamResponse:
    """Serve one data-plane request end to end."""
    state = request.app[STATE_KEY]
    account = state.purview
    started = time.monotonic()
    method = request.method.upper()
    correlation_id = request.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())
    request_id = str(uuid.uuid4())
    headers = {"x-ms-request-id": request_id, "x-ms-correlation-request-id": correlation_id, "Server": "Kestrel"}
    found = find_route(request.path)
    route = found[0] if found is not None else None
    catalog = is_catalog_path(request.path)
    operation = (
        route.operations[method][0]
        if route is not None and method in route.operations
        else f"Purview_Unknown{method.title()}"
    )
    half_latency = state.settings.latency_ms / 2000.0
    if half_latency > 0:
        await asyncio.sleep(half_latency)
    response: web.StreamResponse | None
    try:
        if account is None:
            raise PurviewError(404, "NotFound", "This emulator serves no Purview account.")
        response = await _serve(
            state, account=account, request=request, found=found, headers=headers, request_id=request_id
        )
    except _Unauthenticated as error:
        body = PurviewError(401, "Unauthorized", error.error.message).body(request_id)
        response = _render(
            PurviewResponse(401, body),
            {**headers, **error.error.headers},
            atlas=False,
            error_code="Unauthorized" if catalog else None,
        )
    except PurviewFailure as error:
        response = _failure(error, request_id, headers, error_code_header=catalog)
    if response is not None and half_latency > 0:
        await asyncio.sleep(half_latency)
    state.requests.record(
        LoggedRequest(
            method=method,
            path=request.path,
            query=dict(request.query),
            status=response.status if response is not None else 0,
            request_class=request_class(method, request.path),
            operation=operation,
            start=started,
            end=time.monotonic(),
            client_request_id=request.headers.get("x-ms-client-request-id"),
        )
    )
    if response is None:
        # A "reset" fault: the connection is already aborted.
        return web.Response(status=500)
    return response


async def _serve(
    state: EmulatorState,
    *,
    account: PurviewAccount,
    request: web.Request,
    found: tuple[Route, dict[str, str]] | None,
    headers: dict[str, str],
    request_id: str,
) -> web.StreamResponse | None:
    method = request.method.upper()
    caller = _authenticate(state, request.headers.get("Authorization"))
    catalog = is_catalog_path(request.path)
    if catalog:
        retry_after = account.catalog.rate_limit.admit(caller.object_id)
        if retry_after is not None:
            error = _fault(429, retry_after)
            return _failure(error, request_id, {**headers, "Retry-After": str(retry_after)}, error_code_header=True)
    fault = state.faults.pick(method, request.path)
    if fault is not None:
        if fault.status == "reset":
            if request.transport is not None:
                request.transport.abort()
            return None
        error = _fault(fault.status, fault.retry_after)
        extra = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
        return _failure(error, request_id, {**headers, **extra}, error_code_header=catalog)
    if found is None:
        raise PurviewError(404, "NotFound", f"No Purview resource matches the path '{request.path}'.")
    route, params = found
    service = route.service
    headers["api-supported-versions"] = ", ".join(service.api_versions)
    if method not in route.operations:
        allowed = ", ".join(route.operations)
        if service.atlas_errors:
            raise AtlasError(
                405,
                "ATLAS-405-00-001",
                f"Error 405 - The request method {method} is inappropriate for the URL: {request.path}",
            )
        raise PurviewError(405, "MethodNotAllowed", f"The method {method} is not allowed here; use {allowed}.")
    query = tuple((key, value) for key, value in request.query.items())
    _check_api_version(service, request.path, next((v for k, v in query if k.casefold() == "api-version"), None))
    call = PurviewCall(
        method=method,
        path=request.path,
        params=params,
        query=query,
        body=await request.read(),
        caller=caller,
        base_url=f"{request.scheme}://{request.host}",
        request_id=request_id,
        page_size=state.settings.page_size,
        creating_gets=state.settings.purview_creating_gets,
    )
    _, handler = route.operations[method]
    return _render(handler(account, call), headers, atlas=service.atlas_errors)


def build_purview_app(state: EmulatorState) -> web.Application:
    """The Purview listener's application: every path goes through :func:`handle_purview`."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[STATE_KEY] = state
    app.router.add_route("*", "/{tail:.*}", handle_purview)
    return app
