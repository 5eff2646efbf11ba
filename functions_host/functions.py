"""Index a FunctionApp the way the Python worker does, and invoke its functions the way it does.

The real worker reads ``app.get_functions()`` once at startup (function indexing), learns each
function's trigger and bindings from their function.json-shaped dictionaries, and on every
invocation converts the host's trigger payload with the library's own converters
(``azure.functions.http``, ``.eventgrid``, ``.timer``) before calling the user function: ``async
def`` functions on the worker's single event loop, plain ``def`` functions in a thread pool
(``PYTHON_THREADPOOL_THREAD_COUNT`` threads). A ``context`` parameter receives a ``func.Context``.
This module does the same, so what a function receives here is what it would receive in Azure.

The host's invocation log lines are reproduced ("Executing 'Functions.NAME' (Reason=..., Id=...)",
"Executed ... (Succeeded|Failed, Id=..., Duration=...ms)"), and every log record emitted while a
function runs, including from its threads, is tagged with the function and invocation id.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import functools
import inspect
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, cast

import azure.functions as func
from azure.functions import _abc as func_abc
from azure.functions import meta
from azure.functions.decorators.core import BindingDirection
from azure.functions.eventgrid import EventGridEventInConverter
from azure.functions.http import HttpRequest as WorkerHttpRequest
from azure.functions.timer import TimerRequest, TimerRequestConverter

from functions_host.routes import RouteTemplate, RouteTemplateError

__all__ = [
    "EVENT_GRID_TRIGGER",
    "HTTP_TRIGGER",
    "QUEUE_TRIGGER",
    "TIMER_TRIGGER",
    "FunctionSpec",
    "HttpRoute",
    "InvocationFailed",
    "InvocationResult",
    "Invoker",
    "QueueSpec",
    "RetryPolicy",
    "TimerSpec",
    "current_invocation",
    "decode_event",
    "index_app",
    "make_http_request",
    "make_timer_request",
    "resolve_app_settings",
]

HTTP_TRIGGER = "httpTrigger"
EVENT_GRID_TRIGGER = "eventGridTrigger"
TIMER_TRIGGER = "timerTrigger"
QUEUE_TRIGGER = "queueTrigger"
RETURN_BINDING = "$return"
HOST_API_REASON = "This function was programmatically called via the host APIs."

_log = logging.getLogger("functions_host")
_APP_SETTING = re.compile(r"%([^%]+)%")
_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?")


@dataclass(frozen=True, slots=True)
class InvocationInfo:
    """Which invocation the current task or thread is running, for log tagging."""

    function_name: str
    invocation_id: str


_current: contextvars.ContextVar[InvocationInfo | None] = contextvars.ContextVar(
    "functions_host_invocation", default=None
)


def current_invocation() -> InvocationInfo | None:
    """The invocation the caller runs inside, if any (used by the host's log formatter)."""
    return _current.get()


class IndexingError(ValueError):
    """A function cannot be loaded; the real host reports it as "in error" and does not run it."""


def resolve_app_settings(text: str, environ: Mapping[str, str]) -> str:
    """Replace ``%NAME%`` app-setting references, as the host does in binding properties."""

    def lookup(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in environ:
            raise IndexingError(f"'%{name}%' does not resolve to a value")
        return environ[name]

    return _APP_SETTING.sub(lookup, text)


def _plain(value: object) -> object:
    """Binding dictionaries hold the decorators' enums; the host sees their string values."""
    return value.value if isinstance(value, Enum) else value


def _timespan_seconds(text: str | None) -> float | None:
    if text is None:
        return None
    found = _TIMESPAN.fullmatch(text.strip())
    if found is None:
        raise IndexingError(f"retry interval {text!r} is not a TimeSpan (hh:mm:ss)")
    days, hours, minutes, seconds = (int(part or 0) for part in found.groups()[:4])
    fraction = float(f"0.{found.group(5)}") if found.group(5) else 0.0
    return days * 86400 + hours * 3600 + minutes * 60 + seconds + fraction


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """An HTTP trigger's routing: template (after the route prefix), methods, output binding."""

    template: RouteTemplate
    methods: frozenset[str] | None
    auth_level: str
    output_name: str


@dataclass(frozen=True, slots=True)
class TimerSpec:
    """A timer trigger's schedule (app settings already resolved) and options."""

    schedule: str
    run_on_startup: bool
    use_monitor: bool


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A queue trigger's queue (app settings already resolved) and the connection setting's name."""

    queue_name: str
    connection: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """A function's ``@app.retry`` policy (the host applies it to timer executions here)."""

    strategy: str
    max_retry_count: int
    delay_seconds: float
    maximum_seconds: float

    def delay_before(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based); doubles for exponential backoff."""
        if self.strategy == "exponential_backoff":
            return float(min(self.maximum_seconds, self.delay_seconds * 2 ** (retry - 1)))
        return self.delay_seconds

    @classmethod
    def from_setting(cls, setting: Mapping[str, Any]) -> RetryPolicy:
        strategy = str(setting.get("strategy", "")).lower()
        if strategy not in {"fixed_delay", "exponential_backoff"}:
            raise IndexingError(f"retry strategy must be fixed_delay or exponential_backoff, got {strategy!r}")
        try:
            count = int(str(setting.get("max_retry_count")))
        except ValueError:
            raise IndexingError(f"max_retry_count must be an integer, got {setting.get('max_retry_count')!r}") from None
        if strategy == "fixed_delay":
            delay = _timespan_seconds(setting.get("delay_interval"))
            if delay is None:
                raise IndexingError("fixed_delay retry needs delay_interval")
            return cls(strategy, count, delay, delay)
        minimum = _timespan_seconds(setting.get("minimum_interval"))
        maximum = _timespan_seconds(setting.get("maximum_interval"))
        if minimum is None or maximum is None:
            raise IndexingError("exponential_backoff retry needs minimum_interval and maximum_interval")
        return cls(strategy, count, minimum, maximum)


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """What the host knows about one function after indexing."""

    name: str
    trigger_type: str
    trigger_name: str
    user_function: Callable[..., Any] = field(repr=False)
    is_async: bool
    takes_context: bool
    out_names: tuple[str, ...]
    http: HttpRoute | None = None
    timer: TimerSpec | None = None
    retry: RetryPolicy | None = None
    queue: QueueSpec | None = None

    def describe(self) -> dict[str, object]:
        """JSON-able summary for the host's listing endpoints."""
        summary: dict[str, object] = {"name": self.name, "trigger": self.trigger_type, "async": self.is_async}
        if self.http is not None:
            summary["route"] = self.http.template.template
            summary["methods"] = sorted(self.http.methods) if self.http.methods else None
            summary["authLevel"] = self.http.auth_level
        if self.timer is not None:
            summary["schedule"] = self.timer.schedule
        if self.queue is not None:
            summary["queueName"] = self.queue.queue_name
        return summary


def _index_one(function: func.Function, *, environ: Mapping[str, str], default_auth: str) -> FunctionSpec:
    name = function.get_function_name() or function.get_user_function().__name__
    trigger = function.get_trigger()
    if trigger is None:
        raise IndexingError("no trigger")
    bindings = tuple(
        {key: _plain(value) for key, value in binding.get_dict_repr().items()} for binding in function.get_bindings()
    )
    trigger_dict = {key: _plain(value) for key, value in trigger.get_dict_repr().items()}
    trigger_type = str(trigger_dict.get("type"))
    trigger_name = str(trigger_dict.get("name"))
    user_function = function.get_user_function()
    parameters = inspect.signature(user_function).parameters
    binding_names = {str(binding.get("name")) for binding in bindings}
    out_names: list[str] = []
    for binding, raw in zip(bindings, function.get_bindings(), strict=True):
        binding_name = str(binding.get("name"))
        if raw.direction != BindingDirection.IN.value:
            if binding_name != RETURN_BINDING:
                out_names.append(binding_name)
            if binding.get("type") != "http":
                _log.warning(
                    "function %s: output binding %r (%s) is not emulated; what the function sets is discarded",
                    name,
                    binding_name,
                    binding.get("type"),
                )
        elif binding_name != trigger_name:
            _log.warning(
                "function %s: input binding %r (%s) is not emulated; the function will get no value for it",
                name,
                binding_name,
                binding.get("type"),
            )
    http: HttpRoute | None = None
    if trigger_type == HTTP_TRIGGER:
        output_name = next(
            (str(b.get("name")) for b in bindings if b.get("type") == "http" and str(b.get("name")) != trigger_name),
            RETURN_BINDING,
        )
        raw_route = trigger_dict.get("route")
        route = resolve_app_settings(str(raw_route), environ) if raw_route is not None else name
        try:
            template = RouteTemplate.parse(route)
        except RouteTemplateError as error:
            raise IndexingError(f"invalid route {route!r}: {error}") from None
        for unknown in template.unknown_constraints:
            _log.warning("function %s: route constraint %r is not emulated; treated as unconstrained", name, unknown)
        raw_methods = trigger_dict.get("methods")
        methods = (
            frozenset(str(_plain(method)).upper() for method in cast("list[object]", raw_methods))
            if raw_methods
            else None
        )
        auth_level = str(trigger_dict.get("authLevel") or default_auth).lower()
        http = HttpRoute(template, methods, auth_level, output_name)
    timer: TimerSpec | None = None
    if trigger_type == TIMER_TRIGGER:
        schedule = resolve_app_settings(str(trigger_dict.get("schedule", "")), environ)
        timer = TimerSpec(schedule, bool(trigger_dict.get("runOnStartup")), bool(trigger_dict.get("useMonitor", True)))
    queue: QueueSpec | None = None
    if trigger_type == QUEUE_TRIGGER:
        queue_name = resolve_app_settings(str(trigger_dict.get("queueName", "")), environ).lower()
        queue = QueueSpec(queue_name, str(trigger_dict.get("connection") or "AzureWebJobsStorage"))
    retry_setting = function.get_settings_dict("retry_policy")
    retry = RetryPolicy.from_setting(retry_setting) if retry_setting else None
    takes_context = "context" in parameters and "context" not in binding_names
    return FunctionSpec(
        name=name,
        trigger_type=trigger_type,
        trigger_name=trigger_name,
        user_function=user_function,
        is_async=inspect.iscoroutinefunction(user_function),
        takes_context=takes_context,
        out_names=tuple(out_names),
        http=http,
        timer=timer,
        retry=retry,
        queue=queue,
    )


def index_app(app: func.FunctionApp, *, environ: Mapping[str, str]) -> list[FunctionSpec]:
    """Every function the host can run. ``get_functions`` may be called only once per app object
    (it records names to reject duplicates), which is also what the worker does.

    A function that cannot be loaded is logged as "in error" and left out, as the host does.
    """
    default_auth = str(_plain(app.auth_level)).lower()
    specs: list[FunctionSpec] = []
    for function in app.get_functions():
        name = function.get_function_name() or "?"
        try:
            specs.append(_index_one(function, environ=environ, default_auth=default_auth))
        except IndexingError as error:
            _log.error("The '%s' function is in error: %s", name, error)
    return specs


# ---------------------------------------------------------------------------------------------
# Trigger payloads, built with the library's own types and converters.


def make_http_request(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    params: Mapping[str, str],
    route_params: Mapping[str, str],
    body: bytes,
) -> func.HttpRequest:
    """The request object the worker builds (``azure.functions.http.HttpRequest``)."""
    return WorkerHttpRequest(
        method=method,
        url=url,
        headers=headers,
        params=params,
        route_params=route_params,
        body_type="bytes",
        body=body,
    )


def decode_event(element: object) -> func.EventGridEvent | func.CloudEvent:
    """One delivered array element → EventGridEvent or CloudEvent, by the worker's own converter.

    The converter decides by the presence of ``specversion``; anything it cannot read raises, which
    the host reports as a failed invocation (as the worker does with a bad payload).
    """
    if not isinstance(element, dict):
        raise ValueError(f"an Event Grid event must be a JSON object, got {type(element).__name__}")
    datum = meta.Datum(type="json", value=json.dumps(element))
    return EventGridEventInConverter.decode(datum, trigger_metadata={})


def make_timer_request(
    *,
    past_due: bool = False,
    last: datetime.datetime | None = None,
    next_due: datetime.datetime | None = None,
) -> TimerRequest:
    """The TimerRequest the worker builds from the host's timer info JSON."""
    info: dict[str, object] = {"Schedule": {"AdjustForDST": True}, "IsPastDue": past_due}
    if last is not None or next_due is not None:
        status = {"Last": last, "Next": next_due, "LastUpdated": last}
        info["ScheduleStatus"] = {key: value.isoformat() for key, value in status.items() if value is not None}
    request = TimerRequestConverter.decode(meta.Datum(type="json", value=json.dumps(info)), trigger_metadata={})
    return cast("TimerRequest", request)


# ---------------------------------------------------------------------------------------------
# Invocation.


class _TraceContext(func_abc.TraceContext):
    def __init__(self, trace_parent: str) -> None:
        self._trace_parent = trace_parent

    @property
    def trace_state(self) -> str:
        return ""

    @property
    def trace_parent(self) -> str:
        return self._trace_parent

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _RpcException(func_abc.RpcException):
    def __init__(self, error: BaseException) -> None:
        self._error = error

    @property
    def source(self) -> str:
        return type(self._error).__module__

    @property
    def stack_trace(self) -> str:
        return ""

    @property
    def message(self) -> str:
        return str(self._error)


class _RetryContext(func_abc.RetryContext):
    def __init__(self, retry_count: int, max_retry_count: int, error: BaseException | None) -> None:
        self._retry_count = retry_count
        self._max_retry_count = max_retry_count
        self._error = error

    @property
    def retry_count(self) -> int:
        return self._retry_count

    @property
    def max_retry_count(self) -> int:
        return self._max_retry_count

    @property
    def exception(self) -> func_abc.RpcException:
        return _RpcException(self._error or RuntimeError(""))


class _Context(func.Context):
    """The ``context`` argument: invocation id, function name and directory, trace and retry."""

    def __init__(self, *, invocation_id: str, function_name: str, directory: str, retry: _RetryContext) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._directory = directory
        self._retry = retry
        self._storage = threading.local()
        self._trace = _TraceContext(f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01")

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> type[threading.local]:
        # The library annotates this as a type, but the worker returns a threading.local instance.
        return cast("type[threading.local]", self._storage)

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._directory

    @property
    def trace_context(self) -> func_abc.TraceContext:
        return self._trace

    @property
    def retry_context(self) -> func_abc.RetryContext:
        return self._retry


class _Out(func.Out[Any]):
    """An output-binding parameter; the host reads what the function ``set``."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        self._value = val

    def get(self) -> Any:
        return self._value


@dataclass(frozen=True, slots=True)
class InvocationResult:
    """What a successful invocation produced: its return value and the output bindings it set."""

    invocation_id: str
    value: Any
    outputs: Mapping[str, Any]


class InvocationFailed(Exception):
    """The function (or the binding of its trigger input) raised; ``cause`` is the original error."""

    def __init__(self, function_name: str, invocation_id: str, cause: BaseException) -> None:
        super().__init__(
            f"Exception while executing function: Functions.{function_name}. {type(cause).__name__}: {cause}"
        )
        self.function_name = function_name
        self.invocation_id = invocation_id
        self.cause = cause


class Invoker:
    """Runs functions: async ones on the running loop, sync ones on ``executor`` (the worker's model)."""

    def __init__(self, *, executor: Executor, function_directory: str) -> None:
        self._executor = executor
        self._directory = function_directory

    async def invoke(
        self,
        spec: FunctionSpec,
        bind: Callable[[], object],
        *,
        reason: str,
        retry_count: int = 0,
        last_error: BaseException | None = None,
    ) -> InvocationResult:
        """Invoke ``spec`` with the trigger value ``bind()`` returns; raise InvocationFailed on error.

        ``bind`` runs inside the invocation, so a payload the converter rejects is a failed
        invocation with the usual log lines, as in the worker.
        """
        invocation_id = str(uuid.uuid4())
        _log.info("Executing 'Functions.%s' (Reason='%s', Id=%s)", spec.name, reason, invocation_id)
        started = time.perf_counter()
        outs = {name: _Out() for name in spec.out_names}
        token = _current.set(InvocationInfo(spec.name, invocation_id))
        try:
            kwargs: dict[str, object] = {spec.trigger_name: bind(), **outs}
            if spec.takes_context:
                max_retries = spec.retry.max_retry_count if spec.retry else 0
                kwargs["context"] = _Context(
                    invocation_id=invocation_id,
                    function_name=spec.name,
                    directory=self._directory,
                    retry=_RetryContext(retry_count, max_retries, last_error),
                )
            value = await self._call(spec, kwargs)
        except Exception as error:
            duration = (time.perf_counter() - started) * 1000
            _log.error(
                "Executed 'Functions.%s' (Failed, Id=%s, Duration=%.0fms)",
                spec.name,
                invocation_id,
                duration,
                exc_info=error,
            )
            raise InvocationFailed(spec.name, invocation_id, error) from error
        finally:
            _current.reset(token)
        duration = (time.perf_counter() - started) * 1000
        _log.info("Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%.0fms)", spec.name, invocation_id, duration)
        return InvocationResult(invocation_id, value, {name: out.get() for name, out in outs.items()})

    async def _call(self, spec: FunctionSpec, kwargs: Mapping[str, object]) -> Any:
        if spec.is_async:
            return await cast("Callable[..., Awaitable[Any]]", spec.user_function)(**kwargs)
        loop = asyncio.get_running_loop()
        # Copy the context so log records from the thread carry this invocation's id.
        call = functools.partial(contextvars.copy_context().run, spec.user_function, **kwargs)
        result = await loop.run_in_executor(self._executor, call)
        if inspect.isawaitable(result):
            return await result
        return result


def thread_count(environ: Mapping[str, str]) -> int | None:
    """The sync-function thread pool size: PYTHON_THREADPOOL_THREAD_COUNT, else Python's default."""
    raw = environ.get("PYTHON_THREADPOOL_THREAD_COUNT", "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def describe_all(specs: Sequence[FunctionSpec]) -> list[dict[str, object]]:
    return [spec.describe() for spec in specs]
