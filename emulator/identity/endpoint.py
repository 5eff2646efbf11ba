"""The App Service managed-identity endpoint (``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER``).

Plain HTTP on localhost, as on App Service and Functions: azure-identity's ``AppServiceCredential``
sends ``GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…`` (plus ``client_id`` or another
selector for a user-assigned identity) with the secret in ``X-IDENTITY-HEADER``. Token requests are
logged with class ``token`` because they are round trips the app pays for.
"""

from __future__ import annotations

import time

from aiohttp import web

from ..control.models import LoggedRequest
from ..state import STATE_KEY, EmulatorState

__all__ = ["IDENTITY_PATH", "build_identity_app"]

IDENTITY_PATH = "/msi/token"
API_VERSION = "2019-08-01"


def _failure(status: int, message: str) -> web.Response:
    return web.json_response({"statusCode": status, "message": message}, status=status)


def _token_response(state: EmulatorState, request: web.Request) -> web.Response:
    secret = request.headers.get("X-IDENTITY-HEADER")
    if secret is None:
        return _failure(400, "The X-IDENTITY-HEADER header is required.")
    if secret != state.identity_header:
        return _failure(401, "The X-IDENTITY-HEADER header does not match the identity secret.")
    if request.query.get("api-version") != API_VERSION:
        return _failure(400, f"Unsupported api-version; use '{API_VERSION}'.")
    resource = request.query.get("resource", "").strip()
    if not resource:
        return _failure(400, "The 'resource' query parameter is required.")
    if resource.endswith("/.default"):
        resource = resource[: -len("/.default")]
    identity = state.issuer.identity_for(dict(request.query))
    token = state.issuer.issue(resource, identity)
    return web.json_response(
        {
            "access_token": token.access_token,
            "expires_on": str(token.expires_on),
            "resource": token.resource,
            "token_type": "Bearer",
            "client_id": token.client_id,
        }
    )


async def handle_token(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    started = time.monotonic()
    response = _token_response(state, request)
    state.requests.record(
        LoggedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            status=response.status,
            request_class="token",
            operation="ManagedIdentity_GetToken",
            start=started,
            end=time.monotonic(),
        )
    )
    return response


def build_identity_app(state: EmulatorState) -> web.Application:
    app = web.Application()
    app[STATE_KEY] = state
    app.router.add_get(IDENTITY_PATH, handle_token)
    return app
