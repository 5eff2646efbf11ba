"""ARM's error shape, raised by handlers and rendered by the gateway.

Every ARM failure body is ``{"error": {"code", "message"}}``; the SDK parses ``code`` and
``message`` into its exceptions. Handlers raise :class:`ArmError` instead of building responses so
the gateway can add ARM's headers, log the request and skip event emission in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .paths import ResourceRef

__all__ = [
    "GATEWAY_FAILURE",
    "ArmError",
    "error_body",
    "invalid_request_content",
    "resource_group_not_found",
    "resource_not_found",
    "subscription_not_found",
]


def error_body(code: str, message: str) -> dict[str, Any]:
    """ARM's error envelope."""
    return {"error": {"code": code, "message": message}}


class ArmError(Exception):
    """A failed ARM request: HTTP status, ARM error code and message, extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


# ARM's front door (not a resource provider) answers these; it says so in ``x-ms-failure-cause``.
GATEWAY_FAILURE = {"x-ms-failure-cause": "gateway"}


def resource_group_not_found(name: str) -> ArmError:
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.", GATEWAY_FAILURE)


def resource_not_found(ref: ResourceRef, group: str) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{ref.type}/{ref.name}' under resource group '{group}' was not found. For more details "
        "please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def subscription_not_found(subscription_id: str) -> ArmError:
    return ArmError(404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found.")


def invalid_request_content(detail: str) -> ArmError:
    return ArmError(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: '{detail}'.",
    )
