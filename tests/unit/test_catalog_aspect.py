"""The Unified Catalog aspect's pure core: what it wants, what it plans, what it leaves to people."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.aspects.base import Disposition, FindingKind, Subject
from shared.aspects.catalog import (
    PRODUCT_NAMESPACE,
    CatalogAspect,
    CatalogIgnoredProductId,
    CatalogNotReady,
    CreateDomain,
    CreateProduct,
    DesiredCatalog,
    LinkAsset,
    ObservedCatalog,
    PutStoreAsset,
    RetireProduct,
    StoreAsset,
    StoreState,
    UnlinkAsset,
    UpdateProduct,
    _repaired,
    diff_catalog,
    domain_id,
    find_domain,
    product_id,
    store_asset,
)
from shared.aspects.purview import collection_key
from shared.azure.unified_catalog import BusinessDomain, DataProduct
from shared.config import load_config
from shared.errors import is_azure_error
from shared.identity import Identity
from shared.ledger import Artifact, LedgerRecord
from shared.model import DataProduct as ProductIdentity
from shared.model import GroupRef, ObservedGroup, ObservedResource
from tests.unit.conftest import EXAMPLE_CONFIG
from tests.unit.fakes import EMEA, arm_error

CONFIG = load_config(EXAMPLE_CONFIG)
ZONE = CONFIG.landing_zones[0]
GROUP = GroupRef(EMEA, "dp-sales-orders-rg")
ORDERS = ProductIdentity("lz-emea", "sales", "orders", "prd")
FORECAST = ProductIdentity("lz-emea", "sales", "forecast", "prd")
PRODUCT_COLLECTION = "lz-emea-sales-orders-prd"
DOMAIN_OWNER = "44444444-4444-4444-8444-444444444444"
PRODUCT_OWNER = "77777777-7777-4777-8777-777777777777"
DOMAIN_ID = "0f0e0d0c-0b0a-4908-8706-050403020100"


class DataMap:
    account = "dpgov-purview"


PURE: Any = object()  # the pure core never calls the catalog
ASPECT = CatalogAspect(CONFIG, PURE, DataMap())  # type: ignore[arg-type]
STORAGE = ObservedResource(
    f"{GROUP.scope}/providers/Microsoft.Storage/storageAccounts/stsalesorders",
    "stsalesorders",
    "Microsoft.Storage/storageAccounts",
    "westeurope",
)


def _store() -> StoreAsset:
    found = store_asset(STORAGE)
    assert found is not None
    return found


STORE = _store()


def desire(
    product: ProductIdentity = ORDERS, artifacts: tuple[Artifact, ...] = (), group: GroupRef = GROUP
) -> DesiredCatalog:
    record = LedgerRecord(group, product, "name", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), artifacts)
    observed = ObservedGroup(group, "westeurope")
    return ASPECT.desire(Subject(ZONE, observed, Identity(product, "name", recorded=True), record))


def domain(status: str = "PUBLISHED") -> BusinessDomain:
    return BusinessDomain.model_validate({"id": DOMAIN_ID, "name": "Sales", "type": "DataDomain", "status": status})


def as_created(desired: DesiredCatalog, **extra: Any) -> DataProduct:
    """The product as the catalog holds it after the app created it (plus server and curator fields)."""
    body = desired.product.model_dump(by_alias=True, exclude_none=True)
    body.update({"domain": DOMAIN_ID, "systemData": {"createdAt": "2026-11-27T00:00:00Z"}}, **extra)
    return DataProduct.model_validate(body)


RECORDED = (Artifact("catalog", "product", product_id(GROUP)), STORE.artifact)
LINKED = (StoreState(STORE, in_data_map=True, linked=True),)


def test_the_product_id_is_uuid5_of_the_groups_resource_id_whatever_its_case() -> None:
    expected = str(uuid.uuid5(PRODUCT_NAMESPACE, GROUP.scope.lower()))
    assert product_id(GROUP) == expected
    assert product_id(GroupRef(EMEA.upper(), "DP-SALES-ORDERS-RG")) == expected


def test_desire_takes_owners_from_domain_and_product_and_governed_fields_from_the_config() -> None:
    desired = desire()
    assert desired.owners == (DOMAIN_OWNER, PRODUCT_OWNER)
    assert desired.governed == {
        "name": "orders (lz-emea, prd)",
        "type": "Operational",
        "businessUse": "Revenue reporting and demand forecasting.",
        "updateFrequency": "Daily",
    }
    assert desired.product.status == "DRAFT"
    assert desired.product.description == "Every confirmed sales order, one row per order line."
    assert desired.domain.name == "Sales"
    assert desired.domain.status == "PUBLISHED"
    assert not desired.adopted
    assert desired.collection == PRODUCT_COLLECTION


def test_a_product_without_catalog_settings_gets_the_default_type_and_the_domains_owners() -> None:
    desired = desire(FORECAST, group=GroupRef(EMEA, "dp-sales-forecast-rg"))
    assert desired.governed == {"name": "forecast (lz-emea, prd)", "type": "Analytical"}
    assert desired.owners == (DOMAIN_OWNER,)
    assert desired.product.description is None


def test_a_new_product_creates_domain_product_store_asset_and_link_in_dependency_order() -> None:
    desired = desire(artifacts=())
    plan = diff_catalog(desired, ObservedCatalog(None, None, (StoreState(STORE, in_data_map=False, linked=False),)))
    create_domain, create_product, put, link = plan.actions
    assert isinstance(create_domain, CreateDomain)
    assert create_domain.domain.name == "Sales"
    assert isinstance(create_product, CreateProduct)
    assert create_product.domain_from == create_domain.key
    assert create_product.depends_on == {create_domain.key}
    assert create_product.product.status == "DRAFT"
    assert isinstance(put, PutStoreAsset)
    assert put.collection == PRODUCT_COLLECTION
    assert put.depends_on == {collection_key(PRODUCT_COLLECTION)}
    assert put.entity() == {
        "typeName": "azure_storage_account",
        "attributes": {"qualifiedName": "https://stsalesorders.core.windows.net", "name": "stsalesorders"},
    }
    assert isinstance(link, LinkAsset)
    assert link.depends_on == {create_product.key, put.key}
    assert plan.findings == ()


def test_a_governed_product_plans_nothing() -> None:
    desired = desire(artifacts=RECORDED)
    observed = ObservedCatalog(domain(), as_created(desired), (StoreState(STORE, in_data_map=True, linked=True),))
    assert diff_catalog(desired, observed).actions == ()


def test_curators_description_terms_and_extra_owners_are_not_drift() -> None:
    desired = desire(artifacts=RECORDED)
    created = as_created(
        desired,
        description="Curated: orders since 2019.",
        termsOfUse=[{"url": "https://contoso.example/terms", "name": "Terms"}],
        status="PUBLISHED",
    )
    contacts = created.body()["contacts"]
    contacts["owner"].append({"id": "12121212-1212-4212-8212-121212121212", "description": "curator"})
    curated = DataProduct.model_validate({**created.body(), "contacts": contacts})
    observed = ObservedCatalog(domain(), curated, (StoreState(STORE, in_data_map=True, linked=True),))
    assert diff_catalog(desired, observed).actions == ()


def test_a_governed_field_changed_by_hand_is_set_back_and_nothing_else_is_touched() -> None:
    desired = desire(artifacts=RECORDED)
    drifted = as_created(desired, type="Reference", description="Curated.", documentation=[{"url": "u", "name": "n"}])
    (update,) = diff_catalog(desired, ObservedCatalog(domain(), drifted, LINKED)).actions
    assert isinstance(update, UpdateProduct)
    assert update.changes == {"type": "Operational"}
    repaired = _repaired(drifted, update.changes, update.add_owners).body()
    assert repaired["type"] == "Operational"
    assert repaired["description"] == "Curated."
    assert repaired["documentation"] == [{"url": "u", "name": "n"}]
    assert "systemData" not in repaired


def test_a_product_the_app_expired_comes_back_with_its_group_under_its_own_name() -> None:
    desired = desire(artifacts=())  # retirement forgot the product in the ledger
    retired = as_created(desired, status="EXPIRED", name="orders (lz-emea, prd) (retired 2026-11-01)")
    plan = diff_catalog(desired, ObservedCatalog(domain(), retired, (StoreState(STORE, True, True),)))
    update = plan.actions[0]
    assert isinstance(update, UpdateProduct)
    assert update.changes == {"status": "DRAFT", "name": "orders (lz-emea, prd)"}


def test_a_product_a_person_expired_while_its_group_lives_stays_expired() -> None:
    desired = desire(artifacts=RECORDED)
    observed = ObservedCatalog(domain(), as_created(desired, status="EXPIRED"), LINKED)
    assert diff_catalog(desired, observed).actions == ()


def test_repairing_owners_twice_lists_each_owner_once() -> None:
    desired = desire(artifacts=RECORDED)
    once = _repaired(as_created(desired), {}, (PRODUCT_OWNER, "12121212-1212-4212-8212-121212121212"))
    assert sorted(c.id for c in (once.contacts.owner if once.contacts else ())) == [
        "12121212-1212-4212-8212-121212121212",
        DOMAIN_OWNER,
        PRODUCT_OWNER,
    ]


def test_a_same_named_sub_domain_is_not_taken_for_the_governance_domain() -> None:
    desired = desire(artifacts=RECORDED)
    nested = BusinessDomain.model_validate({"id": DOMAIN_ID, "name": "Sales", "parentId": str(uuid.uuid4())})
    assert find_domain(desired.domain, [nested]) is None
    top = BusinessDomain.model_validate({"id": str(uuid.uuid4()), "name": "sales"})
    assert find_domain(desired.domain, [nested, top]) == top
    assert desired.domain.id == domain_id("Sales"), "created domains carry an id every instance agrees on"


def test_a_linked_store_the_ledger_does_not_record_is_recorded_not_linked_again() -> None:
    desired = desire(artifacts=RECORDED[:1])
    (link,) = diff_catalog(desired, ObservedCatalog(domain(), as_created(desired), LINKED)).actions
    assert isinstance(link, LinkAsset)
    assert link.observed_linked
    assert link.describe() == "record stsalesorders as a data asset of the catalog data product"


def test_publishing_in_an_unpublished_domain_is_blocked_and_the_product_is_created_as_a_draft() -> None:
    published = CONFIG.model_copy(
        update={"unified_catalog": CONFIG.unified_catalog.model_copy(update={"new_product_status": "PUBLISHED"})}
    )
    aspect = CatalogAspect(published, PURE, DataMap())  # type: ignore[arg-type]
    record = LedgerRecord(GROUP, ORDERS, "name", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    desired = aspect.desire(Subject(ZONE, ObservedGroup(GROUP, "westeurope"), Identity(ORDERS, "name", True), record))
    plan = diff_catalog(desired, ObservedCatalog(domain("DRAFT"), None, ()))
    (create,) = plan.actions
    assert isinstance(create, CreateProduct)
    assert create.product.status == "DRAFT"
    assert [(f.kind, f.reason) for f in plan.findings] == [(FindingKind.BLOCKED, "GovernanceDomainNotPublished")]


def test_an_adopted_domain_that_does_not_exist_blocks_the_product() -> None:
    sales = CONFIG.domains["sales"]
    adopted_domain = sales.model_copy(
        update={"unified_catalog": sales.unified_catalog.model_copy(update={"id": DOMAIN_ID})}
    )
    config = CONFIG.model_copy(update={"domains": {**CONFIG.domains, "sales": adopted_domain}})
    aspect = CatalogAspect(config, PURE, DataMap())  # type: ignore[arg-type]
    record = LedgerRecord(GROUP, ORDERS, "name", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    desired = aspect.desire(Subject(ZONE, ObservedGroup(GROUP, "westeurope"), Identity(ORDERS, "name", True), record))
    plan = diff_catalog(desired, ObservedCatalog(None, None, ()))
    assert plan.actions == ()
    assert [(f.kind, f.reason) for f in plan.findings] == [(FindingKind.BLOCKED, "GovernanceDomainNotFound")]


def test_a_store_that_left_the_group_is_unlinked_and_only_if_the_app_linked_it() -> None:
    desired = desire(artifacts=RECORDED)
    (unlink,) = diff_catalog(desired, ObservedCatalog(domain(), as_created(desired), ())).actions
    assert isinstance(unlink, UnlinkAsset)
    assert unlink.artifact == STORE.artifact
    unrecorded = desire(artifacts=RECORDED[:1])
    assert diff_catalog(unrecorded, ObservedCatalog(domain(), as_created(unrecorded), ())).actions == ()


def test_an_unlinked_store_whose_data_map_asset_exists_is_only_linked() -> None:
    desired = desire(artifacts=RECORDED[:1])
    observed = ObservedCatalog(domain(), as_created(desired), (StoreState(STORE, in_data_map=True, linked=False),))
    (link,) = diff_catalog(desired, observed).actions
    assert isinstance(link, LinkAsset)
    assert link.depends_on == frozenset()


def test_retirement_expires_the_product_by_its_id_even_when_the_ledger_lost_it() -> None:
    record = LedgerRecord(GROUP, ORDERS, "name", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), RECORDED)
    (retire,) = ASPECT.retire(record).actions
    assert retire == RetireProduct(product_id(GROUP), delete=False, forgotten=RECORDED)
    unrecorded = LedgerRecord(GROUP, ORDERS, "name", record.first_governed_at)
    assert ASPECT.retire(unrecorded).actions == (RetireProduct(product_id(GROUP), delete=False, forgotten=()),)


_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(min_size=1, max_size=20),
        "type": st.sampled_from(["Master", "Reference", "Operational", "AI"]),
        "businessUse": st.text(max_size=20),
        "updateFrequency": st.sampled_from(["Hourly", "Daily", "Weekly"]),
        "status": st.sampled_from(["DRAFT", "PUBLISHED", "EXPIRED"]),
        "description": st.text(max_size=20),
        "audience": st.lists(st.sampled_from(["DataAnalyst", "Executive"]), max_size=2),
    },
)


@given(edits=_FIELDS, drop_owners=st.booleans())
def test_any_hand_edit_converges_in_one_repair_and_keeps_what_people_own(
    edits: dict[str, Any], drop_owners: bool
) -> None:
    desired = desire(artifacts=RECORDED)
    edited = as_created(desired, **edits)
    if drop_owners:
        edited = edited.model_copy(update={"contacts": None})
    plan = diff_catalog(desired, ObservedCatalog(domain(), edited, LINKED))
    current = edited
    for action in plan.actions:
        if isinstance(action, UpdateProduct):
            current = _repaired(current, action.changes, action.add_owners)
    assert diff_catalog(desired, ObservedCatalog(domain(), current, LINKED)).actions == ()
    assert current.description == edited.description  # people's field, never overwritten
    assert current.model_extra == edited.model_extra  # fields the app does not model are kept
    if "status" in edits:
        assert current.status == edits["status"]  # publishing and expiring are people's calls


def test_what_a_failure_means_depends_on_the_action_and_the_catalogs_error_code() -> None:
    desired = desire(artifacts=())
    create_domain = CreateDomain(desired.domain)
    create_product = CreateProduct(desired.product)
    update = UpdateProduct(desired.product.id, desired.product.name, {"type": "Operational"})
    link = LinkAsset(STORE, desired.product.id)
    unlink = UnlinkAsset(STORE.artifact, desired.product.id)
    retire = RetireProduct(desired.product.id, delete=False, forgotten=())

    assert ASPECT.interpret(create_domain, arm_error(409, "DuplicateName")) is Disposition.TRANSIENT
    assert ASPECT.interpret(create_domain, arm_error(409, "AlreadyExists")) is Disposition.TRANSIENT
    assert ASPECT.interpret(create_product, arm_error(409, "AlreadyExists")) is Disposition.TRANSIENT
    assert ASPECT.interpret(create_product, arm_error(409, "DuplicateName")) is Disposition.TERMINAL
    assert ASPECT.interpret(create_product, arm_error(400, "DomainNotPublished")) is Disposition.TERMINAL
    assert ASPECT.interpret(create_product, CatalogIgnoredProductId("other id")) is Disposition.TERMINAL
    assert ASPECT.interpret(update, arm_error(404, "NotFound")) is Disposition.TRANSIENT
    assert ASPECT.interpret(link, arm_error(404, "NotFound")) is Disposition.TRANSIENT
    assert ASPECT.interpret(link, CatalogNotReady("no asset yet")) is Disposition.TRANSIENT
    assert ASPECT.interpret(unlink, arm_error(404, "NotFound")) is Disposition.DONE
    assert ASPECT.interpret(retire, arm_error(404, "NotFound")) is Disposition.DONE
    assert ASPECT.interpret(update, arm_error(429, "TooManyRequests")) is Disposition.TRANSIENT


def test_the_aspects_own_failures_are_azure_errors_the_reconciler_classifies() -> None:
    assert is_azure_error(CatalogNotReady("x"))
    assert is_azure_error(CatalogIgnoredProductId("x"))
