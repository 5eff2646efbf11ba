"""The Unified Catalog's rate limit: a sliding window per caller over every catalog request.

The service documents "100 requests per 20-second window" without saying per what; the emulator
counts per caller (the token's ``oid``), over all Unified Catalog requests and nothing else (Data Map,
scanning and the account API are not counted). A request beyond the limit is refused with 429
``TooManyRequests`` and ``Retry-After``: the whole seconds (rounded up, at least 1) until the oldest
counted request leaves the window. Refused requests are not counted, so a caller that waits
``Retry-After`` gets through.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from .snapshot import CatalogRateLimitSettings

__all__ = ["CatalogRateLimit"]


class CatalogRateLimit:
    """The settings and each caller's window of admitted request times (monotonic seconds)."""

    def __init__(
        self,
        settings: CatalogRateLimitSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or CatalogRateLimitSettings()
        self._clock = clock
        self._windows: dict[str, deque[float]] = {}

    def configure(self, settings: CatalogRateLimitSettings) -> None:
        """New settings; every caller's window starts empty."""
        self.settings = settings
        self._windows = {}

    def admit(self, caller: str) -> int | None:
        """Count the request and return ``None``, or return the ``Retry-After`` seconds of a refusal."""
        settings = self.settings
        if not settings.enabled:
            return None
        now = self._clock()
        window = self._windows.setdefault(caller.casefold(), deque())
        while window and window[0] <= now - settings.window_seconds:
            window.popleft()
        if len(window) >= settings.limit:
            return max(1, math.ceil(window[0] + settings.window_seconds - now))
        window.append(now)
        return None
