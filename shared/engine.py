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

from azure.core.credentials_async import AsyncTokenCredential
from azure.data.tables.aio import TableClient

from shared.aspects.base import AnyAspect
from shared.aspects.catalog import CatalogAspect
from shared.aspects.policy import PolicyAspect
from shared.aspects.purview import PurviewAspect
from shared.aspects.rbac import RbacAspect
from shared.aspects.tags import TagsAspect
from shared.aspects.visualization import VisualizationAspect
from shared.azure.clients import USER_AGENT, ArmClients
from shared.azure.inventory import ArmInventory
from shared.azure.ledger_table import TableLedger, connect_table, require_storage
from shared.azure.outcome_topic import OutcomePublisher, OutcomeStats
from shared.azure.policies import PolicyAssignments
from shared.azure.purview import PurviewClients
from shared.azure.resource_graph import ResourceGraph
from shared.azure.resource_groups import ResourceGroups
from shared.azure.role_assignments import RoleAssignments
from shared.azure.runs import RunQueue, RunStore, connect_queue
from shared.azure.unified_catalog import UnifiedCatalogClient
from shared.config import ConfigError, GovernanceConfig, load_config
from shared.ledger import Ledger
from shared.reconciler import Reconciler
from shared.settings import Settings


@dataclass(frozen=True, slots=True)
class Engine:
    """Everything an invocation needs."""

    settings: Settings
    config: GovernanceConfig
    reconciler: Reconciler
    ledger: Ledger
    outcomes: OutcomePublisher | None = None  # DPGOV_OUTCOME_TOPIC_ENDPOINT set: the reconciler publishes here
    runs: RunStore | None = None  # the estate fan-out: runs and their zones' reports (DPGOV_RUNS_TABLE)
    queue: RunQueue | None = None  # the estate fan-out: one message per landing zone (DPGOV_RECONCILE_QUEUE)


@dataclass(frozen=True, slots=True)
class EngineClients:
    """The Azure clients an engine owns; closed together when the engine is done."""

    arm: ArmClients
    table: TableClient
    owned_credential: AsyncTokenCredential | None
    purview: PurviewClients | None = None
    catalog: UnifiedCatalogClient | None = None
    outcomes: OutcomePublisher | None = None
    runs_table: TableClient | None = None
    runs_credential: AsyncTokenCredential | None = None
    queue: RunQueue | None = None

    async def close(self) -> None:
        if self.queue is not None:
            await self.queue.close()
        if self.runs_table is not None:
            await self.runs_table.close()
        if self.runs_credential is not None:
            await self.runs_credential.close()
        if self.outcomes is not None:
            await self.outcomes.close()
        if self.catalog is not None:
            await self.catalog.close()
        if self.purview is not None:
            await self.purview.close()
        await self.table.close()
        if self.owned_credential is not None:
            await self.owned_credential.close()
        await self.arm.close()


def uses_policy(config: GovernanceConfig) -> bool:
    return any(
        domain.policies or any(product.policies for product in domain.products.values())
        for domain in config.domains.values()
    )


def aspect_names(config: GovernanceConfig, settings: Settings) -> tuple[str, ...]:
    """The aspects this config and these settings turn on, in the order they are reported."""
    names = [TagsAspect.name, VisualizationAspect.name, RbacAspect.name]
    if uses_policy(config):
        names.append(PolicyAspect.name)
    if settings.purview is not None:
        names.append(PurviewAspect.name)
    if settings.unified_catalog is not None:
        names.append(CatalogAspect.name)
    return tuple(names)


@dataclass(frozen=True, slots=True)
class PurviewClientSet:
    """The Purview clients an engine built (either may be off)."""

    data_map: PurviewClients | None = None
    catalog: UnifiedCatalogClient | None = None


def build_aspects(
    config: GovernanceConfig, settings: Settings, arm: ArmClients
) -> tuple[ArmInventory, list[AnyAspect], PurviewClientSet]:
    """The shared inventory, the governed aspects (in report order) and the Purview clients if on."""
    groups, assignments = ResourceGroups(arm), RoleAssignments(arm)
    aspects: list[AnyAspect] = [
        TagsAspect(config, groups),
        VisualizationAspect(config, groups),
        RbacAspect(config, assignments),
    ]
    if uses_policy(config):
        policies = PolicyAssignments(arm, subscription_for_reads=config.landing_zones[0].subscription_id)
        aspects.append(PolicyAspect(config, policies, assignments))
    purview = None
    if settings.purview is not None:
        problems = config.purview_role_problems()
        if problems:
            raise ConfigError("; ".join(problems))
        purview = PurviewClients(settings.purview, arm.credential, arm=arm)
        aspects.append(PurviewAspect(config, purview, groups, assignments))
    catalog = None
    if settings.unified_catalog is not None:
        catalog = UnifiedCatalogClient(
            settings.unified_catalog, arm.credential, transport=arm.transport(), user_agent=USER_AGENT
        )
        aspects.append(CatalogAspect(config, catalog, purview))
    return ArmInventory(groups, assignments), aspects, PurviewClientSet(purview, catalog)


def build_engine(settings: Settings, config: GovernanceConfig | None = None) -> tuple[Engine, EngineClients]:
    """The engine and the clients it owns (close them when done); call from a coroutine."""
    config = config if config is not None else load_config(settings.governance_config)
    require_storage(settings.storage)
    arm = ArmClients.connect(settings)
    table, owned = connect_table(
        settings.storage, settings.ledger_table, credential=arm.credential, transport=arm.transport()
    )
    runs_table, runs_credential = connect_table(
        settings.storage, settings.runs_table, credential=arm.credential, transport=arm.transport()
    )
    queue = RunQueue(
        connect_queue(
            settings.storage,
            settings.reconcile_queue,
            credential=runs_credential or arm.credential,
            transport=arm.transport(),
        )
    )
    inventory, aspects, purview = build_aspects(config, settings, arm)
    ledger = TableLedger(table)
    outcomes = (
        OutcomePublisher(
            settings.outcome_topic_endpoint, arm.credential, transport=arm.transport(), user_agent=USER_AGENT
        )
        if settings.outcome_topic_endpoint is not None
        else None
    )
    reconciler = Reconciler(
        config,
        inventory,
        ledger,
        aspects,
        max_concurrency=settings.max_concurrency,
        outcomes=outcomes,
        coalesce_window=settings.coalesce_window_ms / 1000,
        resource_graph=ResourceGraph(arm),
        resource_graph_min_zones=settings.resource_graph_min_zones,
        max_groups_in_flight=settings.max_groups_in_flight,
    )
    return Engine(settings, config, reconciler, ledger, outcomes, RunStore(runs_table), queue), EngineClients(
        arm, table, owned, purview.data_map, purview.catalog, outcomes, runs_table, runs_credential, queue
    )


@asynccontextmanager
async def open_engine(settings: Settings, config: GovernanceConfig | None = None) -> AsyncIterator[Engine]:
    """An engine whose clients are closed on exit (CLI, benchmarks, tests)."""
    engine, clients = build_engine(settings, config)
    try:
        yield engine
    finally:
        await clients.close()


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

    def aspect_names(self, config: GovernanceConfig) -> tuple[str, ...]:
        return aspect_names(config, self._settings())

    def config(self) -> GovernanceConfig:
        """The validated config, without building clients (used by the health endpoint)."""
        if self._engine is not None and self._loop is asyncio.get_running_loop():
            return self._engine.config
        return load_config(self._settings().governance_config)

    def outcome_stats(self) -> OutcomeStats | None:
        """What this instance published to the outcome topic so far; None when no topic is set."""
        if self._settings().outcome_topic_endpoint is None:
            return None
        engine = self._engine
        if engine is None or engine.outcomes is None or self._loop is not asyncio.get_running_loop():
            return OutcomeStats()  # nothing reconciled yet on this instance
        return engine.outcomes.stats()

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


async def _close_with_the_loop(clients: EngineClients) -> None:
    """Hold the clients until the event loop shuts down (which cancels this task), then close them.

    The worker offers no shutdown hook; this ties the session's and credential's lifetime to the
    loop's, so they close cleanly instead of being finalised half-way through interpreter exit.
    """
    try:
        await asyncio.Event().wait()
    finally:
        await clients.close()
