"""Everything the emulator knows, in one object owned by the running app (no module globals).

``reset`` returns it to a blank slate — no subscriptions, no faults, no latency, no throttling, an
empty request log, no event subscriptions, no tables, queues or blob containers in Azurite, no role
or policy assignments, custom definitions, remediations, management groups or added principals, no
events on the custom topic, a new Purview account holding only its root collection (and its ARM
resource in a platform subscription of its own) — while the CA, the token signing key, the identity
secret and the topic's access key survive, so credentials already holding a token keep working
across tests.
"""

from __future__ import annotations

import secrets
import ssl
import uuid
from dataclasses import dataclass

from aiohttp import web

from .arm.access import AccessState
from .arm.faults import FaultInjector
from .arm.lro import DeletionJobs
from .arm.providers import build_registry
from .arm.providers.purview import account_principals, place_home_account
from .arm.providers.resourcegraph import GraphIndex
from .arm.store import Store
from .arm.throttling import Throttle
from .eventgrid.publisher import EventGridPublisher
from .eventgrid.topic import CustomTopic
from .identity.tokens import TokenIssuer
from .purview.account import DEFAULT_ACCOUNT_NAME, PurviewAccount
from .requestlog import RequestLog
from .storage.reset import StorageReset

__all__ = [
    "DEFAULT_LRO_RETRY_AFTER",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_PRINCIPAL_REPLICATION_DELAY",
    "DEFAULT_PURVIEW_CREATING_GETS",
    "DEFAULT_REMEDIATION_POLLS",
    "DEFAULT_TENANT_ID",
    "STATE_KEY",
    "EmulatorState",
    "Settings",
]

DEFAULT_PAGE_SIZE = 100
# ARM answers a group delete with ``Retry-After: 15`` (recordings also show 0). azure-core treats 0
# as "no header" and then waits its own polling interval, 30 s by default; 1 is a real whole-second
# value that keeps an SDK caller with default settings fast. Set 15 to wait as long as ARM asks.
DEFAULT_LRO_RETRY_AFTER = 1
# A new Purview collection answers "Creating" to this many GETs before "Succeeded" (a real one did for ~1 s).
DEFAULT_PURVIEW_CREATING_GETS = 1
DEFAULT_TENANT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://dpgov.invalid/emulator/tenant"))
# Seconds a principal added to the directory stays invisible to ARM (PrincipalNotFound); 0 = at once.
DEFAULT_PRINCIPAL_REPLICATION_DELAY = 0.0
# GETs that find a new remediation still Evaluating before one finds it Succeeded.
DEFAULT_REMEDIATION_POLLS = 1


@dataclass
class Settings:
    """Knobs of the ARM surface that tests change at run time."""

    page_size: int = DEFAULT_PAGE_SIZE
    latency_ms: float = 0.0
    lro_retry_after: int = DEFAULT_LRO_RETRY_AFTER
    purview_creating_gets: int = DEFAULT_PURVIEW_CREATING_GETS
    principal_replication_delay: float = DEFAULT_PRINCIPAL_REPLICATION_DELAY
    remediation_polls: int = DEFAULT_REMEDIATION_POLLS
    resource_graph_lag: float = 0.0  # seconds Resource Graph's snapshot lags ARM; 0 = it answers live


class EmulatorState:
    """The emulated tenant and the machinery around it."""

    def __init__(
        self,
        *,
        client_ssl_context: ssl.SSLContext,
        page_size: int = DEFAULT_PAGE_SIZE,
        tenant_id: str = DEFAULT_TENANT_ID,
        purview_account: str | None = DEFAULT_ACCOUNT_NAME,
    ) -> None:
        self.tenant_id = tenant_id
        self.default_page_size = page_size
        self.identity_header = secrets.token_urlsafe(24)
        self.issuer = TokenIssuer(tenant_id)
        # Immutable after construction: the resource types ARM serves do not change at run time.
        self.registry = build_registry()
        self.publisher = EventGridPublisher(client_ssl_context)
        # The custom topic the app publishes outcome events to (its key and endpoint survive reset).
        self.topic = CustomTopic()
        self.store = Store(tenant_id)
        self.settings = Settings(page_size=page_size)
        self.faults = FaultInjector()
        self.throttle = Throttle()
        self.requests = RequestLog()
        self.resource_graph = GraphIndex()
        self.deletions = DeletionJobs(self.store, self.publisher)
        self.access = self._access()
        # Set once Azurite serves (absent with --no-storage): reset empties it too.
        self.storage: StorageReset | None = None
        # The emulated Purview account (absent with --no-purview), created by the emulator's identity.
        self.purview = (
            PurviewAccount(purview_account, tenant_id=tenant_id, creator=self.issuer.system_identity.principal_id)
            if purview_account is not None
            else None
        )

    def _access(self) -> AccessState:
        """Role and policy state, whose directory also lists the Purview accounts' identities."""

        def purview_identities() -> list[tuple[str, str]]:
            return [(p.principal_id, p.display_name) for p in account_principals(self)]

        return AccessState(self.issuer, others=purview_identities)

    async def reset(self) -> None:
        self.deletions.cancel_all()
        await self.publisher.reset()
        self.topic.reset()
        self.store = Store(self.tenant_id)
        self.settings = Settings(page_size=self.default_page_size)
        self.faults = FaultInjector()
        self.throttle = Throttle()
        self.requests = RequestLog()
        self.resource_graph = GraphIndex()
        self.deletions = DeletionJobs(self.store, self.publisher)
        self.access = self._access()
        if self.purview is not None:
            self.purview.reset()
            place_home_account(self)
        if self.storage is not None:
            await self.storage.clear()


# Where each aiohttp application of the emulator (ARM + control, identity) finds the shared state.
STATE_KEY = web.AppKey("emulator_state", EmulatorState)
