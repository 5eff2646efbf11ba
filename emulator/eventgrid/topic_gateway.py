"""The custom topic's front door: every publish request, checked in Event Grid's order of concerns.

Path and method, ``api-version``, authentication (``aeg-sas-key`` or a bearer token for Event Grid),
injected faults (rules on the path ``/api/events``), the content type, size and the events themselves
(``emulator.eventgrid.topic``), between the two halves of the configured latency (as ARM's and
Purview's gateways). Each answer is recorded on the topic, with how many publishes were in flight when
it arrived; a batch is accepted or refused whole. Not in the ARM request log: a topic is not ARM, and
its publishes would blur the figures the log exists for (the control API lists them instead).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..control.models import EventSchema
from ..state import STATE_KEY, EmulatorState
from .topic import (
    API_VERSION,
    FAULT_CODES,
    MAX_REQUEST_BYTES,
    PUBLISH_PATH,
    TopicError,
    bad_request,
    parse_events,
    schema_of,
)

__all__ = ["build_topic_app", "handle_topic"]


def _render(error: TopicError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers)


async def handle_topic(request: web.Request) -> web.StreamResponse:
    """Serve one publish request."""
    state = request.app[STATE_KEY]
    half_latency = state.settings.latency_ms / 2000.0
    state.topic.in_flight += 1
    arrived_with = state.topic.in_flight  # the most in flight at once is seen by a request as it arrives
    try:
        if half_latency > 0:
            await asyncio.sleep(half_latency)
        response = await _publish(request, arrived_with)
        if half_latency > 0:
            await asyncio.sleep(half_latency)
        return response
    finally:
        state.topic.in_flight -= 1


async def _publish(request: web.Request, in_flight: int) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    topic = state.topic
    schema: EventSchema | None = None
    try:
        if request.path.rstrip("/").lower() != PUBLISH_PATH:
            raise TopicError(404, "NotFound", f"No topic resource matches the path '{request.path}'.")
        if request.method.upper() != "POST":
            raise TopicError(405, "MethodNotAllowed", f"The method {request.method} is not allowed; use POST.")
        version = request.query.get("api-version")
        if version is None:
            raise bad_request("the 'api-version' query parameter is required", "ApiVersionMissing")
        if version != API_VERSION:
            raise bad_request(
                f"the api-version '{version}' is not supported; use '{API_VERSION}'", "ApiVersionUnsupported"
            )
        topic.authenticate(state.issuer, request.headers)
        fault = state.faults.pick("POST", request.path)
        if fault is not None:
            if fault.status == "reset":
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)
            status = int(fault.status)
            extra = {"Retry-After": str(fault.retry_after)} if status == 429 else {}
            raise TopicError(status, FAULT_CODES[status], "The topic failed to accept the events.", headers=extra)
        announced = schema_of(request.headers.get("Content-Type", ""))
        if announced is None:
            raise bad_request(
                "the Content-Type must be application/cloudevents-batch+json, application/cloudevents+json "
                "or application/json",
                "UnsupportedContentType",
            )
        schema, batch = announced
        body: bytes | None
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:  # past even the listener's limit
            body = None
        if body is None or len(body) > MAX_REQUEST_BYTES:
            raise TopicError(413, "RequestEntityTooLarge", f"The request is larger than {MAX_REQUEST_BYTES} bytes.")
        events = parse_events(body, schema, batch, topic.resource_id)
    except TopicError as error:
        topic.refused(error, schema, in_flight)
        return _render(error)
    topic.accept(schema, events, in_flight)
    return web.Response(status=200)


def build_topic_app(state: EmulatorState) -> web.Application:
    """The topic's HTTPS application (its own listener: a topic has its own host name)."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES * 2)
    app[STATE_KEY] = state
    app.router.add_route("*", "/{tail:.*}", handle_topic)
    return app
