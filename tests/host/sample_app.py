"""A tiny FunctionApp for the local host's tests: one of each trigger kind the host serves.

Functions append what they received as JSON lines to the file named by SAMPLE_RECORD_FILE, so a
test in another process can see exactly what each invocation got.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from typing import Any

import azure.functions as func

log = logging.getLogger("sample_app")

bp = func.Blueprint()


def record(entry: dict[str, Any]) -> None:
    """Append one JSON line to the record file (each write is a single small append)."""
    path = os.environ["SAMPLE_RECORD_FILE"]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True, default=str) + "\n")


@bp.function_name("hello")
@bp.route(route="hello/{name:alpha}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def hello(req: func.HttpRequest) -> func.HttpResponse:
    """Sync: runs in the host's thread pool, says which thread it ran on."""
    name = req.route_params["name"]
    return func.HttpResponse(
        f"hello {name}",
        headers={"X-Thread": threading.current_thread().name},
    )


@bp.route(route="items/{id:guid}/{rest?}", methods=["GET", "PUT"], trigger_arg_name="request")
async def item(request: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    """Async, with a non-default trigger argument name and a context: echoes what it was given."""
    log.info("item %s called", request.route_params.get("id"))
    body = request.get_body()
    echo = {
        "method": request.method,
        "url": request.url,
        "route_params": dict(request.route_params),
        "params": dict(request.params),
        "header": request.headers.get("x-sample"),
        "body": body.decode() if body else None,
        "function_name": context.function_name,
        "invocation_id": context.invocation_id,
        "request_type": type(request).__module__ + "." + type(request).__qualname__,
    }
    return func.HttpResponse(json.dumps(echo), status_code=201, mimetype="application/json")


@bp.route(route="things/{name}", methods=["GET"])
def thing(req: func.HttpRequest) -> str:
    return f"thing {req.route_params['name']}"


@bp.route(route="things/all", methods=["GET"])
def all_things(req: func.HttpRequest) -> str:
    return "all things"


@bp.route(route="slow", methods=["GET"])
async def slow(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0.4)
    return func.HttpResponse("done")


@bp.route(route="boom")
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("the sample function failed on purpose")


@bp.function_name("on_event")
@bp.event_grid_trigger(arg_name="event")
async def on_event(event: func.EventGridEvent | func.CloudEvent) -> None:
    """Records the event it received; raises when the event's data asks it to."""
    data = event.get_json()
    entry: dict[str, Any] = {"function": "on_event", "kind": type(event).__name__, "id": event.id, "data": data}
    if isinstance(event, func.CloudEvent):
        entry.update(type=event.type, source=event.source, subject=event.subject, specversion=event.specversion)
        entry["time"] = event.time.isoformat() if event.time else None
    else:
        entry.update(type=event.event_type, topic=event.topic, subject=event.subject, data_version=event.data_version)
        entry["time"] = event.event_time.isoformat() if event.event_time else None
    record(entry)
    if isinstance(data, dict) and data.get("fail"):
        raise ValueError(f"event {event.id} asked to fail")


@bp.function_name("tick")
@bp.timer_trigger(arg_name="timer", schedule="%SAMPLE_TIMER_SCHEDULE%", run_on_startup=False)
def tick(timer: func.TimerRequest) -> None:
    record({"function": "tick", "past_due": timer.past_due, "thread": threading.current_thread().name})
    if os.environ.get("SAMPLE_TICK_FAILS"):
        raise RuntimeError("tick failed on purpose")


app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(bp)


@app.route(route="direct", methods=["POST"], binding_arg_name="out")
def direct(req: func.HttpRequest, out: func.Out[func.HttpResponse]) -> None:
    """Registered on the app itself, answering through a named HTTP output binding."""
    out.set(func.HttpResponse(req.get_body(), status_code=200, mimetype="application/octet-stream"))
