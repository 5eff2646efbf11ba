"""Construct the Azure SDK clients the adapters use, from settings and the standard credential chain.

``DefaultAzureCredential`` is the only way in: managed identity when deployed (and in the local
emulator, which serves the App Service identity endpoint), Azure CLI on a workstation. No keys or
secrets are read here or anywhere else. All clients share one aiohttp session so connections are
pooled across subscriptions, and one credential so a token is fetched once and cached.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import aiohttp
from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.core.credentials_async import AsyncSupportsTokenInfo, AsyncTokenCredential
from azure.core.pipeline.transport import AioHttpTransport
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.policyinsights.aio import PolicyInsightsClient
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resourcegraph.aio import ResourceGraphClient

from shared.azure.graph_quota import GraphQuotaGate
from shared.azure.request_id import ReconcileRequestIdPolicy
from shared.azure.throttling import RateGates
from shared.settings import DEFAULT_MAX_WRITES_PER_SUBSCRIPTION, Settings

USER_AGENT = "dpgov/0.1"


class _Closeable(Protocol):
    async def close(self) -> None: ...


ClientT = TypeVar("ClientT", bound=_Closeable)


class SingleFlightCredential(AsyncTokenCredential, AsyncSupportsTokenInfo):
    """Lets one token request per audience through at a time, so concurrent first calls share one.

    Each SDK client's bearer-token policy asks the credential on its own; when a bulk reconcile
    starts on several subscriptions at once, they would all miss the (shared) cache together and
    each fetch a token. Behind the lock, the first fetches and the rest are served from the cache.
    The lock is per set of scopes: the ARM token and the storage token of a cold start are fetched
    concurrently, not one after the other.
    """

    def __init__(self, inner: AsyncTokenCredential) -> None:
        self._inner = inner
        self._locks: dict[tuple[str, ...], asyncio.Lock] = {}

    def _lock(self, scopes: tuple[str, ...]) -> asyncio.Lock:
        return self._locks.setdefault(tuple(sorted(scopes)), asyncio.Lock())

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        async with self._lock(scopes):
            return await self._inner.get_token(
                *scopes, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs
            )

    async def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        """The newer token API (azure-core prefers it when present), through the same lock."""
        async with self._lock(scopes):
            if isinstance(self._inner, AsyncSupportsTokenInfo):
                return await self._inner.get_token_info(*scopes, options=options)
            token = await self._inner.get_token(*scopes)
            return AccessTokenInfo(token.token, token.expires_on)

    async def close(self) -> None:
        await self._inner.close()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class ArmClients:
    """Per-subscription ARM clients over one shared session, credential and rate gate.

    Also the owner of that session and credential for the app's other Azure clients (the ledger's
    Table client), so one process holds one connection pool and one token cache.
    """

    def __init__(
        self,
        credential: AsyncTokenCredential,
        *,
        endpoint: str,
        session: aiohttp.ClientSession,
        timeout_seconds: float,
        max_writes_per_subscription: int | None = DEFAULT_MAX_WRITES_PER_SUBSCRIPTION,
    ) -> None:
        self._credential = credential
        self._endpoint = endpoint
        self._timeout = timeout_seconds
        self._session = session
        self._clients: dict[tuple[object, str], _Closeable] = {}
        self._rate_gates = RateGates(max_writes_per_subscription)  # this instance's; others keep their own
        self.graph_quota = GraphQuotaGate()  # Resource Graph's per-user quota, as this instance sees it
        self._owned: tuple[aiohttp.ClientSession, AsyncTokenCredential] | None = None

    @property
    def credential(self) -> AsyncTokenCredential:
        return self._credential

    def transport(self) -> AioHttpTransport:
        # azure-core passes its own per-request timeouts (300 s by default), which override the
        # session's; set them here or a hung connection holds an invocation for minutes.
        return AioHttpTransport(
            session=self._session,
            session_owner=False,
            connection_timeout=self._timeout,
            read_timeout=self._timeout,
        )

    def _client(self, kind: Callable[..., ClientT], subscription_id: str) -> ClientT:
        """One client of ``kind`` per subscription, all over the same pipeline pieces."""
        key = (kind, subscription_id.lower())
        client = self._clients.get(key)
        if client is None:
            client = kind(
                self._credential,
                subscription_id.lower(),
                base_url=self._endpoint,
                transport=self.transport(),
                user_agent=USER_AGENT,
                per_call_policies=[ReconcileRequestIdPolicy()],
                per_retry_policies=[self._rate_gates.policy()],
            )
            self._clients[key] = client
        return client  # type: ignore[return-value]  # keyed by its own type

    def resources(self, subscription_id: str) -> ResourceManagementClient:
        return self._client(ResourceManagementClient, subscription_id)

    def authorization(self, subscription_id: str) -> AuthorizationManagementClient:
        return self._client(AuthorizationManagementClient, subscription_id)

    def policy(self, subscription_id: str) -> PolicyClient:
        return self._client(PolicyClient, subscription_id)

    def policy_insights(self, subscription_id: str) -> PolicyInsightsClient:
        return self._client(PolicyInsightsClient, subscription_id)

    def resource_graph(self) -> ResourceGraphClient:
        """The tenant-wide Resource Graph client. Resource Graph has its own per-user quota, not
        ARM's subscription buckets, so its pipeline paces to that quota (``GraphQuotaGate``, one per
        process) instead of the ARM rate gate; the SDK's retry honours a 429's ``Retry-After``."""
        key = (ResourceGraphClient, "")
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = ResourceGraphClient(
                self._credential,
                base_url=self._endpoint,
                transport=self.transport(),
                user_agent=USER_AGENT,
                per_call_policies=[ReconcileRequestIdPolicy()],
                per_retry_policies=[self.graph_quota],
            )
        return client  # type: ignore[return-value]  # keyed by its own type

    @classmethod
    def connect(cls, settings: Settings) -> ArmClients:
        """A credential, a session and (lazily) clients that this object owns; call from a coroutine.

        Deliberately not an async generator: the Functions worker keeps the clients for the life of
        the process, and a suspended generator would be finalised noisily at loop shutdown.
        """
        credential = SingleFlightCredential(DefaultAzureCredential())
        session = aiohttp.ClientSession()
        clients = cls(
            credential,
            endpoint=settings.arm_endpoint,
            session=session,
            timeout_seconds=settings.request_timeout_seconds,
            max_writes_per_subscription=settings.max_writes_per_subscription,
        )
        clients._owned = (session, credential)
        return clients

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
        if self._owned is not None:
            session, credential = self._owned
            await session.close()
            await credential.close()
            self._owned = None

    async def __aenter__(self) -> ArmClients:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
