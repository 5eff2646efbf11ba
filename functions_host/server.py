"""The host's HTTP surface: HTTP triggers, the Event Grid webhook, the admin API; timers and queues.

One aiohttp server on one asyncio loop, like the real host's single worker event loop: async
functions run concurrently on it, sync ones in the invoker's thread pool.

Endpoints (paths are case-insensitive, as in ASP.NET):

- ``/{routePrefix}/{route}`` for HTTP triggers (prefix from host.json ``extensions.http.routePrefix``,
  default ``api``). A path that matches no route, or matches only with a method the function does not
  accept, is 404, as in the host. A function that raises gives 500 with an empty body. A function that
  returns nothing gives 200 with an empty body (the host's ``OkResult``); a ``str`` gives 200 text/plain.
- ``/runtime/webhooks/eventgrid?functionName=NAME`` for Event Grid triggers, following the Event Grid
  extension's HttpRequestProcessor: unknown function 404 ("cannot find function: 'NAME'"); header
  ``aeg-event-type`` decides: ``SubscriptionValidation`` → 200 ``{"validationResponse": code}`` without
  running the function; ``Notification`` → the body (array, or one CloudEvents object) is split and the
  function invoked once per element, concurrently; 202 Accepted when all succeed, else 500 with the first
  failure's message so Event Grid retries the whole delivery; ``Unsubscribe`` → 202; anything else 400.
  ``OPTIONS`` with ``WebHook-Request-Origin`` answers the CloudEvents abuse-protection handshake.
- ``POST /admin/functions/{name}`` with ``{"input": "..."}`` runs a non-HTTP function (the host's admin
  API). The real host answers 202 at once and runs it in the background; here the call waits for the
  function and answers 202 on success or 500 with the error text, so tests are deterministic
  (``?wait=false`` gives the real, fire-and-forget behaviour).
- ``GET /admin/host/status`` → ``{"state": "Running", ...}``; ``GET /admin/functions`` and ``GET /``
  list the functions.

Faithfulness notes, where this differs from Azure on purpose or by simplification:

- Keys are not enforced, whatever the auth level, exactly as Core Tools does when running locally.
- Malformed JSON or a body that is neither an array nor an object on the Event Grid webhook is answered
  400 (the extension lets the parser exception escape, which becomes a 500).
- The validation response body is JSON with ``Content-Type: text/plain; charset=utf-8``, as the
  extension writes it (a ``StringContent``); parse the text, do not insist on application/json.
- Timers fire only with ``run_timers=True`` (``--run-timers``); then run-on-startup and the retry policy
  are honoured. Admin invocations run once, without the retry policy.
- Queue triggers always run (``start_queues``): :mod:`functions_host.queues` polls each queue as the
  Storage queues extension does. The admin API runs a queue function once with its ``input`` as the
  message text (not base64-decoded), dequeue count 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from azure.functions import _abc as func_abc
from multidict import CIMultiDict

from functions_host.functions import (
    EVENT_GRID_TRIGGER,
    HOST_API_REASON,
    HTTP_TRIGGER,
    QUEUE_TRIGGER,
    RETURN_BINDING,
    TIMER_TRIGGER,
    FunctionSpec,
    InvocationFailed,
    Invoker,
    decode_event,
    describe_all,
    make_http_request,
    make_timer_request,
)
from functions_host.ncrontab import Schedule, ScheduleError, parse_schedule
from functions_host.queues import QueueListener, QueueOptions, make_queue_message, open_listener
from functions_host.routes import RouteTemplate, best_match

__all__ = ["FunctionsHost", "HostOptions", "read_route_prefix"]

_log = logging.getLogger("functions_host")
_EVENT_TYPE_HEADER = "aeg-event-type"
_PLAIN_TEXT = "text/plain; charset=utf-8"
_MAX_BODY_BYTES = 100 * 1024 * 1024  # the Functions HTTP request limit


def read_route_prefix(host_json: Mapping[str, Any] | None) -> str:
    """host.json ``extensions.http.routePrefix`` (default "api"), without surrounding slashes."""
    extensions = (host_json or {}).get("extensions")
    http = extensions.get("http") if isinstance(extensions, Mapping) else None
    prefix = http.get("routePrefix", "api") if isinstance(http, Mapping) else "api"
    return str(prefix).strip("/")


@dataclass(frozen=True, slots=True)
class HostOptions:
    route_prefix: str = "api"
    run_timers: bool = False
    queues: QueueOptions = field(default_factory=QueueOptions)


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _text(status: int, text: str = "") -> web.Response:
    return web.Response(status=status, body=text.encode(), headers={"Content-Type": _PLAIN_TEXT})


def _json(status: int, body: object) -> web.Response:
    return web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")


def http_output_response(value: object) -> web.Response:
    """Turn an HTTP function's output into the response, as the worker's HttpResponseConverter does."""
    if value is None:
        return web.Response(status=200)
    if isinstance(value, str):
        return web.Response(status=200, body=value.encode(), headers={"Content-Type": _PLAIN_TEXT})
    if not isinstance(value, func_abc.HttpResponse):
        raise TypeError(f"an HTTP function must return func.HttpResponse or str, got {type(value).__name__}")
    headers: CIMultiDict[str] = CIMultiDict(value.headers.items())
    if "content-type" not in headers:
        mimetype, charset = value.mimetype, value.charset
        headers["Content-Type"] = f"{mimetype}; charset={charset}" if mimetype.startswith("text/") else mimetype
    # aiohttp computes the framing itself.
    for hop_by_hop in ("Content-Length", "Transfer-Encoding"):
        headers.popall(hop_by_hop, None)
    return web.Response(status=int(value.status_code), body=value.get_body(), headers=headers)


class FunctionsHost:
    """Serves one indexed app. Build with the specs, call ``application()``, then ``start_timers``."""

    def __init__(self, specs: Sequence[FunctionSpec], *, invoker: Invoker, options: HostOptions) -> None:
        self._specs = list(specs)
        self._by_name = {spec.name: spec for spec in self._specs}
        self._by_lower_name = {spec.name.lower(): spec for spec in self._specs}
        self._invoker = invoker
        self._options = options
        self._prefix = "/" + options.route_prefix.lower() if options.route_prefix else ""
        self._routes: list[tuple[RouteTemplate, FunctionSpec]] = [
            (spec.http.template, spec) for spec in self._specs if spec.http is not None
        ]
        self._started = time.monotonic()
        self._timer_tasks: list[asyncio.Task[None]] = []
        self._listeners: list[QueueListener] = []
        self._background: set[asyncio.Task[str | None]] = set()

    # -- wiring -------------------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(client_max_size=_MAX_BODY_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        return app

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path.lower().rstrip("/") or "/"
        if path == "/runtime/webhooks/eventgrid":
            return await self._eventgrid(request)
        if path == "/admin/host/status":
            return _json(200, self._status())
        if path == "/admin/functions":
            return _json(200, describe_all(self._specs))
        segments = request.path.strip("/").split("/")
        if len(segments) == 3 and path.startswith("/admin/functions/"):
            return await self._admin(request, segments[2])
        if self._routes and (path == self._prefix or path.startswith(self._prefix + "/") or not self._prefix):
            response = await self._http_trigger(request)
            if response is not None:
                return response
        if path == "/" and request.method in {"GET", "HEAD"}:
            return _json(200, {"state": "Running", "functions": describe_all(self._specs)})
        return _text(404)

    def _status(self) -> dict[str, object]:
        return {
            "id": f"functions-host-{os.getpid()}",
            "state": "Running",
            "version": "functions_host",
            "processUptime": int((time.monotonic() - self._started) * 1000),
        }

    # -- HTTP triggers ------------------------------------------------------------------------

    async def _http_trigger(self, request: web.Request) -> web.StreamResponse | None:
        raw_path = request.raw_path.split("?", 1)[0]
        relative = raw_path[len(self._prefix) :] if self._prefix else raw_path
        found = best_match(
            [
                (template, spec)
                for template, spec in self._routes
                if spec.http is not None and (spec.http.methods is None or request.method in spec.http.methods)
            ],
            relative,
        )
        if found is None:
            return None
        spec, route_params = found
        body = await request.read()
        headers = {name: ", ".join(request.headers.getall(name)) for name in request.headers}
        params = {name: ",".join(request.query.getall(name)) for name in request.query}
        url = str(request.url)
        method = request.method

        def bind() -> object:
            return make_http_request(
                method=method, url=url, headers=headers, params=params, route_params=route_params, body=body
            )

        try:
            result = await self._invoker.invoke(spec, bind, reason=HOST_API_REASON)
        except InvocationFailed:
            return web.Response(status=500)
        assert spec.http is not None
        name = spec.http.output_name
        output = result.value if name == RETURN_BINDING else result.outputs.get(name)
        try:
            return http_output_response(output)
        except (TypeError, ValueError) as error:
            _log.error("Functions.%s: cannot convert its HTTP output: %s", spec.name, error)
            return web.Response(status=500)

    # -- Event Grid webhook -------------------------------------------------------------------

    async def _eventgrid(self, request: web.Request) -> web.StreamResponse:
        query = parse_qsl(request.query_string, keep_blank_values=True)
        function_name = next((value for key, value in query if key.lower() == "functionname"), "")
        spec = self._by_name.get(function_name)
        if spec is None or spec.trigger_type != EVENT_GRID_TRIGGER:
            available = ", ".join(s.name for s in self._specs if s.trigger_type == EVENT_GRID_TRIGGER)
            _log.info("cannot find function: '%s', available function names: [%s]", function_name, available)
            return _text(404, f"cannot find function: '{function_name}'")
        if request.method == "OPTIONS":
            return self._abuse_protection(request)
        event_type = request.headers.get(_EVENT_TYPE_HEADER, "").lower()
        if event_type not in {"subscriptionvalidation", "notification"}:
            return _text(202 if event_type == "unsubscribe" else 400)
        try:
            payload = json.loads(await request.read())
        except ValueError as error:
            return _text(400, f"The request content is not valid JSON: {error}")
        if not isinstance(payload, list | dict):
            return _text(400, "The request content should be a JSON object or array.")
        if event_type == "subscriptionvalidation":
            return self._validation(spec, payload)
        return await self._notification(spec, payload if isinstance(payload, list) else [payload])

    @staticmethod
    def _abuse_protection(request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("WebHook-Request-Origin")
        if origin is None:
            return _text(400, "OPTIONS needs a WebHook-Request-Origin header (CloudEvents abuse protection).")
        return web.Response(status=200, headers={"WebHook-Allowed-Origin": origin, "Allow": "POST"})

    @staticmethod
    def _validation(spec: FunctionSpec, payload: list[Any] | dict[str, Any]) -> web.StreamResponse:
        event = payload[0] if isinstance(payload, list) and payload else payload
        data = event.get("data") if isinstance(event, dict) else None
        if isinstance(data, str):  # CloudEvents validation carries data double-encoded
            with contextlib.suppress(ValueError):
                data = json.loads(data)
        code = data.get("validationCode") if isinstance(data, dict) else None
        if not isinstance(code, str):
            return _text(400, "The subscription validation event has no data.validationCode.")
        _log.info("perform handshake with eventGrid for function: %s", spec.name)
        return _text(200, json.dumps({"validationResponse": code}, separators=(",", ":")))

    async def _notification(self, spec: FunctionSpec, events: list[Any]) -> web.StreamResponse:
        async def one(element: object) -> InvocationFailed | None:
            try:
                await self._invoker.invoke(
                    spec, lambda: decode_event(element), reason=f"EventGrid trigger fired at {_utcnow().isoformat()}"
                )
            except InvocationFailed as failure:
                return failure
            return None

        failures = [failure for failure in await asyncio.gather(*(one(e) for e in events)) if failure is not None]
        if failures:
            return _text(500, str(failures[0]))
        return web.Response(status=202)

    # -- admin API ----------------------------------------------------------------------------

    async def _admin(self, request: web.Request, name: str) -> web.StreamResponse:
        spec = self._by_lower_name.get(name.lower())
        if spec is None:
            return _text(404, f"function '{name}' not found")
        if request.method == "GET":
            return _json(200, spec.describe())
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "GET, POST"})
        if spec.trigger_type == HTTP_TRIGGER:
            return _text(400, f"'{spec.name}' is HTTP-triggered; call its route instead")
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError as error:
            return _text(400, f"The request body is not valid JSON: {error}")
        if not isinstance(body, dict):
            return _text(400, 'The request body must be a JSON object like {"input": "..."}.')
        input_value = body.get("input")
        task = asyncio.create_task(self._admin_invoke(spec, input_value))
        if request.query.get("wait", "true").lower() == "false":
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return web.Response(status=202)
        failure = await task
        return web.Response(status=202) if failure is None else _text(500, failure)

    async def _admin_invoke(self, spec: FunctionSpec, input_value: object) -> str | None:
        """Run ``spec`` once with the admin input; the error text on failure, else None."""

        def bind() -> object:
            if spec.trigger_type == TIMER_TRIGGER:
                return make_timer_request(past_due=False)
            if spec.trigger_type == EVENT_GRID_TRIGGER:
                return decode_event(json.loads(input_value) if isinstance(input_value, str) else input_value)
            if spec.trigger_type == QUEUE_TRIGGER:
                text = input_value if isinstance(input_value, str) else json.dumps(input_value)
                return make_queue_message(text.encode(), message_id=str(uuid.uuid4()), dequeue_count=1)
            return input_value

        try:
            await self._invoker.invoke(spec, bind, reason=HOST_API_REASON)
        except InvocationFailed as failure:
            return str(failure)
        return None

    # -- timers -------------------------------------------------------------------------------

    def start_timers(self) -> None:
        """Schedule every timer function by its NCRONTAB (only when the options ask for it)."""
        if not self._options.run_timers:
            return
        for spec in self._specs:
            if spec.timer is None:
                continue
            try:
                schedule = parse_schedule(spec.timer.schedule)
            except ScheduleError as error:
                _log.error("The '%s' function is in error: %s", spec.name, error)
                continue
            self._timer_tasks.append(asyncio.create_task(self._run_timer(spec, schedule), name=f"timer {spec.name}"))

    async def _run_timer(self, spec: FunctionSpec, schedule: Schedule) -> None:
        assert spec.timer is not None
        last: datetime.datetime | None = None
        next_due = schedule.next_after(_utcnow())
        _log.info("Timer '%s' next occurrence: %s", spec.name, next_due.isoformat())
        if spec.timer.run_on_startup:
            await self.fire_timer(spec, last=None, next_due=next_due, past_due=False)
        while True:
            await asyncio.sleep(max(0.0, (next_due - _utcnow()).total_seconds()))
            late = (_utcnow() - next_due).total_seconds()
            fired, next_due = next_due, schedule.next_after(max(next_due, _utcnow()))
            await self.fire_timer(spec, last=last, next_due=next_due, past_due=late > 1.0)
            last = fired

    async def fire_timer(
        self, spec: FunctionSpec, *, last: datetime.datetime | None, next_due: datetime.datetime, past_due: bool
    ) -> bool:
        """One timer execution, retried per the function's retry policy (the host's behaviour).

        True if an attempt succeeded. A max_retry_count of -1 ("forever") is not honoured: no retry.
        """
        policy = spec.retry
        attempts = 1 + (policy.max_retry_count if policy and policy.max_retry_count >= 0 else 0)
        error: BaseException | None = None
        for attempt in range(attempts):
            if attempt and policy is not None:
                await asyncio.sleep(policy.delay_before(attempt))
            try:
                await self._invoker.invoke(
                    spec,
                    lambda: make_timer_request(past_due=past_due, last=last, next_due=next_due),
                    reason=f"Timer fired at {_utcnow().isoformat()}",
                    retry_count=attempt,
                    last_error=error,
                )
            except InvocationFailed as failure:
                error = failure.cause
                continue
            return True
        return False

    # -- queues -------------------------------------------------------------------------------

    def start_queues(self, environ: Mapping[str, str]) -> None:
        """Poll each queue-triggered function's queue (a connection that cannot be made: in error)."""
        for spec in self._specs:
            if spec.queue is None:
                continue
            try:
                listener = open_listener(
                    spec,
                    spec.queue.queue_name,
                    spec.queue.connection,
                    environ,
                    invoker=self._invoker,
                    options=self._options.queues,
                )
            except ValueError as error:
                _log.error("The '%s' function is in error: %s", spec.name, error)
                continue
            self._listeners.append(listener)
            self._timer_tasks.append(asyncio.create_task(listener.run(), name=f"queue {spec.name}"))

    async def close(self) -> None:
        """Stop timers and queue listeners, and wait briefly for fire-and-forget admin invocations."""
        for task in self._timer_tasks:
            task.cancel()
        await asyncio.gather(*self._timer_tasks, return_exceptions=True)
        for listener in self._listeners:
            await listener.close()
        if self._background:
            await asyncio.wait(self._background, timeout=5)
