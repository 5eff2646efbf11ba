"""A small local Azure Functions host: serves a FunctionApp's functions over HTTP like ``func start``.

There is no Functions host in this environment (Core Tools downloads its binary at install time), so
this stands in for it in development and tests. Events then flow as in Azure: the emulator's Event
Grid delivers to ``/runtime/webhooks/eventgrid?functionName=...``, the function runs, calls Azure
through the official SDKs, and those calls land back on the emulator.

Run it from the app's root (the directory holding function_app.py and host.json)::

    python -m functions_host [--port 7071] [--host 127.0.0.1] [--app function_app:app]
                             [--ready-file F] [--run-timers] [--no-local-settings]

Like ``func start``, the ``Values`` of a local.settings.json in that directory become environment
variables unless already set (``--no-local-settings`` skips this), and host.json's
``extensions.http.routePrefix`` sets the HTTP route prefix (default ``api``).

``--port 0`` picks a free port. Once serving, ``{"url": "http://127.0.0.1:PORT"}`` is written
atomically to the ready file. The host runs until SIGTERM or SIGINT and then exits 0; it exits 1 if
the app cannot be imported. Logs go to stderr at INFO: the host's invocation lines
("Executing 'Functions.NAME' (Reason=..., Id=...)" / "Executed ... (Succeeded|Failed, ...)") and
the app's own log records, tagged with the function and invocation they came from.

From Python (tests, demo, benchmarks) use :func:`start_host`, which runs the host as a subprocess
with a given environment and stops it afterwards.

Like Core Tools running locally, **function keys are not enforced** whatever the functions'
``auth_level``; ``code=`` query parameters and ``x-functions-key`` headers are accepted and
ignored. What the endpoints do, and where they knowingly differ from Azure, is in
:mod:`functions_host.server`; how functions are indexed and invoked is in :mod:`functions_host.functions`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import importlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import azure.functions as func
from aiohttp import web

from functions_host.functions import FunctionSpec, Invoker, current_invocation, index_app, thread_count
from functions_host.queues import read_queue_options
from functions_host.server import FunctionsHost, HostOptions, read_route_prefix

__all__ = ["HostEndpoints", "HostStartError", "main", "start_host"]

_log = logging.getLogger("functions_host")
_REPO_ROOT = Path(__file__).resolve().parent.parent
_STARTUP_TIMEOUT_SECONDS = 30.0
_STOP_TIMEOUT_SECONDS = 10.0
_SHUTDOWN_GRACE_SECONDS = 5.0


# ---------------------------------------------------------------------------------------------
# Logging


class _HostFormatter(logging.Formatter):
    """Core Tools' look: ``[2024-05-01T12:00:00.123Z] message``; app records also name their
    level, logger and the invocation they belong to."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    def formatMessage(self, record: logging.LogRecord) -> str:
        stamp = f"[{record.asctime}]"
        if record.name == _log.name:
            return f"{stamp} {record.message}"
        invocation = getattr(record, "invocation", "")
        return f"{stamp} {record.levelname} {record.name}{invocation}: {record.message}"


class _InvocationFilter(logging.Filter):
    """Tag records emitted while a function runs (on the loop or in its thread) with its id."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = current_invocation()
        record.invocation = f" [Functions.{info.function_name} {info.invocation_id[:8]}]" if info else ""
        return True


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_HostFormatter("%(asctime)s %(message)s"))
    handler.addFilter(_InvocationFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


# ---------------------------------------------------------------------------------------------
# Serving


def load_app(reference: str) -> func.FunctionApp:
    """Import ``module:attribute`` (attribute may be dotted) and check it is a FunctionApp."""
    module_name, _, attribute = reference.partition(":")
    target: object = importlib.import_module(module_name)
    for part in (attribute or "app").split("."):
        target = getattr(target, part)
    if not isinstance(target, func.FunctionApp):
        raise TypeError(f"{reference} is a {type(target).__name__}, not an azure.functions.FunctionApp")
    return target


def _read_host_json(directory: Path) -> dict[str, object] | None:
    path = directory / "host.json"
    if not path.is_file():
        return None
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else None


def load_local_settings(directory: Path, environ: MutableMapping[str, str]) -> None:
    """Apply local.settings.json ``Values`` as Core Tools does: an existing variable wins."""
    path = directory / "local.settings.json"
    if not path.is_file():
        return
    values = json.loads(path.read_text(encoding="utf-8")).get("Values") or {}
    for name, value in values.items():
        if name in environ:
            _log.info("Skipping '%s' from local settings as it's already defined in the environment.", name)
        else:
            environ[name] = str(value)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _log_function_list(specs: Sequence[FunctionSpec], url: str, route_prefix: str) -> None:
    lines = ["Functions:"]
    for spec in specs:
        if spec.http is not None:
            methods = ",".join(sorted(spec.http.methods)) if spec.http.methods else "ALL"
            route = "/".join(part for part in (route_prefix, spec.http.template.template.strip("/")) if part)
            lines.append(f"        {spec.name}: [{methods}] {url}/{route}")
        else:
            lines.append(f"        {spec.name}: {spec.trigger_type}")
    _log.info("\n".join(lines))


@dataclass(frozen=True, slots=True)
class _ServeOptions:
    app: str
    host: str
    port: int
    ready_file: Path | None
    run_timers: bool
    root: Path


async def _serve(options: _ServeOptions) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    specs = index_app(load_app(options.app), environ=os.environ)
    host_json = _read_host_json(options.root)
    route_prefix = read_route_prefix(host_json)
    executor = ThreadPoolExecutor(max_workers=thread_count(os.environ), thread_name_prefix="function")
    invoker = Invoker(executor=executor, function_directory=str(options.root))
    host = FunctionsHost(
        specs,
        invoker=invoker,
        options=HostOptions(
            route_prefix=route_prefix, run_timers=options.run_timers, queues=read_queue_options(host_json)
        ),
    )
    runner = web.AppRunner(host.application(), access_log=None, shutdown_timeout=_SHUTDOWN_GRACE_SECONDS)
    await runner.setup()
    try:
        sock = _bind(options.host, options.port)
        await web.SockSite(runner, sock).start()
        bound_host, bound_port = sock.getsockname()[:2]
        url = f"http://[{bound_host}]:{bound_port}" if ":" in bound_host else f"http://{bound_host}:{bound_port}"
        _log_function_list(specs, url, route_prefix)
        _log.info("Host started; listening on %s", url)
        if options.ready_file is not None:
            _write_atomically(options.ready_file, json.dumps({"url": url}))
        host.start_timers()
        host.start_queues(os.environ)
        await stop.wait()
        _log.info("Stopping host")
    finally:
        await host.close()
        await runner.cleanup()
        executor.shutdown(wait=False, cancel_futures=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions_host", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=7071, help="port to listen on; 0 picks a free one")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--app", default="function_app:app", help="module:attribute of the FunctionApp")
    parser.add_argument("--ready-file", type=Path, help='written with {"url": ...} once serving')
    parser.add_argument("--run-timers", action="store_true", help="fire timer triggers on their schedules")
    parser.add_argument(
        "--no-local-settings", action="store_true", help="do not apply local.settings.json Values to the environment"
    )
    args = parser.parse_args(argv)
    _configure_logging()
    root = Path.cwd()
    if not args.no_local_settings:
        load_local_settings(root, os.environ)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    options = _ServeOptions(args.app, args.host, args.port, args.ready_file, args.run_timers, root)
    try:
        asyncio.run(_serve(options))
    except Exception:
        _log.exception("The Functions host could not start")
        return 1
    return 0


# ---------------------------------------------------------------------------------------------
# Running the host as a subprocess


class HostStartError(RuntimeError):
    """The host process died or did not become ready; the message carries its log."""


@dataclass(frozen=True, slots=True)
class HostEndpoints:
    """Where a started host listens, and where its log (stdout and stderr) goes."""

    url: str
    pid: int
    log_path: Path

    def webhook_url(self, function_name: str) -> str:
        """The Event Grid trigger endpoint of ``function_name`` (what an event subscription targets)."""
        return f"{self.url}/runtime/webhooks/eventgrid?functionName={quote(function_name)}"

    def admin_url(self, function_name: str) -> str:
        """The admin endpoint that runs a non-HTTP function (POST ``{"input": ...}``)."""
        return f"{self.url}/admin/functions/{quote(function_name)}"

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _tail(path: Path, limit: int = 20_000) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return text[-limit:]


def _wait_ready(process: subprocess.Popen[bytes], ready_file: Path, log_path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready_file.exists():
            url = json.loads(ready_file.read_text(encoding="utf-8"))["url"]
            return str(url)
        code = process.poll()
        if code is not None:
            raise HostStartError(
                f"the Functions host exited with code {code} before it was ready\n--- host log ---\n{_tail(log_path)}"
            )
        time.sleep(0.05)
    raise HostStartError(f"the Functions host was not ready after {timeout:.0f} s\n--- host log ---\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def start_host(
    *,
    app: str = "function_app:app",
    env: Mapping[str, str],
    cwd: Path,
    run_timers: bool = False,
    local_settings: bool = False,
    log_path: Path | None = None,
    startup_timeout: float = _STARTUP_TIMEOUT_SECONDS,
) -> Iterator[HostEndpoints]:
    """Run ``python -m functions_host --port 0`` in ``cwd`` with ``env`` over os.environ.

    Yields once the host serves; SIGTERMs it (then kills it after 10 s) on exit. Its stdout and
    stderr go to ``log_path`` (default: a temporary file removed afterwards), so a chatty host can
    never block on a full pipe; the log is in the HostStartError if the host dies before it is ready.
    The repository root (functions_host and the app) is put on PYTHONPATH, so ``cwd`` need not be it.
    A developer's local.settings.json is ignored unless ``local_settings`` is true, so what a test
    runs with is exactly ``env``; ``run_timers`` fires timer triggers on their schedules.
    """
    with tempfile.TemporaryDirectory(prefix="dpgov-host-") as scratch:
        ready_file = Path(scratch) / "ready.json"
        log_file_path = log_path or Path(scratch) / "host.log"
        child_env = {**os.environ, **env}
        child_env["PYTHONPATH"] = os.pathsep.join(
            part for part in (str(_REPO_ROOT), child_env.get("PYTHONPATH", "")) if part
        )
        child_env.setdefault("PYTHONUNBUFFERED", "1")
        command = [sys.executable, "-m", "functions_host", "--port", "0", "--host", "127.0.0.1"]
        command += ["--app", app, "--ready-file", str(ready_file)]
        if run_timers:
            command.append("--run-timers")
        if not local_settings:
            command.append("--no-local-settings")
        with log_file_path.open("ab") as log_file:
            process = subprocess.Popen(
                command, cwd=cwd, env=child_env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT
            )
            try:
                url = _wait_ready(process, ready_file, log_file_path, startup_timeout)
                yield HostEndpoints(url=url, pid=process.pid, log_path=log_file_path)
            finally:
                _stop(process)


if __name__ == "__main__":
    sys.exit(main())
