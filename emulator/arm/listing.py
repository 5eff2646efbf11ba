"""ARM list semantics: ``$filter`` clauses, ``$top``, and paging with an absolute ``nextLink``.

The SDK follows ``nextLink`` verbatim (re-setting ``api-version``) and resolves it with
``urljoin``, so the link must be absolute. The skip token names the last item returned rather than
an offset, so a page boundary stays correct while groups are created or deleted between pages.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from .errors import ArmError

__all__ = ["FilterClause", "Page", "page_of", "parse_filter", "parse_top"]

T = TypeVar("T")
_CLAUSE = re.compile(r"^\s*([A-Za-z]+)\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


@dataclass(frozen=True)
class FilterClause:
    """``field eq 'value'`` with the field name case-folded."""

    field: str
    value: str


def parse_filter(text: str | None, allowed: Sequence[str]) -> list[FilterClause]:
    """Parse a conjunction of ``field eq 'value'``; ARM's 400 for anything else."""
    if text is None or not text.strip():
        return []
    clauses = []
    for part in _AND.split(text.strip()):
        match = _CLAUSE.match(part)
        if match is None or match.group(1).casefold() not in {name.casefold() for name in allowed}:
            raise ArmError(
                400,
                "InvalidFilterInQueryString",
                f"The filter '{text}' is invalid. Supported filters: "
                + ", ".join(f"{name} eq 'value'" for name in allowed)
                + ", joined with 'and'.",
            )
        clauses.append(FilterClause(match.group(1).casefold(), match.group(2).replace("''", "'")))
    return clauses


def parse_top(text: str | None) -> int | None:
    if text is None or text == "":
        return None
    try:
        top = int(text)
    except ValueError:
        top = 0
    if top < 1:
        raise ArmError(400, "InvalidTopInQueryString", f"The value '{text}' of '$top' is invalid; it must be > 0.")
    return top


@dataclass(frozen=True)
class Page:
    value: list[dict[str, Any]]
    next_link: str | None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"value": self.value}
        if self.next_link:
            body["nextLink"] = self.next_link
        return body


def _encode_token(last_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_key}).encode()).decode().rstrip("=")


def _decode_token(token: str) -> str:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return str(data["after"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ArmError(400, "InvalidSkipToken", f"The skip token '{token}' is invalid.") from None


def page_of(
    items: Sequence[T],
    *,
    key: Callable[[T], str],
    render: Callable[[T], dict[str, Any]],
    query: Mapping[str, str],
    page_size: int,
    base_url: str,
    path: str,
) -> Page:
    """One page of ``items`` (sorted by ``key``) after the query's ``$skiptoken``.

    ``$top`` sets the page size, as ARM treats it for these lists; the next link carries the same
    filter, top and expand.
    """
    ordered = sorted(items, key=key)
    token = query.get("$skiptoken")
    if token:
        after = _decode_token(token)
        ordered = [item for item in ordered if key(item) > after]
    size = parse_top(query.get("$top")) or page_size
    chosen = ordered[:size]
    next_link = None
    if len(ordered) > size:
        params = {"api-version": query.get("api-version", "")}
        for name in ("$filter", "$expand", "$top"):
            if query.get(name):
                params[name] = query[name]
        params["$skiptoken"] = _encode_token(key(chosen[-1]))
        encoded = "&".join(f"{name}={quote(value, safe='')}" for name, value in params.items())
        next_link = f"{base_url}{quote(path)}?{encoded}"
    return Page([render(item) for item in chosen], next_link)
