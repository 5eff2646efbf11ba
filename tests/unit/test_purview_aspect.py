"""The Purview aspect's pure core: collections, sources, scans, stewards, the entity, retirement."""

from __future__ import annotations

import copy
import datetime
from typing import Any

from shared.aspects.base import FindingKind, Subject
from shared.aspects.purview import (
    CURATOR,
    READER,
    DesiredPurview,
    GrantScanner,
    GrantStewards,
    ObservedPurview,
    PurviewAspect,
    PutCollection,
    PutEntity,
    PutScan,
    RegisterSource,
    RemoveEntity,
    RemoveSource,
    Store,
    diff_purview,
    entity_body,
    scan_name,
    source_name,
    with_stewards,
)
from shared.config import Steward, load_config
from shared.identity import Identity
from shared.ledger import Artifact, LedgerRecord
from shared.model import (
    DataProduct,
    GroupRef,
    ObservedAssignment,
    ObservedCollection,
    ObservedEntity,
    ObservedGroup,
    ObservedResource,
    ObservedScan,
    ObservedSource,
)
from shared.naming import role_assignment_name
from shared.plan import Plan
from tests.unit.conftest import EXAMPLE_CONFIG
from tests.unit.fakes import EMEA

CONFIG = load_config(EXAMPLE_CONFIG)
ZONE = CONFIG.landing_zones[0]
GROUP = GroupRef(EMEA, "dp-sales-orders-rg")
PRODUCT = DataProduct("lz-emea", "sales", "orders", "prd")
PURVIEW_MI = "99999999-0000-4000-8000-000000000001"
BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
CHAIN = ("lz-emea", "lz-emea-sales", "lz-emea-sales-orders-prd")


class Account:
    account = "dpgov-purview"


PURE_PORTS: Any = (Account(), object(), object())  # the pure core never calls them
ASPECT = PurviewAspect(CONFIG, *PURE_PORTS)


def resource(kind: str, name: str) -> ObservedResource:
    return ObservedResource(f"{GROUP.scope}/providers/{kind}/{name}", name, kind, "westeurope")


STORAGE = resource("Microsoft.Storage/storageAccounts", "stsalesorders")
SQL = resource("Microsoft.Sql/servers", "sql-sales-orders")
COSMOS = resource("Microsoft.DocumentDB/databaseAccounts", "cosmos-sales-orders")
PROPERTIES: dict[str, dict[str, Any]] = {
    STORAGE.id: {"isHnsEnabled": True, "primaryEndpoints": {"dfs": "https://stsalesorders.dfs.core.windows.net/"}},
    SQL.id: {"fullyQualifiedDomainName": "sql-sales-orders.database.windows.net"},
    COSMOS.id: {"documentEndpoint": "https://cosmos-sales-orders.documents.azure.com:443/"},
}


def desired(record: LedgerRecord | None = None) -> DesiredPurview:
    group = ObservedGroup(GROUP, "westeurope")
    return ASPECT.desire(Subject(ZONE, group, Identity(PRODUCT, "name", recorded=True), record))


def nothing_yet(*stores: ObservedResource) -> ObservedPurview:
    return ObservedPurview(
        {}, {}, {}, tuple(Store(s, PROPERTIES[s.id]) for s in stores), {}, None, None, PURVIEW_MI, ()
    )


def governed() -> ObservedPurview:
    """The state after the first plan ran: collections, the storage source with its scan, the grant."""
    collections = {
        name: ObservedCollection(name, name, parent, "Succeeded")
        for name, parent in zip(CHAIN, ("dpgov-purview", *CHAIN[:-1]), strict=True)
    }
    sources = [
        ObservedSource(source_name(s), kind, s.id, CHAIN[-1], scans)
        for s, kind, scans in (
            (STORAGE, "AdlsGen2", (ObservedScan(scan_name(source_name(STORAGE)), "AdlsGen2Msi", CHAIN[-1]),)),
            (SQL, "AzureSqlDatabase", ()),
            (COSMOS, "AzureCosmosDb", ()),
        )
    ]
    grant = ObservedAssignment(
        role_assignment_name(STORAGE.id, PURVIEW_MI, BLOB_READER),
        STORAGE.id,
        PURVIEW_MI,
        "ServicePrincipal",
        BLOB_READER,
        "dpgov-purview: scanner",
    )
    policy = with_stewards(fresh_policy(CHAIN[1]), CHAIN[1], *stewards())
    attributes = dict(entity_body(CONFIG, PRODUCT, GROUP)["attributes"])
    return ObservedPurview(
        collections,
        {s.resource_id.lower(): s for s in sources},
        {s.name.lower(): s for s in sources},
        (Store(STORAGE), Store(SQL), Store(COSMOS)),
        {f"{source_name(STORAGE)}/{scan_name(source_name(STORAGE))}".lower(): True},
        policy,
        ObservedEntity("guid-1", "dpgov_data_product", GROUP.scope.lower(), attributes, "ACTIVE", CHAIN[-1]),
        PURVIEW_MI,
        (grant,),
    )


def stewards() -> tuple[tuple[Steward, ...], tuple[Steward, ...]]:
    sales = CONFIG.domains["sales"].purview
    return tuple(sales.data_curators), tuple(sales.data_readers)


def fresh_policy(collection: str) -> dict[str, Any]:
    """A new collection's policy: only the collection-admin rule and its permission rule."""
    admin = f"purviewmetadatarole_builtin_collection-administrator:{collection}"
    return {
        "name": f"policy_{collection}",
        "id": "c6639bb2-9c41-4be0-912b-775750e725de",
        "version": 3,
        "properties": {
            "attributeRules": [
                {
                    "kind": "attributerule",
                    "id": admin,
                    "name": admin,
                    "dnfCondition": [
                        [{"attributeName": "principal.microsoft.id", "attributeValueIncludedIn": ["aaaa"]}]
                    ],
                },
                {
                    "kind": "attributerule",
                    "id": f"permission:{collection}",
                    "name": f"permission:{collection}",
                    "dnfCondition": [
                        [
                            {
                                "fromRule": admin,
                                "attributeName": "derived.purview.permission",
                                "attributeValueIncludes": admin,
                            }
                        ]
                    ],
                },
            ],
            "collection": {"type": "CollectionReference", "referenceName": collection},
        },
    }


def test_a_new_product_gets_its_collections_sources_grant_scan_and_entity_in_dependency_order() -> None:
    plan = diff_purview(desired(), nothing_yet(STORAGE, SQL, COSMOS))

    kinds = [type(a).__name__ for a in plan.actions]
    assert kinds == [
        "PutCollection",
        "PutCollection",
        "PutCollection",
        "GrantStewards",
        "RegisterSource",
        "GrantScanner",
        "PutScan",
        "PutTrigger",
        "RegisterSource",
        "RegisterSource",
        "PutEntity",
    ]
    collections = [a for a in plan.actions if isinstance(a, PutCollection)]
    assert [(c.collection.name, c.collection.parent) for c in collections] == [
        ("lz-emea", "dpgov-purview"),
        ("lz-emea-sales", "lz-emea"),
        ("lz-emea-sales-orders-prd", "lz-emea-sales"),
    ]
    storage = next(a for a in plan.actions if isinstance(a, RegisterSource) and a.resource_id == STORAGE.id)
    assert storage.body["kind"] == "AdlsGen2"
    assert storage.body["properties"]["endpoint"] == "https://stsalesorders.dfs.core.windows.net/"
    assert storage.body["properties"]["collection"]["referenceName"] == "lz-emea-sales-orders-prd"
    (grant,) = [a for a in plan.actions if isinstance(a, GrantScanner)]
    assert (grant.grant.scope, grant.grant.principal_id, grant.grant.role_guid) == (STORAGE.id, PURVIEW_MI, BLOB_READER)
    (scan,) = [a for a in plan.actions if isinstance(a, PutScan)]
    assert scan.body["kind"] == "AdlsGen2Msi"
    assert scan.body["properties"]["collection"]["referenceName"] == "lz-emea-sales-orders-prd", "never out of bounds"
    assert scan.depends_on == {storage.key, grant.key}
    # collections → source → scan → trigger (the grant runs alongside the first collection).
    assert [len(wave) for wave in Plan(plan.actions).waves()] == [2, 1, 2, 4, 1, 1]


def test_stores_purview_cannot_scan_alone_are_registered_and_blocked_with_the_next_step() -> None:
    plan = diff_purview(desired(), nothing_yet(SQL, COSMOS))

    blocked = [f for f in plan.findings if f.kind is FindingKind.BLOCKED]
    assert [f.reason for f in blocked] == ["CredentialRequired", "CredentialRequired"]
    assert "CREATE USER [dpgov-purview] FROM EXTERNAL PROVIDER" in blocked[0].message
    assert "AccountKey credential" in blocked[1].message
    assert not any(isinstance(a, PutScan) for a in plan.actions)


def test_a_governed_product_plans_nothing() -> None:
    record = LedgerRecord(
        GROUP,
        PRODUCT,
        "name",
        datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        tuple(Artifact("purview", "source", source_name(s)) for s in (STORAGE, SQL, COSMOS)),
    )
    plan = diff_purview(desired(record), governed())

    assert plan.actions == ()
    assert [f.reason for f in plan.findings] == ["CredentialRequired", "CredentialRequired"]


def test_a_store_deleted_from_a_live_product_loses_its_source() -> None:
    record = LedgerRecord(
        GROUP,
        PRODUCT,
        "name",
        datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        tuple(Artifact("purview", "source", source_name(s)) for s in (STORAGE, SQL, COSMOS)),
    )
    state = governed()
    without_sql = ObservedPurview(
        state.collections,
        state.sources,
        state.named,
        (Store(STORAGE), Store(COSMOS)),
        state.triggers,
        state.policy,
        state.entity,
        PURVIEW_MI,
        state.grants,
    )

    plan = diff_purview(desired(record), without_sql)

    assert [(type(a), getattr(a, "name", None)) for a in plan.actions] == [(RemoveSource, source_name(SQL))]


def test_a_source_someone_else_registered_is_reported_not_duplicated() -> None:
    theirs = ObservedSource("AzureDataLakeStorage-abc", "AdlsGen2", STORAGE.id, "finance", ())
    state = nothing_yet(STORAGE)
    observed = ObservedPurview(
        {}, {STORAGE.id.lower(): theirs}, {theirs.name.lower(): theirs}, state.stores, {}, None, None, PURVIEW_MI, ()
    )

    plan = diff_purview(desired(), observed)

    assert not any(isinstance(a, RegisterSource | PutScan | GrantScanner) for a in plan.actions)
    assert [f.reason for f in plan.findings] == ["SourceRegisteredElsewhere"]


def test_stewards_join_their_roles_once_and_other_principals_stay() -> None:
    curators, readers = stewards()

    updated = with_stewards(fresh_policy(CHAIN[1]), CHAIN[1], curators, readers)

    assert updated is not None
    rules = {rule["id"]: rule for rule in updated["properties"]["attributeRules"]}
    curator = rules[f"{CURATOR}:{CHAIN[1]}"]["dnfCondition"]
    assert curator == [
        [
            {
                "attributeName": "principal.microsoft.groups",
                "attributeValueIncludedIn": ["44444444-4444-4444-8444-444444444444"],
            },
            {"fromRule": CURATOR, "attributeName": "derived.purview.role", "attributeValueIncludes": CURATOR},
        ]
    ]
    assert f"{READER}:{CHAIN[1]}" in rules
    permission = rules[f"permission:{CHAIN[1]}"]["dnfCondition"]
    assert [clause[0].get("fromRule") for clause in permission][1:] == [f"{CURATOR}:{CHAIN[1]}", f"{READER}:{CHAIN[1]}"]
    assert rules[f"purviewmetadatarole_builtin_collection-administrator:{CHAIN[1]}"]["dnfCondition"][0][0][
        "attributeValueIncludedIn"
    ] == ["aaaa"]
    assert with_stewards(updated, CHAIN[1], curators, readers) is None, "idempotent"


def test_the_observed_policy_is_never_changed_by_planning() -> None:
    """One domain's policy is read once per run and shared by its products: each plans the same update."""
    curators, readers = stewards()
    someone = Steward(principal_id="66666666-6666-4666-8666-666666666666", principal_type="Group")
    observed = with_stewards(fresh_policy(CHAIN[1]), CHAIN[1], (someone,), ())
    assert observed is not None
    as_read = copy.deepcopy(observed)

    first = with_stewards(observed, CHAIN[1], curators, readers)

    assert observed == as_read
    assert first is not None
    assert with_stewards(observed, CHAIN[1], curators, readers) == first


def test_a_policy_without_the_stewards_plans_one_update() -> None:
    state = governed()
    stale = ObservedPurview(
        state.collections,
        state.sources,
        state.named,
        state.stores,
        state.triggers,
        fresh_policy(CHAIN[1]),
        state.entity,
        PURVIEW_MI,
        state.grants,
    )

    plan = diff_purview(desired(), stale)

    assert [type(a) for a in plan.actions] == [GrantStewards]


def test_a_gone_product_loses_its_sources_and_its_entity_is_marked_retired() -> None:
    record = LedgerRecord(
        GROUP,
        PRODUCT,
        "name",
        datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        (Artifact("purview", "source", "dpgov-a"), Artifact("purview", "entity", GROUP.scope.lower())),
    )

    plan = ASPECT.retire(record)

    removal, retirement = plan.actions
    assert isinstance(removal, RemoveSource)
    assert removal.name == "dpgov-a"
    assert isinstance(retirement, PutEntity)
    assert retirement.entity["attributes"]["lifecycle"] == "retired"
    settings = CONFIG.purview_settings().model_copy(update={"retired_entity": "delete"})
    deleting = PurviewAspect(CONFIG.model_copy(update={"purview": settings}), *PURE_PORTS)
    assert [type(a) for a in deleting.retire(record).actions] == [RemoveSource, RemoveEntity]


def test_the_timer_trusts_a_recorded_entity_only_while_the_config_still_wants_it_as_written() -> None:
    group = ObservedGroup(GROUP, "westeurope")
    wanted = desired()
    written = PutEntity(wanted.entity, wanted.source_collection).artifact
    record = LedgerRecord(GROUP, PRODUCT, "name", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), (written,))
    subject = Subject(ZONE, group, Identity(PRODUCT, "name", recorded=True), record)
    sales = CONFIG.domains["sales"].model_copy(update={"owner": "new-owner@contoso.com"})
    changed = CONFIG.model_copy(update={"domains": {**CONFIG.domains, "sales": sales}})
    after_change = PurviewAspect(changed, *PURE_PORTS)

    assert ASPECT.entity_recorded(subject) is True
    assert after_change.entity_recorded(subject) is False, "a new owner: read the entity and repair it"
    repair = diff_purview(after_change.desire(subject), governed())
    (put,) = [a for a in repair.actions if isinstance(a, PutEntity)]
    assert put.replaces == (written,), "the ledger's old record is replaced by the new one"
