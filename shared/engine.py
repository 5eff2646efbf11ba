"""The wired engine: config, Azure adapters and reconciler for one process, built on first use.

Azure Functions keeps a worker process (and its event loop) alive across invocations, so clients,
their connection pool and the credential's token cache are built once and reused, as the Functions
guidance on connection management advises. ``EngineProvider`` is created by the composition root
(``function_app.py``) and handed to each blueprint: no module-level state.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from shared.azure.clients import ArmClients
from shared.azure.resource_groups import ResourceGroups
from shared.config import GovernanceConfig, load_config
from shared.reconciler import Reconciler
from shared.settings import Settings


@dataclass(frozen=True, slots=True)
class Engine:
    """Everything an invocation needs."""

    settings: Settings
    config: GovernanceConfig
    reconciler: Reconciler


def build_engine(settings: Settings, config: GovernanceConfig | None = None) -> tuple[Engine, ArmClients]:
    """The engine and the clients it owns (close them when done); call from a coroutine."""
    config = config if config is not None else load_config(settings.governance_config)
    clients = ArmClients.connect(settings)
    reconciler = Reconciler(config, ResourceGroups(clients), max_concurrency=settings.max_concurrency)
    return Engine(settings, config, reconciler), clients


@asynccontextmanager
async def open_engine(settings: Settings, config: GovernanceConfig | None = None) -> AsyncIterator[Engine]:
    """An engine whose clients are closed on exit (CLI, benchmarks, tests)."""
    engine, clients = build_engine(settings, config)
    async with clients:
        yield engine


class EngineProvider:
    """Builds the engine lazily on the running event loop and keeps it for later invocations.

    A config error is raised to the invocation (and not cached), so fixing the file and restarting
    is all it takes; a change of event loop (not expected under the Functions worker) rebuilds.
    """

    def __init__(self, settings: Callable[[], Settings] = Settings.from_environment) -> None:
        self._settings = settings
        self._engine: Engine | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None

    def settings(self) -> Settings:
        return self._settings()

    def config(self) -> GovernanceConfig:
        """The validated config, without building clients (used by the health endpoint)."""
        if self._engine is not None and self._loop is asyncio.get_running_loop():
            return self._engine.config
        return load_config(self._settings().governance_config)

    async def engine(self) -> Engine:
        loop = asyncio.get_running_loop()
        if self._engine is not None and self._loop is loop:
            return self._engine
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop, self._engine, self._keeper = asyncio.Lock(), loop, None, None
        async with self._lock:
            if self._engine is None:
                self._engine, clients = build_engine(self._settings())
                self._keeper = loop.create_task(_close_with_the_loop(clients), name="dpgov-engine-keeper")
            return self._engine

    async def close(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            await asyncio.gather(self._keeper, return_exceptions=True)
        self._engine, self._keeper = None, None


async def _close_with_the_loop(clients: ArmClients) -> None:
    """Hold the clients until the event loop shuts down (which cancels this task), then close them.

    The worker offers no shutdown hook; this ties the session's and credential's lifetime to the
    loop's, so they close cleanly instead of being finalised half-way through interpreter exit.
    """
    try:
        await asyncio.Event().wait()
    finally:
        await clients.close()
