"""The Purview Data Map aspect: every data store of a product registered, scannable, in its collection.

Desired, from the config and the product's identity:
- a collection chain under the root (the account's root collection, or one the config names): the
  landing zone, the domain in it, the product in that (unless product collections are off); names
  are deterministic ids within Purview's 36 characters, ``friendlyName`` is what people read;
- the domain's data stewards as Data Curators / Data Readers on the domain collection (its metadata
  policy; added, never removed: the app cannot tell who else added a principal);
- every data store in the product group registered as a data source in the product collection, with
  the properties Purview expects, taken from the ARM resource; the resource id is the identity (a
  source someone else registered for the same resource is reported, not duplicated);
- where Purview's managed identity can scan the kind (ADLS Gen2, Blob, Synapse): a scan with the
  system rule set and a recurring trigger, in the source's collection (never out of bounds), after
  granting the identity what the store needs (``purview.scanning_roles``, allow-listed) through the
  RBAC grant path; where it cannot (SQL needs a database user; MySQL, PostgreSQL and Cosmos DB need a
  stored credential), the source is registered and the condition is ``blocked`` with the next step;
- the data product itself as an entity of the app's own type, in the product collection.

Ownership: sources are named ``dpgov-<store>-<hash>`` and recorded in the ledger, as are the
collections and the entity; grants to Purview's identity are marked ``dpgov-purview:``. When the
product's group is gone, its sources (and their scans) are removed and its entity marked retired
(``retire``); collections stay (they may hold scanned assets).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
from collections import ChainMap
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, assert_never

from azure.core.exceptions import AzureError

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
from shared.aspects.rbac import AssignmentStore, Grant, grant_role
from shared.aspects.tags import cross_charging_tags
from shared.config import GovernanceConfig, LandingZone, Purview, Steward
from shared.errors import disposition, error_code
from shared.ledger import Artifact, LedgerRecord
from shared.model import (
    DataProduct,
    GroupRef,
    ObservedAssignment,
    ObservedCollection,
    ObservedEntity,
    ObservedResource,
    ObservedScan,
    ObservedSource,
)
from shared.reads import SingleFlight

NAME = "purview"
ENTITY_TYPE = "dpgov_data_product"
_COLLECTION_LIMIT = 36
_SOURCE_LIMIT = 50
CURATOR = "purviewmetadatarole_builtin_data-curator"
READER = "purviewmetadatarole_builtin_purview-reader"

ENTITY_TYPEDEF: Mapping[str, Any] = {
    "name": ENTITY_TYPE,
    "description": "A data product governed by dpgov: one resource group in a data landing zone.",
    "superTypes": ["DataSet"],
    "serviceType": "dpgov",
    "typeVersion": "1.0",
    "attributeDefs": [
        {
            "name": attribute,
            "typeName": "string",
            "isOptional": True,
            "cardinality": "SINGLE",
            "isUnique": False,
            "isIndexable": True,
        }
        for attribute in (
            "domain",
            "product",
            "landingZone",
            "environment",
            "owner",
            "costCenter",
            "resourceGroupId",
            "lifecycle",
        )
    ],
}


@dataclass(frozen=True, slots=True)
class StoreKind:
    """How one Azure resource type is registered (and, if it can be, scanned) in Purview."""

    source_kind: str
    api_version: str  # to read the resource's properties from ARM
    scan_kind: str | None  # the managed-identity scan kind, when Purview's identity can scan it
    next_step: str | None = None  # what a person must do first, when it cannot


STORE_KINDS: Mapping[str, StoreKind] = {
    "microsoft.storage/storageaccounts": StoreKind("AzureStorage", "2023-05-01", "AzureStorageMsi"),
    "microsoft.sql/servers": StoreKind(
        "AzureSqlDatabase",
        "2021-11-01",
        None,
        "in each database, run: CREATE USER [{account}] FROM EXTERNAL PROVIDER; "
        "EXEC sp_addrolemember 'db_datareader', [{account}]; then scan with the managed identity",
    ),
    "microsoft.dbformysql/flexibleservers": StoreKind(
        "AzureMySql",
        "2023-06-30",
        None,
        "store a SQL login's password as a Key Vault secret, connect the vault to Purview and create a "
        "SqlAuth credential for it; then scan with that credential",
    ),
    "microsoft.dbforpostgresql/flexibleservers": StoreKind(
        "AzurePostgreSql",
        "2024-08-01",
        None,
        "store a SQL login's password as a Key Vault secret, connect the vault to Purview and create a "
        "SqlAuth credential for it; then scan with that credential",
    ),
    "microsoft.documentdb/databaseaccounts": StoreKind(
        "AzureCosmosDb",
        "2024-08-15",
        None,
        "store the account key as a Key Vault secret (Purview's identity needs get/list on the vault), "
        "connect the vault to Purview and create an AccountKey credential; then scan with that credential",
    ),
    "microsoft.synapse/workspaces": StoreKind("AzureSynapseWorkspace", "2021-06-01", "AzureSynapseWorkspaceMsi"),
    "microsoft.kusto/clusters": StoreKind("AzureDataExplorer", "2023-08-15", "AzureDataExplorerMsi"),
}


def store_kind(resource: ObservedResource) -> StoreKind | None:
    return STORE_KINDS.get(resource.type.lower())


def _fit(name: str, limit: int) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower()).strip("-")
    if len(cleaned) <= limit:
        return cleaned
    digest = hashlib.sha256(cleaned.encode()).hexdigest()[:8]
    return f"{cleaned[: limit - 9].rstrip('-')}-{digest}"


@dataclass(frozen=True, slots=True)
class WantedCollection:
    name: str
    friendly_name: str
    parent: str


def collection_chain(config: GovernanceConfig, root: str, product: DataProduct) -> tuple[WantedCollection, ...]:
    """Root → landing zone → domain → product (if on): deterministic, valid collection ids."""
    zone = _fit(product.landing_zone, _COLLECTION_LIMIT)
    domain = _fit(f"{product.landing_zone}-{product.domain}", _COLLECTION_LIMIT)
    chain = [WantedCollection(zone, product.landing_zone, root), WantedCollection(domain, product.domain, zone)]
    if config.purview_settings().product_collections:
        name = _fit(
            f"{product.landing_zone}-{product.domain}-{product.product}-{product.environment}", _COLLECTION_LIMIT
        )
        chain.append(WantedCollection(name, f"{product.product} ({product.environment})", domain))
    return tuple(chain)


def source_name(resource: ObservedResource) -> str:
    """``dpgov-<store>-<hash of its resource id>``: stable, unique, readable."""
    digest = hashlib.sha256(resource.id.lower().encode()).hexdigest()[:6]
    return f"dpgov-{_fit(resource.name, _SOURCE_LIMIT - 13)}-{digest}"


def scan_name(source: str) -> str:
    return f"{source}-scan"[: _SOURCE_LIMIT + 5]


def source_properties(kind: StoreKind, resource: ObservedResource, properties: Mapping[str, Any]) -> dict[str, Any]:
    """The properties Purview expects for the kind, from the ARM resource."""
    parts = resource.id.strip("/").split("/")
    base: dict[str, Any] = {
        "resourceId": resource.id,
        "subscriptionId": parts[1],
        "resourceGroup": parts[3],
        "location": resource.location,
        "resourceName": resource.name,
    }
    match kind.source_kind:
        case "AdlsGen2":
            endpoints = properties.get("primaryEndpoints") or {}
            base["endpoint"] = endpoints.get("dfs") or f"https://{resource.name}.dfs.core.windows.net/"
        case "AzureStorage":
            endpoints = properties.get("primaryEndpoints") or {}
            base["endpoint"] = endpoints.get("blob") or f"https://{resource.name}.blob.core.windows.net/"
        case "AzureSqlDatabase":
            base["serverEndpoint"] = (
                properties.get("fullyQualifiedDomainName") or f"{resource.name}.database.windows.net"
            )
        case "AzureMySql":
            base["serverEndpoint"] = properties.get("fullyQualifiedDomainName")
            base["port"] = 3306
        case "AzurePostgreSql":
            base["serverEndpoint"] = properties.get("fullyQualifiedDomainName")
            base["port"] = 5432
        case "AzureCosmosDb":
            base["accountUri"] = properties.get("documentEndpoint")
        case "AzureSynapseWorkspace":
            endpoints = properties.get("connectivityEndpoints") or {}
            base["dedicatedSqlEndpoint"] = endpoints.get("sql")
            base["serverlessSqlEndpoint"] = endpoints.get("sqlOnDemand")
        case "AzureDataExplorer":
            base["endpoint"] = properties.get("uri")
    return base


def effective_kind(kind: StoreKind, properties: Mapping[str, Any]) -> StoreKind:
    """A storage account with a hierarchical namespace is ADLS Gen2, otherwise Blob."""
    if kind.source_kind == "AzureStorage" and properties.get("isHnsEnabled"):
        return StoreKind("AdlsGen2", kind.api_version, "AdlsGen2Msi")
    return kind


# -- actions ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PutCollection:
    collection: WantedCollection
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return collection_key(self.collection.name)

    def describe(self) -> str:
        c = self.collection
        return f"create Purview collection {c.name} ({c.friendly_name}) under {c.parent}"

    def to_dict(self) -> dict[str, Any]:
        c = self.collection
        return {
            "key": self.key,
            "kind": "put_collection",
            "aspect": self.aspect,
            "name": c.name,
            "friendly_name": c.friendly_name,
            "parent": c.parent,
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class GrantStewards:
    """Add the domain's stewards to its collection's metadata policy (re-read before each update)."""

    collection: str
    curators: tuple[Steward, ...]
    readers: tuple[Steward, ...]
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"stewards:{self.collection}"

    def describe(self) -> str:
        return f"make {len(self.curators)} curator(s) and {len(self.readers)} reader(s) stewards of {self.collection}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "grant_stewards",
            "aspect": self.aspect,
            "collection": self.collection,
            "data_curators": [s.principal_id for s in self.curators],
            "data_readers": [s.principal_id for s in self.readers],
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class RegisterSource:
    name: str
    body: Mapping[str, Any]
    resource_id: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"source:{self.name}"

    @property
    def artifact(self) -> Artifact:
        return Artifact(NAME, "source", self.name)

    def describe(self) -> str:
        collection = self.body["properties"]["collection"]["referenceName"]
        return f"register {self.body['kind']} source {self.name} in {collection}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "register_source",
            "aspect": self.aspect,
            "name": self.name,
            "resource_id": self.resource_id,
            "body": dict(self.body),
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class GrantScanner:
    """Grant Purview's managed identity a role on a store so its scans can read it."""

    grant: Grant
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        scope, principal, role = self.grant.triple
        return f"purviewgrant:{scope}:{principal}:{role}"

    def describe(self) -> str:
        return f"grant Purview's identity {self.grant.role} on {self.grant.scope.rsplit('/', 1)[-1]}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "grant_scanner",
            "aspect": self.aspect,
            "scope": self.grant.scope,
            "role": self.grant.role,
            "principal_id": self.grant.principal_id,
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class PutScan:
    """A managed-identity scan of the source with the system rule set (its trigger follows)."""

    source: str
    scan: str
    body: Mapping[str, Any]
    trigger: Mapping[str, Any]
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"scan:{self.source}/{self.scan}"

    def describe(self) -> str:
        return f"create {self.body['kind']} scan {self.scan} of {self.source}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "put_scan",
            "aspect": self.aspect,
            "source": self.source,
            "scan": self.scan,
            "body": dict(self.body),
            "trigger": dict(self.trigger),
            "depends_on": sorted(self.depends_on),
        }


def trigger_artifact(source: str, scan: str) -> Artifact:
    """A trigger the app put: the timer trusts this record instead of a read per scan (Purview has
    no list of triggers); the event path and every per-product sync read the trigger itself."""
    return Artifact(NAME, "trigger", f"{source}/{scan}".lower())


@dataclass(frozen=True, slots=True)
class PutTrigger:
    """Put a scan's recurring trigger (after the scan is created, or when it went missing)."""

    source: str
    scan: str
    trigger: Mapping[str, Any]
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"trigger:{self.source}/{self.scan}"

    @property
    def artifact(self) -> Artifact:
        return trigger_artifact(self.source, self.scan)

    def describe(self) -> str:
        frequency = str(self.trigger["properties"]["recurrence"]["frequency"]).lower()
        return f"schedule scan {self.scan} of {self.source} {frequency}ly"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "put_trigger",
            "aspect": self.aspect,
            "source": self.source,
            "scan": self.scan,
            "trigger": dict(self.trigger),
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class RemoveSource:
    """Delete a source the app registered (and its scans): its store is gone, or its product is."""

    name: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"unsource:{self.name}"

    @property
    def artifact(self) -> Artifact:
        return Artifact(NAME, "source", self.name)

    @property
    def forgotten(self) -> tuple[Artifact, ...]:
        """What the ledger stops recording once the source (and its scan and trigger) is gone."""
        return (self.artifact, trigger_artifact(self.name, scan_name(self.name)))

    def describe(self) -> str:
        return f"remove Purview source {self.name} and its scans"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "remove_source",
            "aspect": self.aspect,
            "name": self.name,
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class PutEntity:
    """Upsert the data product's catalog entity (by type and qualifiedName) in its collection."""

    entity: Mapping[str, Any]
    collection: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME
    replaces: tuple[Artifact, ...] = ()  # the ledger's record of the entity as last written

    @property
    def qualified_name(self) -> str:
        return str(self.entity["attributes"]["qualifiedName"])

    @property
    def key(self) -> str:
        return f"entity:{self.qualified_name}"

    @property
    def artifact(self) -> Artifact:
        """The entity as written: its qualified name and a digest of its attributes and collection.

        The timer trusts this record instead of reading every product's entity (the Data Map has no
        list per collection): when the config changes what the entity should say, the digest no
        longer matches and the entity is read and repaired.
        """
        content = json.dumps(
            {"attributes": self.entity["attributes"], "collection": self.collection.lower()},
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
        digest = hashlib.sha256(content.encode()).hexdigest()[:16]
        return Artifact(NAME, "entity", f"{self.qualified_name}#{digest}")

    def describe(self) -> str:
        lifecycle = self.entity["attributes"].get("lifecycle")
        what = "mark retired" if lifecycle == "retired" else "catalog"
        return f"{what} data product entity {self.entity['attributes']['name']} in {self.collection}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "put_entity",
            "aspect": self.aspect,
            "collection": self.collection,
            "entity": dict(self.entity),
            "depends_on": sorted(self.depends_on),
        }


@dataclass(frozen=True, slots=True)
class RemoveEntity:
    qualified_name: str
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = NAME

    @property
    def key(self) -> str:
        return f"unentity:{self.qualified_name}"

    def describe(self) -> str:
        return f"delete data product entity {self.qualified_name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": "remove_entity",
            "aspect": self.aspect,
            "qualified_name": self.qualified_name,
            "depends_on": sorted(self.depends_on),
        }


PurviewAction = (
    PutCollection
    | GrantStewards
    | RegisterSource
    | GrantScanner
    | PutScan
    | PutTrigger
    | RemoveSource
    | PutEntity
    | RemoveEntity
)


def collection_key(name: str) -> str:
    return f"collection:{name.lower()}"


# -- desired and observed -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DesiredPurview:
    account: str
    collections: tuple[WantedCollection, ...]
    curators: tuple[Steward, ...]
    readers: tuple[Steward, ...]
    entity: Mapping[str, Any]
    product_scope: str
    scanning_roles: Mapping[str, tuple[tuple[str, str], ...]]  # source kind → (role name, role id)
    schedule: Mapping[str, Any]  # the trigger body
    owned_sources: frozenset[str]  # the ledger's record of sources the app registered (lower-cased)
    marker: str
    recorded_entity: tuple[Artifact, ...] = ()  # the ledger's record of the entity as last written

    @property
    def source_collection(self) -> str:
        return self.collections[-1].name

    def summary(self) -> tuple[str, ...]:
        chain = " > ".join(collection.name for collection in self.collections)
        lines = [f"collections {self.collections[0].parent} > {chain} in account {self.account}"]
        lines += [
            f"data curator {steward.principal_type} {steward.principal_id} on {self.domain_collection}"
            for steward in self.curators
        ]
        lines += [
            f"data reader {steward.principal_type} {steward.principal_id} on {self.domain_collection}"
            for steward in self.readers
        ]
        lines.append(f"the group's data stores that Purview scans registered and scanned in {self.source_collection}")
        lines.append(f"data product entity {self.entity['attributes']['qualifiedName']} in {self.source_collection}")
        return tuple(lines)

    @property
    def domain_collection(self) -> str:
        return self.collections[1].name


@dataclass(frozen=True, slots=True)
class Store:
    """A data store in the product group, with its ARM properties when they were needed (and read)."""

    resource: ObservedResource
    properties: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SourceIndex:
    """The account's data sources, indexed once (per event, or per run for every product of it)."""

    by_resource: dict[str, ObservedSource]  # by lower-cased resource id; read only once built
    named: dict[str, ObservedSource]  # by lower-cased source name; read only once built

    @classmethod
    def of(cls, sources: Iterable[ObservedSource]) -> SourceIndex:
        listed = list(sources)
        return cls({s.resource_id.lower(): s for s in listed if s.resource_id}, {s.name.lower(): s for s in listed})


@dataclass(frozen=True, slots=True)
class ObservedPurview:
    collections: Mapping[str, ObservedCollection]  # by lower-cased name
    sources: Mapping[str, ObservedSource]  # by lower-cased resource id
    named: Mapping[str, ObservedSource]  # by lower-cased source name
    stores: tuple[Store, ...]
    triggers: Mapping[str, bool]  # by lower-cased "source/scan": whether the trigger exists (if known)
    policy: Mapping[str, Any] | None  # the domain collection's metadata policy
    entity: ObservedEntity | None
    principal: str  # Purview's managed identity
    grants: tuple[ObservedAssignment, ...]  # role assignments at the product group and below


def entity_body(
    config: GovernanceConfig, product: DataProduct, group: GroupRef, *, lifecycle: str = "active"
) -> dict[str, Any]:
    tags = cross_charging_tags(config, product)
    return {
        "typeName": ENTITY_TYPE,
        "attributes": {
            "qualifiedName": group.scope.lower(),
            "name": f"{product.domain}/{product.product} ({product.environment})",
            "description": f"Data product {product.product} of the {product.domain} domain in {product.landing_zone}",
            "domain": product.domain,
            "product": product.product,
            "landingZone": product.landing_zone,
            "environment": product.environment,
            "owner": tags[config.tags.owner],
            "costCenter": tags[config.tags.cost_center],
            "resourceGroupId": group.scope,
            "lifecycle": lifecycle,
        },
        "status": "ACTIVE",
    }


def trigger_body(settings: Purview) -> dict[str, Any]:
    schedule = settings.scan_schedule
    return {
        "properties": {
            "scanLevel": schedule.scan_level,
            "recurrence": {
                "frequency": schedule.frequency,
                "interval": schedule.interval,
                "startTime": "2026-01-01T00:00:00Z",
                "timezone": "UTC",
                "schedule": {"hours": schedule.hours, "minutes": schedule.minutes, "weekDays": schedule.week_days},
            },
        }
    }


def _rule(rules: list[dict[str, Any]], rule_id: str) -> dict[str, Any] | None:
    return next((rule for rule in rules if str(rule.get("id", "")).lower() == rule_id.lower()), None)


def with_stewards(
    policy: Mapping[str, Any], collection: str, curators: tuple[Steward, ...], readers: tuple[Steward, ...]
) -> dict[str, Any] | None:
    """The policy with the stewards added to their role rules (created when missing); None if unchanged.

    A role rule is a disjunction of conjunctions: each conjunction names principals (``principal.
    microsoft.id`` for users and service principals, ``principal.microsoft.groups`` for groups) and
    the role; the collection's ``permission:<c>`` rule must reference the role rule. Unknown fields
    (``fromRule``…) are kept as returned.
    """
    document: dict[str, Any] = copy.deepcopy(dict(policy))  # the observed policy stays as it was read
    document["properties"] = document.get("properties") or {}
    rules = list(document["properties"].get("attributeRules") or [])
    changed = False
    for role, stewards in ((CURATOR, curators), (READER, readers)):
        if not stewards:
            continue
        rule_id = f"{role}:{collection}"
        rule = _rule(rules, rule_id)
        if rule is None:
            rule = {"kind": "attributerule", "id": rule_id, "name": rule_id, "dnfCondition": []}
            rules.append(rule)
            permission = _rule(rules, f"permission:{collection}")
            if permission is not None:
                reference = {
                    "fromRule": rule_id,
                    "attributeName": "derived.purview.permission",
                    "attributeValueIncludes": rule_id,
                }
                permission["dnfCondition"] = [*permission.get("dnfCondition", []), [reference]]
            changed = True
        clauses = [list(clause) for clause in rule.get("dnfCondition") or []]
        for steward in stewards:
            attribute = "principal.microsoft.groups" if steward.principal_type == "Group" else "principal.microsoft.id"
            clause = next((c for c in clauses if any(item.get("attributeName") == attribute for item in c)), None)
            if clause is None:
                clause = [
                    {"attributeName": attribute, "attributeValueIncludedIn": []},
                    {"fromRule": role, "attributeName": "derived.purview.role", "attributeValueIncludes": role},
                ]
                clauses.append(clause)
                changed = True
            condition = next(item for item in clause if item.get("attributeName") == attribute)
            members = [str(m).lower() for m in condition.get("attributeValueIncludedIn") or []]
            if steward.principal_id not in members:
                condition["attributeValueIncludedIn"] = [
                    *(condition.get("attributeValueIncludedIn") or []),
                    steward.principal_id,
                ]
                changed = True
        rule["dnfCondition"] = clauses
    if not changed:
        return None
    document["properties"]["attributeRules"] = rules
    return document


def diff_purview(desired: DesiredPurview, observed: ObservedPurview) -> AspectPlan[PurviewAction]:
    actions: list[PurviewAction] = []
    findings: list[Finding] = []
    planned_collections: set[str] = set()
    for wanted in desired.collections:
        current = observed.collections.get(wanted.name.lower())
        parent_key = collection_key(wanted.parent) if wanted.parent.lower() in planned_collections else None
        if current is None or current.state.lower() != "succeeded":
            actions.append(PutCollection(wanted, frozenset({parent_key} if parent_key else ())))
            planned_collections.add(wanted.name.lower())
        elif (current.parent or "").lower() != wanted.parent.lower():
            findings.append(
                Finding(
                    FindingKind.NOTICE,
                    "CollectionElsewhere",
                    f"collection {wanted.name} is under {current.parent}, not {wanted.parent} (left as is)",
                )
            )

    def after(collection: str) -> frozenset[str]:
        return frozenset({collection_key(collection)}) if collection.lower() in planned_collections else frozenset()

    if desired.curators or desired.readers:
        missing = (
            observed.policy is None
            or with_stewards(observed.policy, desired.domain_collection, desired.curators, desired.readers) is not None
        )
        if missing:
            actions.append(
                GrantStewards(
                    desired.domain_collection, desired.curators, desired.readers, after(desired.domain_collection)
                )
            )

    live = {store.resource.id.lower() for store in observed.stores}
    for store in observed.stores:
        kind_spec = store_kind(store.resource)
        if kind_spec is None:
            continue
        name = source_name(store.resource)
        existing = observed.sources.get(store.resource.id.lower())
        if existing is not None and existing.name.lower() != name.lower():
            findings.append(
                Finding(
                    FindingKind.NOTICE,
                    "SourceRegisteredElsewhere",
                    f"{store.resource.name} is registered as {existing.name} by someone else (not registered again)",
                )
            )
            continue
        registration: RegisterSource | None = None
        if existing is None or (existing.collection or "").lower() != desired.source_collection.lower():
            properties = store.properties
            if properties is None:
                continue  # gone since it was listed
            kind_spec = effective_kind(kind_spec, properties)
            body = {
                "kind": kind_spec.source_kind,
                "properties": {
                    **source_properties(kind_spec, store.resource, properties),
                    "collection": {"referenceName": desired.source_collection, "type": "CollectionReference"},
                },
            }
            registration = RegisterSource(name, body, store.resource.id, after(desired.source_collection))
            actions.append(registration)
            source_kind = kind_spec.source_kind
        else:
            source_kind = existing.kind
        scan_kind = {"AdlsGen2": "AdlsGen2Msi", "AzureStorage": "AzureStorageMsi"}.get(source_kind, kind_spec.scan_kind)
        if scan_kind is None:
            next_step = (kind_spec.next_step or "").format(account=desired.account)
            findings.append(
                Finding(
                    FindingKind.BLOCKED,
                    "CredentialRequired",
                    f"{store.resource.name} ({source_kind}) is registered; to scan it, {next_step}",
                )
            )
            continue
        grant_keys: set[str] = set()
        present = {grant.triple for grant in observed.grants}
        for role_name, role_id in desired.scanning_roles.get(source_kind, ()):
            grant = Grant(
                store.resource.id,
                "product_group",
                observed.principal,
                "ServicePrincipal",
                role_name,
                role_id,
                "purview-scanner",
                desired.product_scope,
            )
            if grant.triple in present:
                continue
            action = GrantScanner(grant)
            actions.append(action)
            grant_keys.add(action.key)
        scan = scan_name(name)
        scans = {s.name.lower(): s for s in (existing.scans if existing is not None else ())}
        current_scan = scans.get(scan.lower())
        scan_body = {
            "kind": scan_kind,
            "properties": {
                "scanRulesetName": source_kind,
                "scanRulesetType": "System",
                "collection": {"referenceName": desired.source_collection, "type": "CollectionReference"},
            },
        }
        depends = set(grant_keys) | ({registration.key} if registration is not None else set())
        if current_scan is None or (current_scan.collection or "").lower() != desired.source_collection.lower():
            put_scan = PutScan(name, scan, scan_body, desired.schedule, frozenset(depends))
            actions += [put_scan, PutTrigger(name, scan, desired.schedule, frozenset({put_scan.key}))]
        elif observed.triggers.get(f"{name}/{scan}".lower()) is False:
            actions.append(PutTrigger(name, scan, desired.schedule))
    for owned_name in sorted(desired.owned_sources):
        source = observed.named.get(owned_name)
        if source is not None and source.resource_id.lower() not in live:
            actions.append(RemoveSource(source.name))
    entity = desired.entity
    current_entity = observed.entity
    if (
        current_entity is None
        or current_entity.status.upper() != "ACTIVE"
        or any(current_entity.attributes.get(k) != v for k, v in entity["attributes"].items())
        or (
            current_entity.collection is not None
            and current_entity.collection.lower() != desired.source_collection.lower()
        )
    ):
        put = PutEntity(entity, desired.source_collection, after(desired.source_collection))
        actions.append(replace(put, replaces=tuple(a for a in desired.recorded_entity if a != put.artifact)))
    return AspectPlan(tuple(actions), tuple(findings))


# -- the aspect ----------------------------------------------------------------------------------


class PurviewStore(Protocol):
    """``shared.azure.purview.PurviewClients`` (and the ARM reads the aspect needs)."""

    @property
    def account(self) -> str: ...

    async def account_principal_id(self) -> str: ...

    async def collection(self, name: str) -> ObservedCollection | None: ...

    async def collections(self) -> list[ObservedCollection]: ...

    async def put_collection(self, name: str, friendly_name: str, parent: str) -> ObservedCollection: ...

    async def until_succeeded(self, created: ObservedCollection) -> ObservedCollection: ...

    async def metadata_policy(self, collection: str) -> dict[str, Any] | None: ...

    async def put_metadata_policy(self, policy_id: str, body: Mapping[str, Any]) -> dict[str, Any]: ...

    async def sources(self) -> list[ObservedSource]: ...

    async def put_source(self, name: str, body: Mapping[str, Any]) -> ObservedSource: ...

    async def delete_source(self, name: str) -> None: ...

    async def scans(self, source: str) -> tuple[ObservedScan, ...]: ...

    async def trigger(self, source: str, scan: str) -> dict[str, Any] | None: ...

    async def put_scan(self, source: str, scan: str, body: Mapping[str, Any]) -> ObservedScan: ...

    async def put_trigger(self, source: str, scan: str, body: Mapping[str, Any]) -> None: ...

    async def delete_scan(self, source: str, scan: str) -> None: ...

    async def entity(self, type_name: str, qualified_name: str) -> ObservedEntity | None: ...

    async def upsert_entity(self, entity: Mapping[str, Any], typedef: Mapping[str, Any], collection: str) -> None: ...

    async def delete_entity(self, type_name: str, qualified_name: str) -> None: ...


class ResourceProperties(Protocol):
    async def resource_properties(self, resource_id: str, api_version: str) -> Mapping[str, Any] | None: ...


class CollectionStillCreating(AzureError):
    """A new collection did not reach ``Succeeded`` in time; a retry continues (transient)."""


class StaleMetadataPolicy(AzureError):
    """The metadata policy kept changing under the update; a retry re-reads it (transient)."""


POLICY_ATTEMPTS = 3


class PurviewAspect:
    """Collections, data sources, scans and the product's entity in Microsoft Purview's Data Map."""

    name = NAME

    def __init__(
        self, config: GovernanceConfig, store: PurviewStore, arm: ResourceProperties, grants: AssignmentStore
    ) -> None:
        self._config = config
        self._settings = config.purview_settings()
        self._store = store
        self._arm = arm
        self._grants = grants
        self._root = self._settings.root_collection or store.account

    def desire(self, subject: Subject) -> DesiredPurview:
        config, product = self._config, subject.product
        domain = config.domains[product.domain]
        roles = {
            kind: tuple((role, config.rbac.allowed_roles[role]) for role in names if role in config.rbac.allowed_roles)
            for kind, names in self._settings.scanning_roles.items()
        }
        owned = frozenset(
            a.id.lower()
            for a in (subject.record.artifacts if subject.record else ())
            if a.aspect == NAME and a.kind == "source"
        )
        return DesiredPurview(
            account=self._store.account,
            collections=collection_chain(config, self._root, product),
            curators=tuple(domain.purview.data_curators),
            readers=tuple(domain.purview.data_readers),
            entity=entity_body(config, product, subject.ref),
            product_scope=subject.ref.scope,
            scanning_roles=roles,
            schedule=trigger_body(self._settings),
            owned_sources=owned,
            marker=f"{config.managed_by}-purview:",
            recorded_entity=tuple(
                a
                for a in (subject.record.artifacts if subject.record else ())
                if a.aspect == NAME and a.kind == "entity"
            ),
        )

    async def _trigger(self, source: str, known: frozenset[Artifact]) -> object:
        scan = scan_name(source)
        if trigger_artifact(source, scan) in known:
            return True  # recorded as put (bulk only): present
        return await self._store.trigger(source, scan)

    def entity_recorded(self, subject: Subject) -> bool:
        """Whether the ledger records the product's entity exactly as the config wants it now."""
        desired = self.desire(subject)
        return PutEntity(desired.entity, desired.source_collection).artifact in desired.recorded_entity

    async def observe(self, target: Target, reads: Reads) -> ObservedPurview:
        resources, sources, principal, grants, subject = await asyncio.gather(
            reads.resources(target.ref),
            self._store.sources(),
            self._store.account_principal_id(),
            reads.role_assignments(target.ref.scope),
            target.subject(),
        )
        return await self._complete(subject, resources, SourceIndex.of(sources), principal, grants, collections=None)

    async def _complete(
        self,
        subject: Subject,
        resources: tuple[ObservedResource, ...],
        sources: SourceIndex,
        principal: str,
        grants: tuple[ObservedAssignment, ...],
        *,
        collections: Mapping[str, ObservedCollection] | None,
        known_entity: bool = False,
        known_triggers: frozenset[Artifact] = frozenset(),
        policy_of: Callable[[str], Awaitable[dict[str, Any] | None]] | None = None,
    ) -> ObservedPurview:
        """The reads that depend on who the product is: its collections, policy, entity, stores.

        ``sources`` is shared by every product of a run: what this product reads afresh (its sources'
        scans) goes in an overlay of its own, never into the account-wide index.
        """
        chain = collection_chain(self._config, self._root, subject.product)
        by_resource: ChainMap[str, ObservedSource] = ChainMap({}, sources.by_resource)
        named: ChainMap[str, ObservedSource] = ChainMap({}, sources.named)
        stores = [r for r in resources if store_kind(r) is not None]
        domain = self._config.domains[subject.product.domain]
        stewards = bool(domain.purview.data_curators or domain.purview.data_readers)

        async def details(resource: ObservedResource) -> Store:
            registered = by_resource.get(resource.id.lower())
            if registered is not None and (registered.collection or "").lower() == chain[-1].name.lower():
                return Store(resource)
            kind = store_kind(resource)
            assert kind is not None
            return Store(resource, await self._arm.resource_properties(resource.id, kind.api_version))

        async def scans_of(source: ObservedSource) -> ObservedSource:
            if source.scans:
                return source
            return replace(source, scans=await self._store.scans(source.name))

        ours = [
            by_resource[s.id.lower()]
            for s in stores
            if s.id.lower() in by_resource and by_resource[s.id.lower()].name.lower() == source_name(s).lower()
        ]
        qualified = str(desired_entity_name(subject))
        found = await asyncio.gather(
            asyncio.gather(*(self._store.collection(c.name) for c in chain)) if collections is None else _ready(None),
            (policy_of or self._store.metadata_policy)(chain[1].name) if stewards else _ready(None),
            _ready(None) if known_entity else self._store.entity(ENTITY_TYPE, qualified),
            asyncio.gather(*(details(store) for store in stores)),
            asyncio.gather(*(scans_of(source) for source in ours)),
            asyncio.gather(*(self._trigger(s.name, known_triggers) for s in ours)),
        )
        chain_found, policy, entity, with_details, with_scans, triggers = found
        if collections is None:
            collections = {c.name.lower(): c for c in chain_found if c is not None}
        for source in with_scans:
            by_resource[source.resource_id.lower()] = source
            named[source.name.lower()] = source
        trigger_state = {
            f"{s.name}/{scan_name(s.name)}".lower(): t is not None for s, t in zip(ours, triggers, strict=True)
        }
        if known_entity:
            entity = ObservedEntity(
                "",
                ENTITY_TYPE,
                qualified,
                dict(entity_body(self._config, subject.product, subject.ref)["attributes"]),
                "ACTIVE",
                chain[-1].name,
            )
        return ObservedPurview(
            collections=collections,
            sources=by_resource,
            named=named,
            stores=tuple(with_details),
            triggers=trigger_state,
            policy=policy,
            entity=entity,
            principal=principal,
            grants=grants,
        )

    async def observe_zone(self, zone: LandingZone, reads: Reads) -> ZonePurview:
        """The account's collections and sources, listed once per run for every landing zone."""
        del zone
        collections, sources, principal = await reads.once("purview:account", self._list_account)
        return ZonePurview(self, {c.name.lower(): c for c in collections}, sources, principal, reads)

    async def _list_account(self) -> tuple[list[ObservedCollection], list[ObservedSource], str]:
        collections, sources, principal = await asyncio.gather(
            self._store.collections(), self._store.sources(), self._store.account_principal_id()
        )
        return collections, sources, principal

    async def read_policy(self, collection: str) -> dict[str, Any] | None:
        return await self._store.metadata_policy(collection)

    def diff(self, desired: DesiredPurview, observed: ObservedPurview) -> AspectPlan[PurviewAction]:
        return diff_purview(desired, observed)

    async def execute(self, action: PurviewAction, outputs: Outputs) -> object:
        del outputs
        store = self._store
        match action:
            case PutCollection(collection=c):
                created = await store.until_succeeded(await store.put_collection(c.name, c.friendly_name, c.parent))
                if created.state.lower() != "succeeded":
                    raise CollectionStillCreating(f"collection {c.name} is still {created.state}; retry continues")
                return None
            case GrantStewards(collection=collection, curators=curators, readers=readers):
                await self._grant_stewards(collection, curators, readers)
                return None
            case RegisterSource(name=name, body=body):
                await store.put_source(name, body)
                return Remember(added=(action.artifact,))
            case GrantScanner(grant=grant):
                await grant_role(self._grants, grant, f"{self._config.managed_by}-purview: scanner")
                return None
            case PutScan(source=source, scan=scan, body=body):
                await store.put_scan(source, scan, body)
                return None
            case PutTrigger(source=source, scan=scan, trigger=trigger):
                await store.put_trigger(source, scan, trigger)
                return Remember(added=(action.artifact,))
            case RemoveSource(name=name):
                for existing in await store.scans(name):
                    await store.delete_scan(name, existing.name)
                await store.delete_source(name)
                return Remember(removed=action.forgotten)
            case PutEntity(entity=entity, collection=collection, replaces=replaces):
                await store.upsert_entity(entity, ENTITY_TYPEDEF, collection)
                return Remember(added=(action.artifact,), removed=replaces)
            case RemoveEntity(qualified_name=qualified_name):
                await store.delete_entity(ENTITY_TYPE, qualified_name)
                return Remember(removed=(Artifact(NAME, "entity", qualified_name),))
            case _:
                assert_never(action)

    async def _grant_stewards(
        self, collection: str, curators: tuple[Steward, ...], readers: tuple[Steward, ...]
    ) -> None:
        """Re-read the policy before each update; a stale version (409) re-reads and retries."""
        for _ in range(POLICY_ATTEMPTS):
            policy = await self._store.metadata_policy(collection)
            if policy is None:
                raise CollectionStillCreating(f"collection {collection} has no metadata policy yet")
            updated = with_stewards(policy, collection, curators, readers)
            if updated is None:
                return
            try:
                await self._store.put_metadata_policy(str(policy["id"]), updated)
                return
            except Exception as error:
                if getattr(error, "status_code", None) != 409:
                    raise
        raise StaleMetadataPolicy(f"the metadata policy of {collection} kept changing; retry continues")

    def interpret(self, action: PurviewAction, error: BaseException) -> Disposition:
        if isinstance(error, CollectionStillCreating | StaleMetadataPolicy):
            return Disposition.TRANSIENT
        status = getattr(error, "status_code", None)
        if isinstance(action, RemoveSource | RemoveEntity) and status == 404:
            return Disposition.DONE  # gone already
        if isinstance(action, GrantScanner):
            code = error_code(error)
            if code == "RoleAssignmentExists":
                return Disposition.DONE
            if code == "PrincipalNotFound":
                return Disposition.TRANSIENT
            if code == "ResourceNotFound":
                return Disposition.DONE  # the store went away meanwhile
        if status == 404 and isinstance(action, RegisterSource | PutScan | PutTrigger | PutEntity | GrantStewards):
            return Disposition.TRANSIENT  # a parent collection or source not there yet: the retry creates it
        return disposition(error)

    def retire(self, record: LedgerRecord) -> AspectPlan[PurviewAction]:
        """The product's group is gone: remove its sources (and scans), retire its catalog entity."""
        actions: list[PurviewAction] = []
        if self._settings.retire_sources:
            actions += [RemoveSource(a.id) for a in record.artifacts if a.aspect == NAME and a.kind == "source"]
        if (
            any(a.aspect == NAME and a.kind == "entity" for a in record.artifacts)
            and record.product.domain in self._config.domains
        ):
            if self._settings.retired_entity == "delete":
                actions.append(RemoveEntity(record.ref.scope.lower()))
            else:
                chain = collection_chain(self._config, self._root, record.product)
                body = entity_body(self._config, record.product, record.ref, lifecycle="retired")
                actions.append(PutEntity(body, chain[-1].name))
        return AspectPlan(tuple(actions))


def desired_entity_name(subject: Subject) -> str:
    return subject.ref.scope.lower()


async def _ready(value: Any) -> Any:
    return value


class ZonePurview:
    """Bulk view: the account's collections and sources listed once per run, shared by every product."""

    def __init__(
        self,
        aspect: PurviewAspect,
        collections: Mapping[str, ObservedCollection],
        sources: list[ObservedSource],
        principal: str,
        reads: Reads,
    ) -> None:
        self._aspect = aspect
        self._collections = collections
        self._sources = SourceIndex.of(sources)  # once for every product of the run, not once each
        self._principal = principal
        self._reads = reads
        self._policies: SingleFlight[dict[str, Any] | None] = SingleFlight()

    async def _policy(self, collection: str) -> dict[str, Any] | None:
        """A domain collection's metadata policy, read once per run however many products share it."""
        return await self._policies.get(collection.lower(), lambda: self._aspect.read_policy(collection))

    async def get(self, target: Target) -> ObservedPurview:
        subject = await target.subject()
        resources, grants = await asyncio.gather(
            self._reads.resources(target.ref), self._reads.role_assignments(target.ref.scope)
        )
        recorded = self._aspect.entity_recorded(subject)
        triggers = frozenset(
            a for a in (subject.record.artifacts if subject.record else ()) if a.aspect == NAME and a.kind == "trigger"
        )
        return await self._aspect._complete(
            subject,
            resources,
            self._sources,
            self._principal,
            grants,
            collections=self._collections,
            known_entity=recorded,
            known_triggers=triggers,
            policy_of=self._policy,
        )
