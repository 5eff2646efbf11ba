"""What a resource-type handler gets and gives back: one authenticated ARM call, one ARM response.

Handlers take an :class:`ArmCall` and return an :class:`ArmResponse` or raise
:class:`~emulator.arm.errors.ArmError`. Nothing here knows about HTTP plumbing: the gateway does
authentication, faults, throttling, latency, logging and headers around every handler.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..eventgrid.events import OperationContext
from .errors import ArmError, invalid_request_content

__all__ = ["ArmCall", "ArmResponse", "method_not_allowed"]


@dataclass(frozen=True)
class ArmCall:
    """One authenticated ARM request, as the handlers need it (query keys are lower-case)."""

    method: str
    path: str
    query: Mapping[str, str]
    body: bytes
    base_url: str
    context: OperationContext

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")

    def json_body(self) -> dict[str, Any]:
        """The body as a JSON object, or ARM's 400 ``InvalidRequestContent``."""
        if not self.body.strip():
            raise invalid_request_content("the request body is empty")
        try:
            value = json.loads(self.body)
        except ValueError as error:
            raise invalid_request_content(str(error)) from None
        if not isinstance(value, dict):
            raise invalid_request_content("the request body must be a JSON object")
        return value


@dataclass(frozen=True)
class ArmResponse:
    status: int
    body: Any | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def method_not_allowed(call: ArmCall, allowed: str) -> ArmError:
    return ArmError(
        405,
        "MethodNotAllowed",
        f"The requested resource does not support http method '{call.method}'.",
        {"Allow": allowed},
    )
