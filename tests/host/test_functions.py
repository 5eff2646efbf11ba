"""Indexing and invocation, in process: what the worker would hand a function, and timer retries."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import azure.functions as func
import pytest

from functions_host.functions import (
    FunctionSpec,
    InvocationFailed,
    Invoker,
    RetryPolicy,
    decode_event,
    index_app,
    make_timer_request,
)
from functions_host.server import FunctionsHost, HostOptions, read_route_prefix


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


def only(specs: list[FunctionSpec], name: str) -> FunctionSpec:
    (spec,) = [spec for spec in specs if spec.name == name]
    return spec


def test_index_reads_triggers_routes_methods_and_retry_policy() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

    @app.route(route="dataproducts/{id:guid}", methods=["POST"])
    def sync(req: func.HttpRequest) -> str:
        return "ok"

    @app.timer_trigger(arg_name="timer", schedule="%SCHEDULE%")
    @app.retry(
        strategy="exponential_backoff", max_retry_count="3", minimum_interval="00:00:10", maximum_interval="00:00:30"
    )
    async def reconcile(timer: func.TimerRequest) -> None:
        return None

    specs = index_app(app, environ={"SCHEDULE": "0 */5 * * * *"})
    http = only(specs, "sync").http
    assert http is not None
    assert http.template.template == "dataproducts/{id:guid}"
    assert http.methods == frozenset({"POST"})
    assert http.auth_level == "function"
    timer = only(specs, "reconcile")
    assert timer.is_async
    assert timer.timer is not None
    assert timer.timer.schedule == "0 */5 * * * *"
    assert timer.retry == RetryPolicy("exponential_backoff", 3, 10.0, 30.0)
    assert [timer.retry.delay_before(n) for n in (1, 2, 3)] == [10.0, 20.0, 30.0]


def test_a_function_whose_app_setting_is_missing_is_in_error_and_not_served(caplog: pytest.LogCaptureFixture) -> None:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule="%MISSING_SCHEDULE%")
    def tick(timer: func.TimerRequest) -> None:
        return None

    with caplog.at_level(logging.ERROR):
        assert index_app(app, environ={}) == []
    assert "The 'tick' function is in error: '%MISSING_SCHEDULE%' does not resolve to a value" in caplog.text


def test_route_defaults_to_the_function_name() -> None:
    app = func.FunctionApp()

    @app.function_name("health")
    @app.route(methods=["GET"])
    def health_check(req: func.HttpRequest) -> str:
        return "ok"

    http = only(index_app(app, environ={}), "health").http
    assert http is not None
    assert http.template.match("/health") == {}


def test_decode_event_follows_the_worker_converter() -> None:
    cloud = decode_event({"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data": {"a": 1}, "ext": "x"})
    assert isinstance(cloud, func.CloudEvent)
    assert cloud.extension_attrs == {"ext": "x"}
    grid = decode_event({"id": "2", "eventType": "t", "subject": "/x", "data": {"a": 1}, "dataVersion": "2"})
    assert isinstance(grid, func.EventGridEvent)
    assert grid.get_json() == {"a": 1}
    with pytest.raises(ValueError, match="JSON object"):
        decode_event(["not", "an", "object"])


def test_timer_request_carries_the_schedule_status() -> None:
    last = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    request = make_timer_request(past_due=True, last=last, next_due=last + datetime.timedelta(minutes=5))
    assert request.past_due is True
    assert request.schedule_status["Next"] == "2024-01-01T00:05:00+00:00"


async def test_invoke_raises_invocation_failed_with_the_cause(executor: ThreadPoolExecutor) -> None:
    app = func.FunctionApp()

    @app.event_grid_trigger(arg_name="event")
    def on_event(event: func.EventGridEvent) -> None:
        raise KeyError("boom")

    spec = only(index_app(app, environ={}), "on_event")
    invoker = Invoker(executor=executor, function_directory="/app")
    with pytest.raises(InvocationFailed, match=r"Functions\.on_event\. KeyError: 'boom'") as caught:
        await invoker.invoke(spec, lambda: decode_event({"id": "1"}), reason="test")
    assert isinstance(caught.value.cause, KeyError)


async def test_timer_is_retried_per_its_retry_policy(executor: ThreadPoolExecutor) -> None:
    app = func.FunctionApp()
    seen: list[int] = []

    @app.timer_trigger(arg_name="timer", schedule="0 0 * * * *")
    @app.retry(strategy="fixed_delay", max_retry_count="2", delay_interval="00:00:00")
    def flaky(timer: func.TimerRequest, context: func.Context) -> None:
        seen.append(context.retry_context.retry_count)
        if len(seen) < 3:
            raise RuntimeError("not yet")

    spec = only(index_app(app, environ={}), "flaky")
    host = FunctionsHost([spec], invoker=Invoker(executor=executor, function_directory="/app"), options=HostOptions())
    now = datetime.datetime.now(datetime.UTC)
    assert await host.fire_timer(spec, last=None, next_due=now, past_due=False)
    assert seen == [0, 1, 2]


@pytest.mark.parametrize(
    ("host_json", "prefix"),
    [
        (None, "api"),
        ({"version": "2.0"}, "api"),
        ({"extensions": {"http": {"routePrefix": ""}}}, ""),
        ({"extensions": {"http": {"routePrefix": "/v1/"}}}, "v1"),
    ],
)
def test_route_prefix_comes_from_host_json(host_json: dict[str, object] | None, prefix: str) -> None:
    assert read_route_prefix(host_json) == prefix
