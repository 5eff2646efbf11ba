"""A pinned identity nobody can re-tag: the ledger in Azurite, the conflict, the operator's unpin.

The example config recognises groups by their team's tags too. The identity read at first
classification is pinned in the ledger (an Azure Table in the app's own storage account, Azurite
here, reached with the app's managed identity); a later retag is a ``conflict`` that is repaired back
and cannot change who pays. Everything goes through the SDKs, the emulator, Azurite and the host.
"""

from __future__ import annotations

from azure.data.tables.aio import TableClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource

from tests.integration.conftest import EMEA, LocalAzure, subscribe_events, unsubscribe_events
from tests.integration.support import governed, tags_of

CHURN = "churn-analytics"
SCOPE = f"/subscriptions/{EMEA}/resourceGroups/{CHURN}"


async def retag(team_arm: ResourceManagementClient, tags: dict[str, str]) -> None:
    patch = TagsPatchResource(operation="Merge", properties=Tags(tags=tags))
    await (await team_arm.tags.begin_update_at_scope(SCOPE, patch)).result()


async def test_a_tag_recognised_product_is_pinned_in_the_ledger_at_first_sight(
    azure: LocalAzure, arm: ResourceManagementClient, ledger_table: TableClient
) -> None:
    tags = {"DataDomain": "sales", "DataProduct": "churn", "Environment": "dev"}
    await arm.resource_groups.create_or_update(CHURN, {"location": "westeurope", "tags": tags})
    azure.control.wait_for_deliveries_idle(timeout=15)

    entity = await ledger_table.get_entity(EMEA, CHURN)

    assert (entity["Domain"], entity["Product"], entity["Environment"], entity["IdentitySource"]) == (
        "sales",
        "churn",
        "dev",
        "tags",
    )
    assert await tags_of(arm, CHURN) == governed("sales", "churn", "dev")


async def test_a_retag_to_another_domain_is_a_conflict_and_cannot_choose_who_pays(
    azure: LocalAzure, arm: ResourceManagementClient, team_arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update(
        CHURN, {"location": "westeurope", "tags": {"DataDomain": "sales", "DataProduct": "churn"}}
    )
    azure.control.wait_for_deliveries_idle(timeout=15)
    unsubscribe_events(azure)  # the retag's event gets lost

    await retag(team_arm, {"DataDomain": "finance", "CostCenter": "CC-3001"})
    plan = azure.post(f"dataproducts/{EMEA}/{CHURN}/sync", dryRun="true").json()
    synced = azure.post(f"dataproducts/{EMEA}/{CHURN}/sync").json()
    again = azure.post(f"dataproducts/{EMEA}/{CHURN}/sync").json()

    tags = plan["conditions"][0]
    assert [c["status"] for c in plan["conditions"][1:]] == ["compliant"] * 5, "the retag changes nothing else"
    assert (tags["status"], tags["reason"]) == ("conflict", "RetaggedIdentity")
    assert tags["message"] == "tags claim finance/churn (prd) but the product is pinned as sales/churn (prd)"
    assert plan["identity"]["conflict"]["pinned"]["domain"] == "sales"
    assert plan["identity"]["conflict"]["claimed"]["domain"] == "finance"
    assert plan["plan"] == [
        {
            "key": f"tags:/subscriptions/{EMEA}/resourcegroups/{CHURN}",
            "kind": "merge_tags",
            "aspect": "tags",
            "scope": f"/subscriptions/{EMEA}/resourceGroups/{CHURN}",
            "tags": {"CostCenter": "CC-1001", "DataDomain": "sales"},
            "depends_on": [],
        }
    ]
    assert synced["conditions"][0]["status"] == "conflict"
    assert synced["data_product"]["domain"] == "sales"
    assert await tags_of(arm, CHURN) == governed("sales", "churn")
    assert again["outcome"] == "compliant"


async def test_a_retag_is_repaired_by_its_own_event(
    azure: LocalAzure, arm: ResourceManagementClient, team_arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update(
        CHURN, {"location": "westeurope", "tags": {"DataDomain": "sales", "DataProduct": "churn"}}
    )
    azure.control.wait_for_deliveries_idle(timeout=15)

    await retag(team_arm, {"DataDomain": "marketing"})
    azure.control.wait_for_deliveries_idle(timeout=15)

    assert await tags_of(arm, CHURN) == governed("sales", "churn")


async def test_an_operator_unpins_and_the_next_reconcile_pins_what_the_tags_say_then(
    azure: LocalAzure, arm: ResourceManagementClient, team_arm: ResourceManagementClient, ledger_table: TableClient
) -> None:
    await arm.resource_groups.create_or_update(
        CHURN, {"location": "westeurope", "tags": {"DataDomain": "sales", "DataProduct": "churn"}}
    )
    azure.control.wait_for_deliveries_idle(timeout=15)
    unsubscribe_events(azure)
    await retag(team_arm, {"DataDomain": "marketing"})

    unpinned = azure.delete(f"dataproducts/{EMEA}/{CHURN}/pin")
    missing = azure.delete(f"dataproducts/{EMEA}/{CHURN}/pin")
    synced = azure.post(f"dataproducts/{EMEA}/{CHURN}/sync").json()

    assert unpinned.status_code == 200
    assert unpinned.json()["unpinned"]["domain"] == "sales"
    retired = {a["kind"] for a in unpinned.json()["retired"]["plan"]}
    assert retired == {"put_entity", "expire_product"}, "what was made under the old identity is retired first"
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "PinNotFound"
    assert synced["data_product"]["domain"] == "marketing"
    assert synced["conditions"][0]["status"] == "changed"
    assert (await ledger_table.get_entity(EMEA, CHURN))["Domain"] == "marketing"
    assert await tags_of(arm, CHURN) == governed("marketing", "churn")
    subscribe_events(azure)


def test_a_name_recognised_product_has_no_pin_to_remove(azure: LocalAzure) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}})
    azure.post(f"dataproducts/{EMEA}/dp-sales-orders-rg/sync")

    refused = azure.delete(f"dataproducts/{EMEA}/dp-sales-orders-rg/pin")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "UnpinRefused"


async def test_every_request_of_one_event_carries_the_event_id(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update("dp-sales-orders-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)
    azure.control.clear_requests()

    await arm.resource_groups.create_or_update("dp-sales-orders-rg", {"location": "westeurope", "tags": {"x": "y"}})
    azure.control.wait_for_deliveries_idle(timeout=15)

    group_writes = [d for d in azure.control.deliveries() if d.operation_name.endswith("resourceGroups/write")]
    app_requests = [
        entry
        for entry in azure.control.requests_log()
        if entry.request_class != "token" and entry.operation != "ResourceGroups_CreateOrUpdate"
    ]
    operations = {entry.operation for entry in app_requests}
    assert {"ResourceGroups_Get", "Tags_UpdateAtScope"} <= operations, (
        "the reconcile read the group and repaired its tags"
    )
    assert {entry.client_request_id for entry in app_requests} == {group_writes[-1].event_id}
