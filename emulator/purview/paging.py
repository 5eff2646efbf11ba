"""Purview's list pages: ``{"value", "count", "nextLink"?}`` with a ``$skipToken``.

The old SDKs pass ``nextLink`` back as their URL template and add ``api-version`` themselves without
duplicating it, so the link is absolute and carries the api-version already. ``count`` is the total
number of items, as the account API's list models describe it. The skip token names the last item
returned, so a page boundary stays correct while items come and go between pages.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from .calls import PurviewCall
from .errors import PurviewError

__all__ = ["page"]

T = TypeVar("T")


def _encode(last_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_key}).encode()).decode().rstrip("=")


def _decode(token: str) -> str:
    try:
        return str(json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["after"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise PurviewError(400, "InvalidSkipToken", f"The skip token '{token}' is invalid.") from None


def page(
    call: PurviewCall,
    items: Sequence[T],
    *,
    key: Callable[[T], str],
    render: Callable[[T], dict[str, Any]],
    value_key: str = "value",
) -> dict[str, Any]:
    """One page of ``items`` sorted by ``key``, after the call's ``$skipToken``."""
    ordered = sorted(items, key=key)
    total = len(ordered)
    token = call.arg("$skipToken")
    if token:
        after = _decode(token)
        ordered = [item for item in ordered if key(item) > after]
    chosen = ordered[: call.page_size]
    body: dict[str, Any] = {value_key: [render(item) for item in chosen], "count": total}
    if len(ordered) > len(chosen):
        api_version = call.arg("api-version") or ""
        body["nextLink"] = (
            f"{call.base_url}{quote(call.path)}?api-version={quote(api_version, safe='')}"
            f"&$skipToken={_encode(key(chosen[-1]))}"
        )
    return body
