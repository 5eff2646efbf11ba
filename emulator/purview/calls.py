"""What a Purview handler gets and gives back: one authenticated call, one response.

Handlers never see HTTP: the gateway authenticates, injects faults and latency, logs, and renders
:class:`PurviewResponse` or a raised :class:`~emulator.purview.errors.PurviewFailure`.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..identity.tokens import Caller
from .errors import bad_body

__all__ = ["PurviewCall", "PurviewResponse", "epoch_ms", "utc_now"]


def utc_now() -> str:
    """A timestamp as Purview writes them (seven fractional digits, ``Z``)."""
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}0Z"


def epoch_ms() -> int:
    """The Data Map's times: epoch milliseconds."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class PurviewCall:
    """One authenticated request to the account's data plane.

    ``params`` are the path parameters the route captured (percent-decoded); ``query`` keeps every
    query parameter in order, repeated ones included (the Data Map repeats ``guid``).
    """

    method: str
    path: str
    params: Mapping[str, str]
    query: tuple[tuple[str, str], ...]
    body: bytes
    caller: Caller
    base_url: str
    request_id: str
    page_size: int
    creating_gets: int

    def arg(self, name: str) -> str | None:
        """The last value of a query parameter (names compared case-insensitively)."""
        found = None
        for key, value in self.query:
            if key.casefold() == name.casefold():
                found = value
        return found

    def args(self, name: str) -> list[str]:
        return [value for key, value in self.query if key.casefold() == name.casefold()]

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object, or 400 ``InvalidRequestBody``."""
        if not self.body.strip():
            raise bad_body("the body is empty")
        try:
            value = json.loads(self.body)
        except ValueError as error:
            raise bad_body(str(error)) from None
        if not isinstance(value, dict):
            raise bad_body("the body must be a JSON object")
        return value

    @property
    def caller_type(self) -> str:
        """``Application`` for app-only tokens (managed identities), else ``User``: ``systemData``'s types."""
        return "Application" if self.caller.claims.get("idtyp") == "app" else "User"


@dataclass(frozen=True)
class PurviewResponse:
    status: int
    body: Any | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
