"""Assemble and run the emulator: the HTTPS ARM + control server and the plain-HTTP identity endpoint.

Both listen on sockets the emulator binds itself (port 0 picks a free one), so the real ports are
known before anyone is told. Once both serve, the endpoints go into the ready file in one atomic
rename; a launcher polls for that file. SIGTERM or SIGINT stops both servers and any deliveries in
flight, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from .arm.gateway import handle_arm
from .control.api import add_control_routes
from .identity.endpoint import IDENTITY_PATH, build_identity_app
from .state import DEFAULT_PAGE_SIZE, STATE_KEY, EmulatorState
from .tls import ensure_ca

__all__ = ["ServerOptions", "build_arm_app", "serve"]

MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    ca_dir: Path | None = None
    ready_file: Path | None = None


def build_arm_app(state: EmulatorState) -> web.Application:
    """The HTTPS application: control API under ``/_emulator/``, ARM everywhere else."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app[STATE_KEY] = state
    add_control_routes(app)
    app.router.add_route("*", "/{tail:.*}", handle_arm)
    return app


def _bind(host: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def _listen(host: str, port: int) -> socket.socket:
    sock = _bind(host)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


def _url(scheme: str, host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def _write_ready_file(path: Path, content: dict[str, str]) -> None:
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(content, indent=2))
    temporary.replace(path)


async def serve(options: ServerOptions) -> None:
    """Run until SIGTERM/SIGINT."""
    ca_dir = options.ca_dir or Path(tempfile.mkdtemp(prefix="dpgov-emulator-ca-"))
    ca_files = ensure_ca(ca_dir)
    state = EmulatorState(client_ssl_context=ca_files.client_ssl_context(), page_size=options.page_size)
    await state.publisher.start()
    arm_runner = web.AppRunner(build_arm_app(state), access_log=None, handle_signals=False)
    identity_runner = web.AppRunner(build_identity_app(state), access_log=None, handle_signals=False)
    await arm_runner.setup()
    await identity_runner.setup()
    arm_socket = _listen(options.host, options.port)
    identity_socket = _listen(options.host, 0)
    try:
        await web.SockSite(arm_runner, arm_socket, ssl_context=ca_files.server_ssl_context()).start()
        await web.SockSite(identity_runner, identity_socket).start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if options.ready_file is not None:
            _write_ready_file(
                options.ready_file,
                {
                    "url": _url("https", options.host, arm_socket),
                    "ca_bundle": str(ca_files.ca_bundle),
                    "identity_endpoint": _url("http", options.host, identity_socket) + IDENTITY_PATH,
                    "identity_header": state.identity_header,
                },
            )
        await stop.wait()
    finally:
        state.deletions.cancel_all()
        await state.publisher.close()
        await arm_runner.cleanup()
        await identity_runner.cleanup()
