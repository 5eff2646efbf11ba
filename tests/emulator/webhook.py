"""A webhook receiver for the emulator's Event Grid deliveries, served from its own thread.

It runs its own event loop in a background thread so that test code may call the synchronous
control client (which blocks) while the emulator is delivering to it. Responses are scripted: a
queue of statuses answers notifications (then 200; a 3xx redirects back to the hook), and the handshake can be made to fail.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Received:
    """One request the receiver got."""

    method: str
    headers: dict[str, str]
    body: Any

    @property
    def event_type(self) -> str:
        return self.headers.get("aeg-event-type", "")


class WebhookReceiver:
    """Serve ``POST``/``OPTIONS`` on ``http://127.0.0.1:{port}/hook`` until stopped."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: deque[int] = deque()
        self.answer_validation = True
        self.allowed_origin: str | None = "eventgrid.azure.net"
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def start(self) -> WebhookReceiver:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        self.url = future.result(timeout=10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _serve(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/hook"

    async def _handle(self, request: web.Request) -> web.Response:
        text = await request.text()
        body = json.loads(text) if text else None
        received = Received(request.method, {k.lower(): v for k, v in request.headers.items()}, body)
        with self._lock:
            self.received.append(received)
        if request.method == "OPTIONS":
            if self.allowed_origin is None:
                return web.Response(status=405)
            return web.Response(headers={"WebHook-Allowed-Origin": self.allowed_origin, "Allow": "POST"})
        if received.event_type == "SubscriptionValidation" and isinstance(body, list):
            if not self.answer_validation:
                return web.Response(status=202)
            return web.json_response({"validationResponse": body[0]["data"]["validationCode"]})
        with self._lock:
            status = self.statuses.popleft() if self.statuses else 200
        if 300 <= status < 400:
            # A redirect back here: a client that followed it would get the next scripted status.
            return web.Response(status=status, headers={"Location": self.url})
        return web.Response(status=status)

    def notifications(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.event_type == "Notification"]

    def events(self) -> list[dict[str, Any]]:
        """Every delivered event (Event Grid arrays unpacked), in arrival order."""
        events: list[dict[str, Any]] = []
        for notification in self.notifications():
            body = notification.body
            events.extend(body if isinstance(body, list) else [body])
        return events

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            notifications = self.notifications()
            if len(notifications) >= count:
                return notifications
            time.sleep(0.01)
        raise TimeoutError(f"expected {count} notifications, got {len(self.notifications())}")
