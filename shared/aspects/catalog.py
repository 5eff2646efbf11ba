"""The Unified Catalog aspect: every data product in Purview's Unified Catalog, in its governance domain,
owned by the people the config names, with its data stores as its data assets.

Desired, from the config and the product's identity:
- the domain's **governance domain**: adopted by id when the config names one, otherwise created
  (by name, type ``DataDomain`` unless set, status ``unified_catalog.new_domain_status``);
- the **catalog data product**, id ``uuid5(resource group id)`` so every instance and every retry
  means the same one, with governed fields set back on drift: name, governance domain, type, business
  use and update frequency (when configured), and the owners from the config (added; owners a curator
  added stay). Created with ``unified_catalog.new_product_status`` and the configured description;
  afterwards the status is the people's (publishing is a human act) and the description theirs too —
  except that a product the app expired comes back when its group does;
- each **data store** of the group (the kinds the Data Map aspect registers) as a catalog **data
  asset**: the store's top-level Data Map asset is upserted (the built-in type and qualified name the
  scanner uses, so a later scan enriches it instead of adding another), wrapped as a catalog asset
  (looked up first by its Data Map id) and related to the product. A store that left the group is
  unrelated (only edges the app made: the ledger records them).

When the group is gone the product is set ``EXPIRED`` and renamed ``… (retired <date>)`` (or deleted,
if the config says so): never left published for a product that no longer exists, and its name free
for a product made again. Governance domains stay, and so do the data assets, their edges to the
expired product and the stores' Data Map assets (a scan may have enriched them; Purview's own
retention decides).

Reads: per event, the domain list (once per reconcile), the product, and per store its Data Map
entity, one asset query and the product's relationships. In bulk, the domain list once per run, each
governance domain's products in pages once per run, and the stores the ledger records as linked are
trusted: a compliant estate costs O(pages) catalog reads and no writes.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, assert_never

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError

from shared.aspects.base import (
    AspectPlan,
    Disposition,
    Finding,
    FindingKind,
    Outputs,
    Reads,
    Remember,
    Subject,
    Target,
)
from shared.aspects.purview import collection_chain, collection_key
from shared.azure.unified_catalog import BusinessDomain, Contact, Contacts, DataAsset, DataProduct, Relationship
from shared.config import GovernanceConfig, LandingZone
from shared.errors import disposition, error_code
from shared.ledger import Artifact, LedgerRecord
from shared.model import DataProduct as Identity
from shared.model import GroupRef, ObservedEntity, ObservedResource

NAME = "catalog"
PRODUCT_NAMESPACE = uuid.UUID("9a3a4f3e-5f0b-4c47-9a55-0c6a1f1d2c7e")  # dpgov's namespace for product ids
Status = Literal["DRAFT", "PUBLISHED", "EXPIRED"]


def product_id(ref: GroupRef) -> str:
    """The catalog data product's id: the same for every instance, retry and redelivery."""
    return str(uuid.uuid5(PRODUCT_NAMESPACE, ref.scope.lower()))


def product_name(product: Identity) -> str:
    return f"{product.product} ({product.landing_zone}, {product.environment})"


# -- the Data Map asset of each store kind ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoreAsset:
    """A store's top-level asset in the Data Map: Purview's built-in type and its qualified name."""

    resource_id: str
    type_name: str
    qualified_name: str
    name: str

    @property
    def artifact(self) -> Artifact:
        return Artifact(NAME, "asset", f"{self.type_name}@{self.qualified_name}")


_STORE_ASSETS: Mapping[str, tuple[str, str]] = {
    "microsoft.storage/storageaccounts": ("azure_storage_account", "https://{name}.core.windows.net"),
    "microsoft.sql/servers": ("azure_sql_server", "mssql://{name}.database.windows.net"),
    "microsoft.dbformysql/flexibleservers": ("azure_mysql_server", "mysql://{name}.mysql.database.azure.com"),
    "microsoft.dbforpostgresql/flexibleservers": (
        "azure_postgresql_server",
        "postgresql://{name}.postgres.database.azure.com",
    ),
    "microsoft.documentdb/databaseaccounts": ("azure_cosmosdb_account", "https://{name}.documents.azure.com"),
    "microsoft.synapse/workspaces": ("azure_synapse_workspace", "https://{name}.dev.azuresynapse.net"),
    "microsoft.kusto/clusters": ("azure_data_explorer_cluster", "https://{name}.{location}.kusto.windows.net"),
}


def store_asset(resource: ObservedResource) -> StoreAsset | None:
    found = _STORE_ASSETS.get(resource.type.lower())
    if found is None:
        return None
    type_name, template = found
    qualified = template.format(name=resource.name.lower(), location=resource.location.lower())
    return StoreAsset(resource.id, type_name, qualified, resource.name)


def _parse_artifact(artifact: Artifact) -> tuple[str, str]:
    type_name, _, qualified = artifact.id.partition("@")
    return type_name, qualified


# -- actions ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateDomain:
    """Create the data domain's governance domain (found by name first: another run may have made it)."""

    domain: BusinessDomain
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return domain_key(self.domain.name)

    def describe(self) -> str:
        return f"create governance domain {self.domain.name} ({self.domain.status})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "create_domain",
            "aspect": self.aspect,
            "domain": self.domain.body(),
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class CreateProduct:
    """Create the catalog data product (its domain id comes from ``domain_from`` when that is planned)."""

    product: DataProduct
    domain_from: str | None = None
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return product_key(self.product.id)

    @property
    def artifact(self) -> Artifact:
        return Artifact(NAME, "product", self.product.id)

    def describe(self) -> str:
        return f"create catalog data product {self.product.name} ({self.product.status})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "create_product",
            "aspect": self.aspect,
            "product": self.product.body(),
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class UpdateProduct:
    """Set the governed fields back (read, change only those, write the full body)."""

    product_id: str
    name: str
    changes: Mapping[str, Any]  # wire field → value
    add_owners: tuple[str, ...] = ()
    record: bool = False  # the ledger does not know the product yet
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return product_key(self.product_id)

    def describe(self) -> str:
        parts = [f"{name} → {value!r}" for name, value in sorted(self.changes.items())]
        parts += [f"owner + {owner}" for owner in self.add_owners]
        if not parts:
            return f"record catalog data product {self.name} in the ledger"
        return f"repair catalog data product {self.name}: {', '.join(parts)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "update_product",
            "aspect": self.aspect,
            "product_id": self.product_id,
            "changes": dict(self.changes),
            "add_owners": list(self.add_owners),
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class PutStoreAsset:
    """Upsert a store's top-level Data Map asset in the product's collection (what the catalog wraps)."""

    store: StoreAsset
    collection: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"catalog-datamap:{self.store.qualified_name}"

    def entity(self) -> dict[str, Any]:
        return {
            "typeName": self.store.type_name,
            "attributes": {"qualifiedName": self.store.qualified_name, "name": self.store.name},
        }

    def describe(self) -> str:
        return f"add {self.store.name} to the Data Map as {self.store.type_name} in {self.collection}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "put_store_asset",
            "aspect": self.aspect,
            "collection": self.collection,
            "entity": self.entity(),
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class LinkAsset:
    """Wrap the store's Data Map asset as a catalog data asset (unless one does) and relate it to the product.

    ``observed_linked``: the edge was seen but the ledger does not record it (a lost ledger write);
    the action confirms the edge from the product's side and records it, relating only if it is gone.
    """

    store: StoreAsset
    product_id: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    observed_linked: bool = False
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"catalog-asset:{self.store.qualified_name}"

    def describe(self) -> str:
        if self.observed_linked:
            return f"record {self.store.name} as a data asset of the catalog data product"
        return f"make {self.store.name} a data asset of the catalog data product"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "link_asset",
            "aspect": self.aspect,
            "type_name": self.store.type_name,
            "qualified_name": self.store.qualified_name,
            "product_id": self.product_id,
            "observed_linked": self.observed_linked,
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class UnlinkAsset:
    """A store the app related left the group: remove the edge (the asset stays in the catalog)."""

    artifact: Artifact
    product_id: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"catalog-unlink:{self.artifact.id}"

    def describe(self) -> str:
        return f"remove {_parse_artifact(self.artifact)[1]} from the catalog data product's assets"

    def to_dict(self) -> dict[str, Any]:
        type_name, qualified = _parse_artifact(self.artifact)
        return {
            "key": self.key,
            "kind": "unlink_asset",
            "aspect": self.aspect,
            "type_name": type_name,
            "qualified_name": qualified,
            "product_id": self.product_id,
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class RetireProduct:
    """The group is gone: expire (or delete) the catalog data product."""

    product_id: str
    delete: bool
    forgotten: tuple[Artifact, ...]
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"catalog-retire:{self.product_id}"

    def describe(self) -> str:
        return f"{'delete' if self.delete else 'expire'} catalog data product {self.product_id}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "delete_product" if self.delete else "expire_product",
            "aspect": self.aspect,
            "product_id": self.product_id,
            "depends_on": sorted(self.depends_on),
        }


CatalogAction = CreateDomain | CreateProduct | UpdateProduct | PutStoreAsset | LinkAsset | UnlinkAsset | RetireProduct


def domain_key(name: str) -> str:
    return f"catalog-domain:{name.casefold()}"


def product_key(product_id: str) -> str:
    return f"catalog-product:{product_id}"


# -- desired and observed ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DesiredCatalog:
    domain: BusinessDomain  # as the app would create it (``id`` set when adopted)
    adopted: bool
    product: DataProduct  # as the app would create it
    owners: tuple[str, ...]
    governed: Mapping[str, Any]  # wire fields set back on drift (besides owners and domain)
    collection: str | None  # the product's Data Map collection (None: the Data Map aspect is off)
    linked: frozenset[Artifact]  # stores the ledger records as related to the product
    recorded: bool  # the ledger records the product

    def summary(self) -> tuple[str, ...]:
        how = f"adopted by id {self.domain.id}" if self.adopted else f"created {self.domain.status} if missing"
        governed = ", ".join(f"{name}={value}" for name, value in self.governed.items())
        lines = [
            f"governance domain {self.domain.name} ({how})",
            f"catalog data product {self.product.id} (new: {self.product.status}): {governed}",
            f"owners {', '.join(self.owners) or '(none configured)'}",
        ]
        if self.collection is not None:
            lines.append(f"the group's data stores as its data assets (Data Map assets in {self.collection})")
        return tuple(lines)


@dataclass(frozen=True, slots=True)
class StoreState:
    store: StoreAsset
    in_data_map: bool  # its Data Map asset exists
    linked: bool  # a catalog asset wraps it and is related to the product


@dataclass(frozen=True, slots=True)
class ObservedCatalog:
    domain: BusinessDomain | None
    product: DataProduct | None
    stores: tuple[StoreState, ...]


class CatalogStore(Protocol):
    """The Unified Catalog calls the aspect makes (``shared.azure.unified_catalog``)."""

    async def domains(self) -> list[BusinessDomain]: ...

    async def create_domain(self, domain: BusinessDomain) -> BusinessDomain: ...

    async def products(self, domain_id: str) -> list[DataProduct]: ...

    async def product(self, product_id: str) -> DataProduct | None: ...

    async def create_product(self, product: DataProduct) -> DataProduct: ...

    async def update_product(self, product: DataProduct) -> DataProduct: ...

    async def delete_product(self, product_id: str) -> None: ...

    async def product_assets(self, product_id: str) -> list[Relationship]: ...

    async def assets_for_sources(self, source_asset_ids: list[str]) -> list[DataAsset]: ...

    async def create_asset(self, source_asset_id: str) -> DataAsset: ...

    async def relate_asset(self, asset_id: str, product_id: str, description: str) -> Relationship: ...

    async def unrelate_asset(self, asset_id: str, product_id: str) -> None: ...


class DataMapAssets(Protocol):
    """The Data Map calls the aspect makes (``shared.azure.purview.PurviewClients``)."""

    @property
    def account(self) -> str: ...

    async def entity(self, type_name: str, qualified_name: str) -> ObservedEntity | None: ...

    async def put_asset(self, entity: Mapping[str, Any], collection: str) -> None: ...


class CatalogNotReady(AzureError):
    """Something a catalog action needs is not there yet (a governance domain, a catalog asset)."""


class CatalogIgnoredProductId(AzureError):
    """The service created the product under another id than the app's: it could never find it again."""


# -- the pure diff ----------------------------------------------------------------------------------


def diff_catalog(desired: DesiredCatalog, observed: ObservedCatalog) -> AspectPlan[CatalogAction]:
    actions: list[CatalogAction] = []
    findings: list[Finding] = []
    domain = observed.domain
    domain_from: str | None = None
    depends: frozenset[str] = frozenset()
    if domain is None:
        if desired.adopted:
            message = f"governance domain {desired.domain.id} (domains' unified_catalog.id) does not exist"
            findings.append(Finding(FindingKind.BLOCKED, "GovernanceDomainNotFound", message))
            return AspectPlan((), tuple(findings))
        create_domain = CreateDomain(desired.domain)
        actions.append(create_domain)
        domain_from, depends = create_domain.key, frozenset({create_domain.key})
        domain_status = desired.domain.status
    else:
        domain_status = domain.status
    wanted = desired.product
    product = observed.product
    if wanted.status == "PUBLISHED" and domain_status != "PUBLISHED" and (product is None or not desired.recorded):
        findings.append(
            Finding(
                FindingKind.BLOCKED,
                "GovernanceDomainNotPublished",
                f"governance domain {desired.domain.name} is not published, so {wanted.name} is made a draft: "
                "publish the domain, then the product",
            )
        )
        wanted = wanted.model_copy(update={"status": "DRAFT"})
    if product is None:
        domain_id = domain.id if domain is not None else None
        actions.append(CreateProduct(wanted.model_copy(update={"domain": domain_id or ""}), domain_from, depends))
    elif domain is not None:
        changes = {
            name: value
            for name, value in {**desired.governed, "domain": domain.id}.items()
            if product.model_dump(by_alias=True).get(name) != value
        }
        if product.status == "EXPIRED" and not desired.recorded:
            # The app expired it when its group went (retirement forgets the product in the ledger);
            # the group is back. A product a person expired while the group lives stays expired.
            changes["status"] = wanted.status
        owners = tuple(owner for owner in desired.owners if owner not in product.owners())
        if changes or owners or not desired.recorded:
            actions.append(UpdateProduct(product.id, wanted.name, changes, owners, record=not desired.recorded))
    after_product = frozenset({product_key(wanted.id)}) if product is None else frozenset()
    current = {state.store.artifact for state in observed.stores}
    if desired.collection is not None:
        for state in observed.stores:
            link_after = after_product
            if not state.in_data_map:
                put = PutStoreAsset(state.store, desired.collection, frozenset({collection_key(desired.collection)}))
                actions.append(put)
                link_after = link_after | {put.key}
            if not state.in_data_map or not state.linked or state.store.artifact not in desired.linked:
                actions.append(LinkAsset(state.store, wanted.id, link_after, observed_linked=state.linked))
        for artifact in sorted(desired.linked - current, key=lambda a: a.id):
            actions.append(UnlinkAsset(artifact, wanted.id))
    elif observed.stores:
        findings.append(
            Finding(
                FindingKind.NOTICE,
                "DataMapOff",
                "the product's data stores are not cataloged: the Data Map aspect (DPGOV_PURVIEW_*) is off",
            )
        )
    return AspectPlan(tuple(actions), tuple(findings))


# -- the aspect -------------------------------------------------------------------------------------


class CatalogAspect:
    """Governance domains, data products and their data assets in Purview's Unified Catalog."""

    name = NAME

    def __init__(self, config: GovernanceConfig, catalog: CatalogStore, datamap: DataMapAssets | None) -> None:
        self._config = config
        self._settings = config.unified_catalog
        self._catalog = catalog
        self._datamap = datamap
        self._root = (config.purview_settings().root_collection or datamap.account) if datamap else None
        self._creating: dict[str, asyncio.Task[str]] = {}

    # -- desire --

    def desire(self, subject: Subject) -> DesiredCatalog:
        config, identity = self._config, subject.product
        domain = config.domains[identity.domain]
        product = domain.products.get(identity.product)
        spec = product.unified_catalog if product is not None else None
        catalog_domain = domain.unified_catalog
        owners = tuple(dict.fromkeys([*catalog_domain.owners, *(spec.owners if spec else ())]))
        governed: dict[str, Any] = {
            "name": product_name(identity),
            "type": (spec.type if spec and spec.type else self._settings.product_type),
        }
        if spec is not None and spec.business_use is not None:
            governed["businessUse"] = spec.business_use
        if spec is not None and spec.update_frequency is not None:
            governed["updateFrequency"] = spec.update_frequency
        wanted = DataProduct.model_validate(
            {
                **governed,
                "id": product_id(subject.ref),
                "domain": catalog_domain.id or "",
                "status": self._settings.new_product_status,
                "description": spec.description if spec else None,
                "contacts": Contacts(owner=[Contact(id=o, description="data product owner") for o in owners]),
            }
        )
        artifacts = subject.record.artifacts if subject.record else ()
        collection = None
        if self._root is not None:
            collection = collection_chain(config, self._root, identity)[-1].name
        return DesiredCatalog(
            domain=BusinessDomain(
                id=catalog_domain.id or domain_id(config.catalog_domain_name(identity.domain)),
                name=config.catalog_domain_name(identity.domain),
                type=catalog_domain.type,
                status=self._settings.new_domain_status,
                description=catalog_domain.description,
            ),
            adopted=catalog_domain.id is not None,
            product=wanted,
            owners=owners,
            governed=governed,
            collection=collection,
            linked=frozenset(a for a in artifacts if a.aspect == NAME and a.kind == "asset"),
            recorded=any(a.aspect == NAME and a.kind == "product" for a in artifacts),
        )

    # -- observe --

    async def _domains(self, reads: Reads) -> list[BusinessDomain]:
        return await reads.once("catalog:domains", self._catalog.domains)

    def find_domain(self, desired: DesiredCatalog, domains: list[BusinessDomain]) -> BusinessDomain | None:
        if desired.adopted:
            return next((d for d in domains if (d.id or "").lower() == desired.domain.id), None)
        return find_domain(desired.domain, domains)

    async def observe(self, target: Target, reads: Reads) -> ObservedCatalog:
        subject = await target.subject()
        desired = self.desire(subject)
        domains, product, resources = await asyncio.gather(
            self._domains(reads), self._catalog.product(desired.product.id), reads.resources(target.ref)
        )
        stores = await self.stores(resources, product, trusted=frozenset())
        return ObservedCatalog(self.find_domain(desired, domains), product, stores)

    async def stores(
        self, resources: tuple[ObservedResource, ...], product: DataProduct | None, *, trusted: frozenset[Artifact]
    ) -> tuple[StoreState, ...]:
        """Each store's Data Map asset and whether it is the product's; recorded links are trusted (bulk)."""
        if self._datamap is None:
            return tuple(StoreState(s, False, False) for s in _stores_in(resources))
        stores = _stores_in(resources)
        unknown = [s for s in stores if s.artifact not in trusted]
        if not unknown:
            return tuple(StoreState(s, True, True) for s in stores)
        datamap = self._datamap
        entities, edges = await asyncio.gather(
            asyncio.gather(*(datamap.entity(s.type_name, s.qualified_name) for s in unknown)),
            self._catalog.product_assets(product.id) if product is not None else _nothing(),
        )
        guids = {s.qualified_name: e.guid for s, e in zip(unknown, entities, strict=True) if e is not None and e.guid}
        assets = await self._catalog.assets_for_sources(list(guids.values())) if guids else []
        wrapped = {(a.source.asset_id or "").lower(): a.id.lower() for a in assets if a.source is not None}
        related = {edge.entity_id.lower() for edge in edges}
        states: list[StoreState] = []
        for store in stores:
            if store.artifact in trusted:
                states.append(StoreState(store, True, True))
                continue
            guid = guids.get(store.qualified_name)
            asset = wrapped.get(guid.lower()) if guid else None
            states.append(StoreState(store, guid is not None, asset is not None and asset in related))
        return tuple(states)

    async def observe_zone(self, zone: LandingZone, reads: Reads) -> ZoneCatalog:
        del zone
        return ZoneCatalog(self, await self._domains(reads), reads)

    async def products_of(self, domain_id: str, reads: Reads) -> Mapping[str, DataProduct]:
        """A governance domain's products, listed in pages once per run for every landing zone."""

        async def load() -> Mapping[str, DataProduct]:
            return {p.id.lower(): p for p in await self._catalog.products(domain_id)}

        return await reads.once(f"catalog:products:{domain_id.lower()}", load)

    async def read_product(self, product_id: str) -> DataProduct | None:
        return await self._catalog.product(product_id)

    def diff(self, desired: DesiredCatalog, observed: ObservedCatalog) -> AspectPlan[CatalogAction]:
        return diff_catalog(desired, observed)

    # -- execute --

    async def execute(self, action: CatalogAction, outputs: Outputs) -> object:
        catalog = self._catalog
        match action:
            case CreateDomain(domain=domain):
                return await self._ensure_domain(domain)
            case CreateProduct(product=product, domain_from=domain_from):
                domain_id = str(outputs[domain_from]) if domain_from is not None else product.domain
                if not domain_id:
                    raise CatalogNotReady(f"no governance domain for {product.name} yet")
                created = await catalog.create_product(product.model_copy(update={"domain": domain_id}))
                if created.id.lower() != product.id.lower():
                    raise CatalogIgnoredProductId(
                        f"the Unified Catalog created {product.name} as {created.id}, not {product.id}: "
                        "the app finds its products by their ids, so it cannot govern this one"
                    )
                return Remember(added=(action.artifact,))
            case UpdateProduct(product_id=pid, changes=changes, add_owners=owners):
                current = await catalog.product(pid)
                if current is None:
                    raise ResourceNotFoundError(f"catalog data product {pid} is gone; the next run creates it")
                if changes or owners:
                    await catalog.update_product(_repaired(current, changes, owners))
                return Remember(added=(Artifact(NAME, "product", pid),))
            case PutStoreAsset(collection=collection):
                assert self._datamap is not None
                await self._datamap.put_asset(action.entity(), collection)
                return None
            case LinkAsset(store=store, product_id=pid, observed_linked=observed_linked):
                asset = await self._catalog_asset(store.type_name, store.qualified_name, create=True)
                if asset is None:
                    raise CatalogNotReady(f"no catalog asset wraps {store.qualified_name} yet")
                if observed_linked and asset.lower() in {
                    e.entity_id.lower() for e in await catalog.product_assets(pid)
                }:
                    return Remember(added=(store.artifact,))
                await catalog.relate_asset(asset, pid, f"{store.name}: a data store of this data product")
                return Remember(added=(store.artifact,))
            case UnlinkAsset(artifact=artifact, product_id=pid):
                type_name, qualified = _parse_artifact(artifact)
                asset = await self._catalog_asset(type_name, qualified, create=False)
                if asset is not None:
                    await catalog.unrelate_asset(asset, pid)
                return Remember(removed=(artifact,))
            case RetireProduct(product_id=pid, delete=delete, forgotten=forgotten):
                if delete:
                    await catalog.delete_product(pid)  # 404: gone already (``interpret``)
                else:
                    current = await catalog.product(pid)
                    if current is not None and current.status != "EXPIRED":
                        # Renamed too: names are unique in a domain, and a group made again under
                        # another name must be able to take this one (a revival renames it back).
                        retired = f"{current.name} (retired {datetime.datetime.now(datetime.UTC):%Y-%m-%d})"
                        await catalog.update_product(current.model_copy(update={"status": "EXPIRED", "name": retired}))
                return Remember(removed=forgotten)
            case _:
                assert_never(action)

    async def _ensure_domain(self, domain: BusinessDomain) -> str:
        """The governance domain's id, created if no domain has its name (concurrent callers share one try)."""
        key = domain.name.casefold()
        task = self._creating.get(key)
        if task is None:
            # Shared while in flight only: a domain deleted later is looked up (and made) afresh. An
            # empty context: the task must not borrow its first caller's write slot.
            loop = asyncio.get_running_loop()
            task = loop.create_task(self._create_domain(domain), context=contextvars.Context())
            self._creating[key] = task
            task.add_done_callback(lambda _: self._creating.pop(key, None))
        return await asyncio.shield(task)

    async def _create_domain(self, domain: BusinessDomain) -> str:
        for attempt in range(2):
            existing = find_domain(domain, await self._catalog.domains())
            if existing is not None and existing.id:
                return existing.id
            try:
                created = await self._catalog.create_domain(domain)
            except ResourceExistsError:
                if attempt == 0:
                    continue  # created meanwhile by another instance: read it
                raise
            if not created.id:
                raise CatalogNotReady(f"governance domain {domain.name} was created without an id")
            return created.id
        raise CatalogNotReady(f"governance domain {domain.name} could not be read after it was created")

    async def _catalog_asset(self, type_name: str, qualified_name: str, *, create: bool) -> str | None:
        """The id of the catalog asset wrapping the store's Data Map asset; created if asked and missing."""
        assert self._datamap is not None
        entity = await self._datamap.entity(type_name, qualified_name)
        if entity is None or not entity.guid:
            if create:
                raise ResourceNotFoundError(f"the Data Map has no {type_name} {qualified_name} yet")
            return None
        for attempt in range(2):
            found = await self._catalog.assets_for_sources([entity.guid])
            mine = next(
                (a for a in found if a.source and (a.source.asset_id or "").lower() == entity.guid.lower()), None
            )
            if mine is not None:
                return mine.id
            if not create:
                return None
            try:
                return (await self._catalog.create_asset(entity.guid)).id
            except ResourceExistsError:
                if attempt == 0:
                    continue  # wrapped meanwhile by another run: query again
                raise
        return None

    def interpret(self, action: CatalogAction, error: BaseException) -> Disposition:
        if isinstance(error, CatalogNotReady):
            return Disposition.TRANSIENT
        status = getattr(error, "status_code", None)
        code = error_code(error)
        if isinstance(error, CatalogIgnoredProductId):
            return Disposition.TERMINAL
        if isinstance(action, CreateDomain) and code in ("AlreadyExists", "DuplicateName"):
            return Disposition.TRANSIENT  # another instance made it meanwhile: the retry finds it
        if isinstance(action, CreateProduct) and code == "AlreadyExists":
            return Disposition.TRANSIENT  # another run created it: the retry observes and repairs it
        if isinstance(action, UpdateProduct | LinkAsset) and (
            isinstance(error, ResourceNotFoundError) or status == 404
        ):
            return Disposition.TRANSIENT  # the product or the Data Map asset not there yet / any more
        if isinstance(action, UnlinkAsset | RetireProduct) and status == 404:
            return Disposition.DONE
        return disposition(error)

    def retire(self, record: LedgerRecord) -> AspectPlan[CatalogAction]:
        """Expire (or delete) the product by its deterministic id, recorded or not: a create whose
        ledger write was lost is retired too (a product that never was answers 404: done)."""
        mine = tuple(a for a in record.artifacts if a.aspect == NAME)
        delete = self._settings.retired_product == "delete"
        return AspectPlan((RetireProduct(product_id(record.ref), delete, mine),))


def domain_id(name: str) -> str:
    """The id the app gives a governance domain it creates: the same in every instance, so two that
    race create one domain (the second is refused), whatever the service's rule on duplicate names."""
    return str(uuid.uuid5(PRODUCT_NAMESPACE, f"governance-domain:{name.casefold()}"))


def find_domain(wanted: BusinessDomain, domains: list[BusinessDomain]) -> BusinessDomain | None:
    """The top-level governance domain the app would have created: its id first, else its name."""
    by_id = next((d for d in domains if wanted.id and (d.id or "").lower() == wanted.id.lower()), None)
    if by_id is not None:
        return by_id
    name = wanted.name.casefold()
    return next((d for d in domains if d.name.casefold() == name and not d.parent_id), None)


def _repaired(current: DataProduct, changes: Mapping[str, Any], owners: tuple[str, ...]) -> DataProduct:
    """The product as read with the governed fields set and the owners added; nothing else touched."""
    body = current.model_dump(by_alias=True, exclude_none=True, mode="json")
    body.update(changes)
    missing = [owner for owner in owners if owner not in current.owners()]
    if missing:
        contacts = dict(body.get("contacts") or {})
        contacts["owner"] = [
            *(contacts.get("owner") or []),
            *({"id": owner, "description": "data product owner"} for owner in missing),
        ]
        body["contacts"] = contacts
    return DataProduct.model_validate(body)


def _stores_in(resources: tuple[ObservedResource, ...]) -> list[StoreAsset]:
    return [asset for asset in (store_asset(r) for r in resources) if asset is not None]


async def _nothing() -> list[Relationship]:
    return []


class ZoneCatalog:
    """Bulk view: domains once per run, each governance domain's products in pages once per run."""

    def __init__(self, aspect: CatalogAspect, domains: list[BusinessDomain], reads: Reads) -> None:
        self._aspect = aspect
        self._domains = domains
        self._reads = reads

    async def get(self, target: Target) -> ObservedCatalog:
        subject = await target.subject()
        aspect = self._aspect
        desired = aspect.desire(subject)
        domain = aspect.find_domain(desired, self._domains)
        products: Mapping[str, DataProduct] = {}
        if domain is not None and domain.id:
            products = await aspect.products_of(domain.id, self._reads)
        product = products.get(desired.product.id)
        if product is None and desired.recorded:
            product = await aspect.read_product(desired.product.id)  # moved to another domain by hand?
        resources = await self._reads.resources(target.ref)
        stores = await aspect.stores(resources, product, trusted=desired.linked)
        return ObservedCatalog(domain, product, stores)
