"""The compliance page behind ``GET /api/inventory``: one self-contained HTML document, shipped with the code.

``functions/static/inventory.html`` holds the whole page (its style and script inline, nothing
loaded from elsewhere); it reads the inventory (``GET /api/dataproducts``) and the dry-run plans
(``POST /api/dataproducts/{sub}/{rg}/sync?dryRun=true``) with ``fetch``. Those routes need a function
key too, so the page sends the key it was opened with — the ``code`` query parameter or the
``x-functions-key`` header — as the ``x-functions-key`` header: this module writes it into the
page's ``<meta name="dpgov-function-key">`` (HTML-escaped; only a printable-ASCII value of a key's
length is taken). The answer is never cached (``Cache-Control: no-store``), and its Content Security
Policy allows the page's own inline script and style (by hash) and requests to the app alone.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import re
from dataclasses import dataclass
from pathlib import Path

import azure.functions as func

PAGE_PATH = Path(__file__).resolve().parent / "static" / "inventory.html"
KEY_PLACEHOLDER = "__DPGOV_FUNCTION_KEY__"
_KEY = re.compile(r"[\x21-\x7e]{1,512}")  # printable ASCII without spaces; Azure's keys are base64-like
_INLINE = {tag: re.compile(rf"<{tag}>(.*?)</{tag}>", re.DOTALL) for tag in ("script", "style")}


@dataclass(frozen=True, slots=True)
class Page:
    """The page's text (with the key placeholder) and the Content Security Policy that fits it."""

    text: str
    content_security_policy: str


def _digest(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def build_page(text: str) -> Page:
    """Check the document's shape and derive its policy: exactly one inline script and one style."""
    if text.count(KEY_PLACEHOLDER) != 1:
        raise ValueError(f"the compliance page must hold {KEY_PLACEHOLDER} exactly once")
    hashes: dict[str, str] = {}
    for tag, pattern in _INLINE.items():
        found = pattern.findall(text)
        if len(found) != 1:
            raise ValueError(f"the compliance page must have exactly one inline <{tag}>, found {len(found)}")
        hashes[tag] = _digest(found[0])
    policy = "; ".join(
        (
            "default-src 'none'",
            f"script-src {hashes['script']}",
            f"style-src {hashes['style']}",
            "connect-src 'self'",
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    )
    return Page(text, policy)


@functools.cache
def page() -> Page:
    """Read once per worker, at first use."""
    return build_page(PAGE_PATH.read_text(encoding="utf-8"))


def function_key(request: func.HttpRequest) -> str:
    """The key the page was opened with: ``?code=`` first, else the ``x-functions-key`` header ("" if none)."""
    for candidate in (request.params.get("code"), request.headers.get("x-functions-key")):
        if isinstance(candidate, str) and _KEY.fullmatch(candidate):
            return candidate
    return ""


def render(request: func.HttpRequest) -> str:
    return page().text.replace(KEY_PLACEHOLDER, html.escape(function_key(request), quote=True), 1)


def response(request: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        render(request),
        status_code=200,
        mimetype="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": page().content_security_policy,
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )
