"""Purview's two error shapes, raised by the handlers and rendered by the gateway.

The account, policy-store and scanning services answer failures with the ODataV4-style envelope
``{"error": {"code", "message", "target"?, "details"?}}`` (what the old SDKs parse). The Data Map
(Apache Atlas) answers with ``{"requestId", "errorCode", "errorMessage"}`` (the Data Map SDK's
``AtlasErrorResponse``) — except for authentication and authorization failures, which Purview's
front door answers in the first shape on every route.

Codes marked *unverified* in the docs (docs/emulator.md, Purview) are the emulator's choice where
no public recording shows what Purview sends.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

__all__ = ["AtlasError", "PurviewError", "PurviewFailure", "atlas_invalid_parameters", "bad_body"]


class PurviewFailure(Exception, ABC):
    """A failed Purview request: a status and a body in one of Purview's error shapes."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @abstractmethod
    def body(self, request_id: str) -> dict[str, Any]:
        """The error body in this failure's shape."""


class PurviewError(PurviewFailure):
    """The account/policy/scanning error envelope."""

    def __init__(self, status: int, code: str, message: str, *, target: str | None = None) -> None:
        super().__init__(status, code, message)
        self.target = target

    def body(self, request_id: str) -> dict[str, Any]:
        del request_id
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["target"] = self.target
        return {"error": error}


class AtlasError(PurviewFailure):
    """The Data Map's Atlas error: Apache Atlas codes (``ATLAS-404-00-009``) and messages."""

    def body(self, request_id: str) -> dict[str, Any]:
        return {"requestId": request_id, "errorCode": self.code, "errorMessage": self.message}


def bad_body(detail: str) -> PurviewError:
    """A body that is not the JSON object an operation takes (400 ``InvalidRequestBody``, unverified)."""
    return PurviewError(400, "InvalidRequestBody", f"The request body is invalid: {detail}")


def atlas_invalid_parameters(detail: str) -> AtlasError:
    """Atlas ``INVALID_PARAMETERS``: a request Atlas cannot read."""
    return AtlasError(400, "ATLAS-400-00-01A", f"invalid parameters: {detail}")
