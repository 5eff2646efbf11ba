"""Microsoft Purview's data plane: collections, metadata policies, data sources and scans, Atlas.

Three official SDKs, all async, over the app's one aiohttp session and one credential (token
audience ``https://purview.azure.net``; the credential caches a token per audience):
``azure-purview-administration`` (collections, metadata policies), ``azure-purview-scanning``
(data sources, scans, triggers) and ``azure-purview-datamap`` (typedefs and entities). The project
design named ``azure-purview-catalog``; its publisher retired it in favour of
``azure-purview-datamap``, which speaks the same Atlas v2 API on the generally available endpoint.

Purview's throttling is not ARM's token buckets; the SDKs' retry policy honours ``Retry-After`` on a
429 (three retries), and the app caps its concurrent Purview requests (``MAX_IN_FLIGHT``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.purview.administration.account.aio import PurviewAccountClient
from azure.purview.administration.metadatapolicies.aio import PurviewMetadataPoliciesClient
from azure.purview.datamap.aio import DataMapClient
from azure.purview.scanning.aio import PurviewScanningClient

from shared.azure.clients import USER_AGENT, ArmClients
from shared.azure.request_id import ReconcileRequestIdPolicy
from shared.model import ObservedCollection, ObservedEntity, ObservedScan, ObservedSource
from shared.settings import PurviewSettings
from shared.write_slots import released

MAX_IN_FLIGHT = 16
PURVIEW_ACCOUNT_API_VERSION = "2021-12-01"
COLLECTION_POLL_ATTEMPTS = 5
COLLECTION_POLL_DELAY_SECONDS = 0.2


def _collection(body: Mapping[str, Any]) -> ObservedCollection:
    parent = body.get("parentCollection") or {}
    return ObservedCollection(
        name=str(body.get("name", "")),
        friendly_name=str(body.get("friendlyName") or body.get("name", "")),
        parent=(str(parent.get("referenceName")) if parent.get("referenceName") else None),
        state=str(body.get("collectionProvisioningState") or "Succeeded"),
    )


def _scan(body: Mapping[str, Any]) -> ObservedScan:
    properties = body.get("properties") or {}
    collection = properties.get("collection") or {}
    return ObservedScan(
        name=str(body.get("name", "")),
        kind=str(body.get("kind", "")),
        collection=(str(collection.get("referenceName")) if collection.get("referenceName") else None),
        rule_set=properties.get("scanRulesetName"),
    )


def _source(body: Mapping[str, Any]) -> ObservedSource:
    properties = body.get("properties") or {}
    collection = properties.get("collection") or {}
    return ObservedSource(
        name=str(body.get("name", "")),
        kind=str(body.get("kind", "")),
        resource_id=str(properties.get("resourceId") or ""),
        collection=(str(collection.get("referenceName")) if collection.get("referenceName") else None),
        scans=tuple(_scan(scan) for scan in body.get("scans") or ()),
    )


class PurviewClients:
    """The Purview aspect's adapter: one client per data-plane API, reused for the process."""

    def __init__(
        self,
        settings: PurviewSettings,
        credential: AsyncTokenCredential,
        *,
        arm: ArmClients,
    ) -> None:
        options: dict[str, Any] = {
            "transport": arm.transport(),
            "user_agent": USER_AGENT,
            "per_call_policies": [ReconcileRequestIdPolicy()],
        }
        self._settings = settings
        self._arm = arm
        self._account = PurviewAccountClient(f"{settings.endpoint}/account/", credential, **options)
        self._policies = PurviewMetadataPoliciesClient(settings.endpoint, credential, **options)
        self._scanning = PurviewScanningClient(settings.scan_endpoint, credential, **options)
        self._datamap = DataMapClient(settings.endpoint, credential, **options)
        self._gate = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._principal: asyncio.Task[str] | None = None
        self._typedefs: dict[str, asyncio.Task[None]] = {}

    @property
    def account(self) -> str:
        return self._settings.account

    async def close(self) -> None:
        for client in (self._account, self._policies, self._scanning, self._datamap):
            await client.close()

    # -- the account's identity (ARM) -----------------------------------------------------------

    async def account_principal_id(self) -> str:
        """The Purview account's managed identity, read from its ARM resource once per process."""
        if self._principal is None or (self._principal.done() and self._principal.exception() is not None):
            self._principal = asyncio.ensure_future(self._read_principal())
        return await asyncio.shield(self._principal)

    async def _read_principal(self) -> str:
        subscription = self._settings.resource_id.strip("/").split("/")[1]
        account = await self._arm.resources(subscription).resources.get_by_id(
            self._settings.resource_id, api_version=PURVIEW_ACCOUNT_API_VERSION
        )
        identity = account.identity
        principal = identity.principal_id if identity is not None else None
        if not principal:
            raise PurviewAccountWithoutIdentity(f"{self._settings.resource_id} has no managed identity")
        return str(principal).lower()

    # -- collections ---------------------------------------------------------------------------

    async def collection(self, name: str) -> ObservedCollection | None:
        async with self._gate:
            try:
                return _collection(await self._account.collections.get_collection(name))
            except ResourceNotFoundError:
                return None

    async def collections(self) -> list[ObservedCollection]:
        return [_collection(item) async for item in self._account.collections.list_collections()]

    async def put_collection(self, name: str, friendly_name: str, parent: str) -> ObservedCollection:
        body = {"friendlyName": friendly_name, "parentCollection": {"referenceName": parent}}
        async with self._gate:
            return _collection(await self._account.collections.create_or_update_collection(name, body))

    async def until_succeeded(self, created: ObservedCollection) -> ObservedCollection:
        """Poll a new collection until ``Succeeded`` (bounded); the caller decides what still-creating means."""
        current = created
        for attempt in range(COLLECTION_POLL_ATTEMPTS):
            if current.state.lower() == "succeeded":
                return current
            async with released():
                await asyncio.sleep(COLLECTION_POLL_DELAY_SECONDS * (2**attempt))
            found = await self.collection(created.name)
            if found is None:
                return current
            current = found
        return current

    async def delete_collection(self, name: str) -> None:
        async with self._gate:
            await self._account.collections.delete_collection(name)

    # -- metadata policies -----------------------------------------------------------------------

    async def metadata_policy(self, collection: str) -> dict[str, Any] | None:
        """The collection's metadata policy; None while the collection does not exist."""
        async with self._gate:
            try:
                async for policy in self._policies.metadata_policy.list_all(collection_name=collection):
                    return dict(policy)
            except ResourceNotFoundError:
                return None
        return None

    async def put_metadata_policy(self, policy_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        async with self._gate:
            return dict(await self._policies.metadata_policy.update(policy_id, body=dict(body)))

    # -- data sources, scans, triggers -------------------------------------------------------------

    async def sources(self) -> list[ObservedSource]:
        """Every data source of the account (one paged list; each source carries its scans)."""
        return [_source(item) async for item in self._scanning.data_sources.list_all()]

    async def put_source(self, name: str, body: Mapping[str, Any]) -> ObservedSource:
        async with self._gate:
            return _source(await self._scanning.data_sources.create_or_update(name, dict(body)))

    async def delete_source(self, name: str) -> None:
        async with self._gate:
            await self._scanning.data_sources.delete(name)

    async def scans(self, source: str) -> tuple[ObservedScan, ...]:
        try:
            return tuple([_scan(item) async for item in self._scanning.scans.list_by_data_source(source)])
        except ResourceNotFoundError:
            return ()

    async def trigger(self, source: str, scan: str) -> dict[str, Any] | None:
        async with self._gate:
            try:
                return dict(await self._scanning.triggers.get_trigger(source, scan))
            except ResourceNotFoundError:
                return None

    async def put_scan(self, source: str, scan: str, body: Mapping[str, Any]) -> ObservedScan:
        async with self._gate:
            return _scan(await self._scanning.scans.create_or_update(source, scan, dict(body)))

    async def put_trigger(self, source: str, scan: str, body: Mapping[str, Any]) -> None:
        async with self._gate:
            await self._scanning.triggers.create_trigger(source, scan, dict(body))

    async def delete_scan(self, source: str, scan: str) -> None:
        async with self._gate:
            await self._scanning.scans.delete(source, scan)

    # -- Atlas: the data product's entity ------------------------------------------------------------

    async def ensure_entity_type(self, typedef: Mapping[str, Any]) -> None:
        """Create the app's entity type if the account lacks it; once per process."""
        name = str(typedef["name"])
        task = self._typedefs.get(name)
        if task is None or (task.done() and task.exception() is not None):
            task = self._typedefs[name] = asyncio.ensure_future(self._ensure_type(typedef))
        await asyncio.shield(task)

    async def _ensure_type(self, typedef: Mapping[str, Any]) -> None:
        async with self._gate:
            try:
                await self._datamap.type_definition.get_entity_by_name(str(typedef["name"]))
                return
            except ResourceNotFoundError:
                pass
            try:
                await self._datamap.type_definition.batch_create({"entityDefs": [dict(typedef)]})
            except HttpResponseError as error:
                if error.status_code != 409:  # ATLAS-409-00-001: created meanwhile, which is all we want
                    raise

    async def entity(self, type_name: str, qualified_name: str) -> ObservedEntity | None:
        async with self._gate:
            try:
                found = await self._datamap.entity.get_by_unique_attribute(type_name, attribute=qualified_name)
            except ResourceNotFoundError:
                return None
        body: dict[str, Any] = found.as_dict() if hasattr(found, "as_dict") else dict(found)
        entity = body.get("entity") or {}
        return ObservedEntity(
            guid=str(entity.get("guid", "")),
            type_name=str(entity.get("typeName", type_name)),
            qualified_name=qualified_name,
            attributes=dict(entity.get("attributes") or {}),
            status=str(entity.get("status") or "ACTIVE"),
            collection=entity.get("collectionId"),
        )

    async def upsert_entity(self, entity: Mapping[str, Any], typedef: Mapping[str, Any], collection: str) -> None:
        """Upsert by (type, qualifiedName), making sure the type exists first (once per process).

        If the account lost the type since it was ensured (Atlas answers unknown type), ensure it
        again and retry once.
        """
        await self.ensure_entity_type(typedef)
        ensured = self._typedefs.get(str(typedef["name"]))
        try:
            async with self._gate:
                await self._datamap.entity.create_or_update({"entity": dict(entity)}, collection_id=collection)
        except HttpResponseError as error:
            if "ATLAS-404-00-001" not in str(error):
                raise
            if self._typedefs.get(str(typedef["name"])) is ensured:  # the first to notice re-ensures
                self._typedefs.pop(str(typedef["name"]), None)
            await self.ensure_entity_type(typedef)
            async with self._gate:
                await self._datamap.entity.create_or_update({"entity": dict(entity)}, collection_id=collection)

    async def put_asset(self, entity: Mapping[str, Any], collection: str) -> None:
        """Upsert an entity of one of Purview's built-in types (a data store's top-level asset)."""
        async with self._gate:
            await self._datamap.entity.create_or_update({"entity": dict(entity)}, collection_id=collection)

    async def delete_entity(self, type_name: str, qualified_name: str) -> None:
        async with self._gate:
            await self._datamap.entity.delete_by_unique_attribute(type_name, attribute=qualified_name)


class PurviewAccountWithoutIdentity(AzureError):
    """The Purview account has no managed identity to grant scanning roles to."""
