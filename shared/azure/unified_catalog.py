"""A small typed client for Microsoft Purview's Unified Catalog API (preview), built like the SDKs.

Microsoft ships no Python SDK for this API, so this is what a generated Azure SDK client would be:
an ``azure-core`` ``AsyncPipelineClient`` with the standard policies (request id, user agent,
retry honouring ``Retry-After``, bearer token for ``https://purview.azure.net/.default``, logging,
distributed tracing), pydantic models for the bodies, and Azure's exceptions by status (the
service's ``{"error": {"code", "message"}}`` parsed into ``HttpResponseError.error``).

Wire facts it relies on (the API's REST spec, api-version ``2026-03-20-preview``):
- base ``{endpoint}/datagovernance/catalog``; ``api-version`` on every request;
- business domains: ``GET /businessdomains`` (pages by ``nextLink``), ``POST`` → 201;
- data products: ``GET /dataProducts?domainId&skip&top``, ``POST`` → 201 with a client-supplied id,
  ``GET``/``PUT`` (the full body: there is no PATCH)/``DELETE`` → 204 by id;
- data assets: ``POST /dataAssets`` wraps a Data Map asset (``source.assetId``) → 201,
  ``POST /dataAssets/query`` finds them by ``sourceAssetIds``; the asset→product edge is
  ``POST /dataAssets/{id}/relationships?entityType=DATAPRODUCT`` → 200 and shows from the product's
  side as ``GET /dataProducts/{id}/relationships?entityType=DATAASSET``;
- status values are upper case in bodies (``DRAFT``, ``PUBLISHED``, ``EXPIRED``).

The documented rate limit is 100 requests per 20 seconds. :class:`CatalogPacing` keeps this process
under it (a sliding window, per retry so retries count too); a 429 that still happens (another
instance, another tool) is retried after its ``Retry-After`` by the retry policy.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from azure.core import AsyncPipelineClient
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ODataV4Format,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    AsyncBearerTokenCredentialPolicy,
    AsyncHTTPPolicy,
    AsyncRedirectPolicy,
    AsyncRetryPolicy,
    ContentDecodePolicy,
    CustomHookPolicy,
    DistributedTracingPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    NetworkTraceLoggingPolicy,
    RequestIdPolicy,
    SensitiveHeaderCleanupPolicy,
    UserAgentPolicy,
)
from azure.core.pipeline.transport import AioHttpTransport
from azure.core.rest import AsyncHttpResponse, HttpRequest
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from shared.azure.request_id import ReconcileRequestIdPolicy
from shared.settings import UnifiedCatalogSettings
from shared.write_slots import released

__all__ = [
    "BusinessDomain",
    "CatalogPacing",
    "Contact",
    "Contacts",
    "DataAsset",
    "DataAssetSource",
    "DataProduct",
    "Relationship",
    "UnifiedCatalogClient",
]

SCOPE = "https://purview.azure.net/.default"
BASE_PATH = "/datagovernance/catalog"
PAGE_SIZE = 100
# Computed by the service: read, never sent back.
_SERVER_OWNED = frozenset(
    {"systemData", "additionalProperties", "activeSubscriberCount", "dataQualityScore", "endorsed"}
)
_ERRORS: Mapping[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
}


# -- models ------------------------------------------------------------------------------------------


class _Wire(BaseModel):
    """camelCase on the wire, snake_case in Python; fields the app does not model are kept as sent."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel)

    def body(self) -> dict[str, Any]:
        """The JSON body to send: every field as read, minus what the server owns."""
        dumped = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        return {key: value for key, value in dumped.items() if key not in _SERVER_OWNED}


class Contact(_Wire):
    id: str
    description: str | None = None


class Contacts(_Wire):
    owner: list[Contact] = Field(default_factory=list)


class BusinessDomain(_Wire):
    # Response fields are plain strings: a value this client does not know (a new enum member, a
    # hand-made entry) must not make a whole list unreadable.
    id: str | None = None
    name: str
    type: str | None = None
    status: str | None = None
    description: str | None = None
    parent_id: str | None = None


class DataProduct(_Wire):
    id: str
    name: str = ""
    domain: str = ""
    type: str | None = None
    status: str | None = None
    description: str | None = None
    business_use: str | None = None
    update_frequency: str | None = None
    contacts: Contacts | None = None

    def owners(self) -> frozenset[str]:
        return frozenset(c.id.lower() for c in (self.contacts.owner if self.contacts else ()))


class DataAssetSource(_Wire):
    type: str | None = None
    asset_id: str | None = None
    asset_type: str | None = None
    fqn: str | None = None


class DataAsset(_Wire):
    id: str
    name: str | None = None
    type: str | None = None
    source: DataAssetSource | None = None


class Relationship(_Wire):
    entity_id: str
    relationship_type: str | None = None
    description: str | None = None


ModelT = TypeVar("ModelT", bound=_Wire)


def _parsed(model: type[ModelT], body: object) -> ModelT:
    """A response body as the model, or Azure's ``DecodeError`` (an Azure error the engine classifies)."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise DecodeError(message=f"unexpected {model.__name__} from the Unified Catalog: {error}") from None


class PacedRetryPolicy(AsyncRetryPolicy[HttpRequest, AsyncHttpResponse]):
    """azure-core's retry (``Retry-After`` on 429/503, backoff otherwise), whose waits give the write slot away."""

    async def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
        async with released():
            await super().sleep(settings, transport, response)


# -- pacing ------------------------------------------------------------------------------------------


class CatalogPacing(AsyncHTTPPolicy[HttpRequest, AsyncHttpResponse]):
    """At most ``requests`` requests in any ``window_seconds``, as the service counts them.

    The service counts a request when it arrives, which this process cannot see: a request sent
    at once may arrive late (a new connection), one sent later may arrive sooner. So a request
    holds its place in the window from when it is sent until ``window_seconds`` after its answer
    came back — later than the service's count can end. A send that finds the window full waits
    for the oldest place to free, and gives the reconciler's write slot away meanwhile
    (``released``), so a paced action does not hold up the others.
    """

    def __init__(self, requests: int, window_seconds: float) -> None:
        super().__init__()
        self._limit = requests
        self._window = window_seconds
        self._answered: collections.deque[float] = collections.deque()  # when each answer came back
        self._in_flight = 0
        self._freed = asyncio.Event()
        self.waited_seconds = 0.0

    async def _admit(self) -> None:
        # No lock: nothing awaits between the check and the update, and the event loop runs one
        # task at a time. (A lock held while ``released()`` takes the write slot back could deadlock
        # with a slot holder waiting for that lock to record its answer.)
        while True:
            now = time.monotonic()
            while self._answered and now - self._answered[0] >= self._window:
                self._answered.popleft()
            if len(self._answered) + self._in_flight < self._limit:
                self._in_flight += 1
                return
            wait = self._answered[0] + self._window - now if self._answered else None
            self._freed.clear()
            async with released():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), timeout=wait)
            self.waited_seconds += time.monotonic() - now

    def _release(self) -> None:
        self._in_flight -= 1
        self._answered.append(time.monotonic())
        self._freed.set()

    async def send(self, request: PipelineRequest[HttpRequest]) -> PipelineResponse[HttpRequest, AsyncHttpResponse]:
        await self._admit()
        try:
            return await self.next.send(request)
        finally:
            self._release()


# -- the client --------------------------------------------------------------------------------------


class UnifiedCatalogClient:
    """Business domains, data products, data assets and their relationships."""

    def __init__(
        self,
        settings: UnifiedCatalogSettings,
        credential: AsyncTokenCredential,
        *,
        transport: AioHttpTransport | None = None,
        user_agent: str = "dpgov",
    ) -> None:
        self._api_version = settings.api_version
        self.pacing = CatalogPacing(settings.requests, settings.window_seconds)
        base = settings.endpoint.rstrip("/") + BASE_PATH
        policies: list[Any] = [
            RequestIdPolicy(),
            HeadersPolicy(),
            UserAgentPolicy(user_agent),
            ContentDecodePolicy(),
            ReconcileRequestIdPolicy(),
            AsyncRedirectPolicy(),
            PacedRetryPolicy(),
            AsyncBearerTokenCredentialPolicy(credential, SCOPE),
            self.pacing,
            CustomHookPolicy(),
            NetworkTraceLoggingPolicy(),
            DistributedTracingPolicy(),
            SensitiveHeaderCleanupPolicy(),
            HttpLoggingPolicy(),
        ]
        self._client: AsyncPipelineClient[HttpRequest, AsyncHttpResponse] = AsyncPipelineClient(
            base, policies=policies, transport=transport
        )
        self._base = base

    async def close(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> UnifiedCatalogClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- plumbing ------------------------------------------------------------------------------------

    def _url(self, path: str, params: Mapping[str, str | int | bool] | None = None) -> str:
        query = {"api-version": self._api_version}
        for name, value in (params or {}).items():
            query[name] = str(value).lower() if isinstance(value, bool) else str(value)
        return f"{self._base}{path}?{urlencode(query)}"

    def _with_api_version(self, link: str) -> str:
        """A ``nextLink`` as given, with the api-version added if the service left it out."""
        parts = urlsplit(link)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if not any(name.lower() == "api-version" for name, _ in query):
            query.append(("api-version", self._api_version))
        return urlunsplit(parts._replace(query=urlencode(query)))

    async def _send(
        self, method: str, url: str, *, expected: int, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        request = HttpRequest(method, url, json=dict(body) if body is not None else None)
        response = await self._client.send_request(request)
        await response.read()
        if response.status_code != expected:
            error = _ERRORS.get(response.status_code, HttpResponseError)
            raise error(response=response, error_format=ODataV4Format)
        if expected == 204 or not response.content:
            return None
        try:
            found = response.json()
        except ValueError as error:
            raise DecodeError(response=response, message=f"the Unified Catalog answered no JSON: {error}") from None
        if not isinstance(found, dict):
            raise DecodeError(response=response, message="the Unified Catalog answered a non-object body")
        return found

    async def _pages(
        self, model: type[ModelT], url: str, *, method: str = "GET", body: Mapping[str, Any] | None = None
    ) -> AsyncIterator[ModelT]:
        next_url: str | None = url
        while next_url is not None:
            page = await self._send(method, next_url, expected=200, body=body) or {}
            for item in page.get("value") or ():
                yield _parsed(model, item)
            link = page.get("nextLink")
            next_url = self._next(str(link)) if link else None

    def _next(self, link: str) -> str:
        """The next page's URL: on this API's host only (the bearer token goes with it)."""
        if urlsplit(link).netloc.lower() != urlsplit(self._base).netloc.lower():
            raise DecodeError(message=f"the Unified Catalog's nextLink leaves its host: {link}")
        return self._with_api_version(link)

    async def _get(self, model: type[ModelT], path: str, **params: str | int | bool) -> ModelT | None:
        try:
            found = await self._send("GET", self._url(path, params), expected=200)
        except ResourceNotFoundError:
            return None
        return _parsed(model, found)

    # -- business domains ----------------------------------------------------------------------------

    async def domains(self) -> list[BusinessDomain]:
        """Every business domain (one paged list)."""
        return [domain async for domain in self._pages(BusinessDomain, self._url("/businessdomains"))]

    async def domain(self, domain_id: str) -> BusinessDomain | None:
        return await self._get(BusinessDomain, f"/businessdomains/{domain_id}")

    async def create_domain(self, domain: BusinessDomain) -> BusinessDomain:
        created = await self._send("POST", self._url("/businessdomains"), expected=201, body=domain.body())
        return _parsed(BusinessDomain, created)

    # -- data products -------------------------------------------------------------------------------

    async def products(self, domain_id: str) -> list[DataProduct]:
        """The domain's data products, ``PAGE_SIZE`` a page."""
        url = self._url("/dataProducts", {"domainId": domain_id, "skip": 0, "top": PAGE_SIZE})
        return [product async for product in self._pages(DataProduct, url)]

    async def product(self, product_id: str) -> DataProduct | None:
        return await self._get(DataProduct, f"/dataProducts/{product_id}")

    async def create_product(self, product: DataProduct) -> DataProduct:
        created = await self._send("POST", self._url("/dataProducts"), expected=201, body=product.body())
        return _parsed(DataProduct, created)

    async def update_product(self, product: DataProduct) -> DataProduct:
        """Replace the product with this full body (what it does not carry is gone)."""
        updated = await self._send("PUT", self._url(f"/dataProducts/{product.id}"), expected=200, body=product.body())
        return _parsed(DataProduct, updated)

    async def delete_product(self, product_id: str) -> None:
        await self._send("DELETE", self._url(f"/dataProducts/{product_id}"), expected=204)

    async def product_assets(self, product_id: str) -> list[Relationship]:
        """The product's data-asset relationships (``entityId`` is the catalog asset's id)."""
        url = self._url(f"/dataProducts/{product_id}/relationships", {"entityType": "DATAASSET"})
        return [edge async for edge in self._pages(Relationship, url)]

    # -- data assets ---------------------------------------------------------------------------------

    async def assets_for_sources(self, source_asset_ids: Sequence[str]) -> list[DataAsset]:
        """The catalog assets wrapping these Data Map assets (by their guids)."""
        if not source_asset_ids:
            return []
        body = {"sourceAssetIds": list(source_asset_ids), "includingOrphans": True}
        url = self._url("/dataAssets/query")
        return [asset async for asset in self._pages(DataAsset, url, method="POST", body=body)]

    async def create_asset(self, source_asset_id: str) -> DataAsset:
        body = {"source": {"assetId": source_asset_id}}
        return _parsed(DataAsset, await self._send("POST", self._url("/dataAssets"), expected=201, body=body))

    async def relate_asset(self, asset_id: str, product_id: str, description: str) -> Relationship:
        """Make the catalog asset part of the data product (the asset-side edge; repeating is harmless)."""
        body = {"entityId": product_id, "relationshipType": "Related", "description": description}
        url = self._url(f"/dataAssets/{asset_id}/relationships", {"entityType": "DATAPRODUCT"})
        return _parsed(Relationship, await self._send("POST", url, expected=200, body=body))

    async def unrelate_asset(self, asset_id: str, product_id: str) -> None:
        url = self._url(f"/dataAssets/{asset_id}/relationships", {"entityType": "DATAPRODUCT", "entityId": product_id})
        await self._send("DELETE", url, expected=204)
