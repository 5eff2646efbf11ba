"""The Unified Catalog's list pages: ``{"value": [...], "nextLink"?}``, by skip token or by offset.

``nextLink`` is absolute and carries the api-version, so a client can follow it as it is.

- The business-domain list takes a ``skipToken`` (the spec's name; its example sends ``$skipToken``,
  so both are read) naming the last domain returned; its ``nextLink`` carries ``$skipToken``.
- Data products, data assets and relationships page by offset: ``skip`` (default 0) and ``top`` (the
  page size, at most the emulator's page size). ``nextLink`` repeats the list's filters with the next
  ``skip``. For ``POST …/query`` the ``nextLink`` is the query URL with that ``skip``: the caller POSTs
  the same body to it (the service does not document how its query pages continue).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from ..calls import PurviewCall
from .fields import invalid
from .state import Stored

__all__ = ["offset_page", "token_page"]

T = TypeVar("T")


def _link(call: PurviewCall, params: dict[str, str]) -> str:
    query = urlencode({"api-version": call.arg("api-version") or "", **params}, safe="$", quote_via=quote)
    return f"{call.base_url}{quote(call.path)}?{query}"


def _encode(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": seq}).encode()).decode().rstrip("=")


def _decode(token: str) -> int:
    try:
        after = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        after = None
    if not isinstance(after, int) or isinstance(after, bool):
        raise invalid("skipToken", f"The skip token '{token}' is invalid.")
    return after


def token_page(
    call: PurviewCall, items: Sequence[Stored], render: Callable[[Stored], dict[str, Any]]
) -> dict[str, Any]:
    """One page of ``items`` (in creation order) after the call's skip token."""
    ordered = sorted(items, key=lambda item: item.seq)
    token = call.arg("skipToken") or call.arg("$skipToken")
    if token:
        after = _decode(token)
        ordered = [item for item in ordered if item.seq > after]
    chosen = ordered[: call.page_size]
    body: dict[str, Any] = {"value": [render(item) for item in chosen]}
    if len(ordered) > len(chosen):
        body["nextLink"] = _link(call, {"$skipToken": _encode(chosen[-1].seq)})
    return body


def offset_page(
    call: PurviewCall,
    items: Sequence[T],
    render: Callable[[T], dict[str, Any]],
    *,
    skip: int,
    top: int | None,
    carry: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Items ``skip`` … ``skip + page`` where the page is ``top`` capped at the emulator's page size."""
    size = min(top, call.page_size) if top is not None else call.page_size
    chosen = list(items[skip : skip + size])
    body: dict[str, Any] = {"value": [render(item) for item in chosen]}
    if skip + len(chosen) < len(items):
        params = {"skip": str(skip + len(chosen))}
        if top is not None:
            params["top"] = str(top)
        params.update(carry or {})
        body["nextLink"] = _link(call, params)
    return body
