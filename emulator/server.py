"""Assemble and run the emulator: the HTTPS ARM + control server, the identity endpoint, the Purview
data plane and the outcome events' custom topic (each its own HTTPS listener, same CA), and Azurite.

The servers listen on sockets the emulator binds itself (port 0 picks a free one), and Azurite reports
the ports the OS gave it, so the real ports are known before anyone is told. Once everything serves,
the endpoints and the app settings go into the ready file in one atomic rename; a launcher polls for
that file. SIGTERM or SIGINT (at any time, startup included) stops the servers, any deliveries in
flight and Azurite, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from .appsettings import (
    ArmSettings,
    IdentitySettings,
    OutcomeTopicSettings,
    PurviewSettings,
    ServiceSettings,
    StorageSettings,
    TrustSettings,
    UnifiedCatalogSettings,
    compose,
)
from .arm.gateway import handle_arm
from .arm.providers.purview import place_home_account
from .control.api import add_control_routes
from .eventgrid.topic import PUBLISH_PATH
from .eventgrid.topic_gateway import build_topic_app
from .identity.endpoint import IDENTITY_PATH, build_identity_app
from .purview.account import DEFAULT_ACCOUNT_NAME
from .purview.gateway import build_purview_app
from .state import DEFAULT_PAGE_SIZE, STATE_KEY, EmulatorState
from .storage.azurite import Azurite, AzuriteEndpoints, find_azurite
from .storage.reset import StorageReset
from .tls import CaFiles, ensure_ca

__all__ = ["ServerOptions", "build_arm_app", "serve"]

MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 0
    page_size: int = DEFAULT_PAGE_SIZE
    ca_dir: Path | None = None
    ready_file: Path | None = None
    storage: bool = True
    # The emulated Purview account's name; None serves no Purview (--no-purview).
    purview_account: str | None = DEFAULT_ACCOUNT_NAME


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


def _write_ready_file(path: Path, content: dict[str, Any]) -> None:
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(content, indent=2))
    temporary.replace(path)


def _ready_content(
    *, arm_url: str, identity_endpoint: str, state: EmulatorState, ca_files: CaFiles, storage: AzuriteEndpoints | None
) -> dict[str, Any]:
    services: list[ServiceSettings] = [
        TrustSettings(str(ca_files.ca_bundle)),
        IdentitySettings(identity_endpoint, state.identity_header),
        ArmSettings(arm_url),
    ]
    if storage is not None:
        services.append(StorageSettings(storage))
    if state.purview is not None and state.purview.endpoint is not None:
        services.append(PurviewSettings(state.purview.name, state.purview.endpoint, state.purview.resource_id))
        services.append(UnifiedCatalogSettings(state.purview.endpoint))
    if state.topic.endpoint is not None:
        services.append(OutcomeTopicSettings(state.topic.endpoint))
    return {
        "url": arm_url,
        "ca_bundle": str(ca_files.ca_bundle),
        "identity_endpoint": identity_endpoint,
        "identity_header": state.identity_header,
        "storage": (
            {"blob": storage.blob, "queue": storage.queue, "table": storage.table, "pid": storage.pid}
            if storage is not None
            else None
        ),
        # The topic's access key, for a test that publishes with aeg-sas-key (the app uses its identity).
        "outcome_topic": {
            "endpoint": state.topic.endpoint,
            "key": state.topic.key,
            "resource_id": state.topic.resource_id,
        },
        "app_settings": compose(services),
    }


async def serve(options: ServerOptions) -> None:
    """Run until SIGTERM/SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    ca_dir = options.ca_dir or Path(tempfile.mkdtemp(prefix="dpgov-emulator-ca-"))
    ca_files = ensure_ca(ca_dir)
    azurite = (
        Azurite(executable=find_azurite(), cert=ca_files.server_cert, key=ca_files.server_key, host=options.host)
        if options.storage
        else None
    )
    state = EmulatorState(
        client_ssl_context=ca_files.client_ssl_context(),
        page_size=options.page_size,
        purview_account=options.purview_account,
    )
    arm_runner = web.AppRunner(build_arm_app(state), access_log=None, handle_signals=False)
    identity_runner = web.AppRunner(build_identity_app(state), access_log=None, handle_signals=False)
    purview_runner = (
        web.AppRunner(build_purview_app(state), access_log=None, handle_signals=False)
        if state.purview is not None
        else None
    )
    topic_runner = web.AppRunner(build_topic_app(state), access_log=None, handle_signals=False)
    storage_start = loop.create_task(azurite.start()) if azurite is not None else None
    try:
        await state.publisher.start()
        await arm_runner.setup()
        await identity_runner.setup()
        arm_socket = _listen(options.host, options.port)
        identity_socket = _listen(options.host, 0)
        await web.SockSite(arm_runner, arm_socket, ssl_context=ca_files.server_ssl_context()).start()
        await web.SockSite(identity_runner, identity_socket).start()
        if purview_runner is not None and state.purview is not None:
            # Its own port, so ARM paths and Purview paths can never collide.
            await purview_runner.setup()
            purview_socket = _listen(options.host, 0)
            await web.SockSite(purview_runner, purview_socket, ssl_context=ca_files.server_ssl_context()).start()
            state.purview.endpoint = _url("https", options.host, purview_socket)
            place_home_account(state)
        await topic_runner.setup()
        topic_socket = _listen(options.host, 0)
        await web.SockSite(topic_runner, topic_socket, ssl_context=ca_files.server_ssl_context()).start()
        state.topic.endpoint = _url("https", options.host, topic_socket) + PUBLISH_PATH
        storage = await storage_start if storage_start is not None else None
        if storage is not None:
            state.storage = StorageReset(storage, ca_files.ca_bundle)
        if options.ready_file is not None and not stop.is_set():
            _write_ready_file(
                options.ready_file,
                _ready_content(
                    arm_url=_url("https", options.host, arm_socket),
                    identity_endpoint=_url("http", options.host, identity_socket) + IDENTITY_PATH,
                    state=state,
                    ca_files=ca_files,
                    storage=storage,
                ),
            )
        await stop.wait()
    finally:
        if storage_start is not None and not storage_start.done():
            storage_start.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await storage_start
        state.deletions.cancel_all()
        await state.publisher.close()
        if state.storage is not None:
            await state.storage.close()
        await arm_runner.cleanup()
        await identity_runner.cleanup()
        if purview_runner is not None:
            await purview_runner.cleanup()
        await topic_runner.cleanup()
        if azurite is not None:
            await azurite.stop()
