"""The HTTP way in: manual re-sync with dry-run, inventory, health, and clear errors on bad input."""

from __future__ import annotations

import pytest
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from tests.integration.conftest import AMER, EMEA, LocalAzure
from tests.integration.support import governed, tag_writes, tags_of


async def test_sync_one_group_applies_the_plan_and_reports_it(azure: LocalAzure, arm: ResourceManagementClient) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {"team": "orders"}})

    response = azure.post(f"dataproducts/{EMEA}/dp-sales-orders-rg/sync")

    assert response.status_code == 200
    report = response.json()
    assert report["outcome"] == "changed"
    assert report["data_product"] == {
        "landing_zone": "lz-emea",
        "domain": "sales",
        "product": "orders",
        "environment": "prd",
    }
    assert [action["kind"] for action in report["plan"] if action["aspect"] == "tags"] == ["merge_tags"]
    assert [(c["aspect"], c["status"]) for c in report["conditions"]] == [
        ("tags", "changed"),
        ("visualization", "changed"),
        ("rbac", "changed"),
        ("policy", "changed"),
        ("purview", "changed"),
        ("catalog", "changed"),
    ]
    assert report["identity"] == {"source": "name", "pinned": False}
    assert await tags_of(arm, "dp-sales-orders-rg") == {"team": "orders", **governed("sales", "orders")}


async def test_dry_run_returns_the_plan_and_writes_nothing(azure: LocalAzure, arm: ResourceManagementClient) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}, "dp-marketing-leads-rg": {}})

    one = azure.post(f"dataproducts/{EMEA}/dp-sales-orders-rg/sync", dryRun="true")
    everything = azure.sync_all(dryRun="true")

    assert one.status_code == 200
    assert one.json()["outcome"] == "planned"
    assert one.json()["plan"][0]["tags"] == dict(sorted(governed("sales", "orders").items()))
    assert everything.status_code == 200
    assert everything.json()["dry_run"] is True
    assert everything.json()["report"]["summary"]["planned"] == 2
    assert azure.control.request_summary().writes == 0
    assert await tags_of(arm, "dp-sales-orders-rg") == {}


def test_sync_all_then_again_reports_a_compliant_estate_with_zero_writes(azure: LocalAzure) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}, "dp-sales-orders-dev-rg": {}, "misc-rg": {}})
    azure.control.seed_groups(AMER, {"dp-finance-ledger-rg": {}})

    first = azure.sync_all().json()["report"]
    azure.control.wait_for_deliveries_idle(timeout=30)  # the events of the app's own writes
    azure.control.clear_requests()
    second = azure.sync_all()

    assert first["summary"]["changed"] == 3
    assert second.status_code == 200
    assert second.json()["report"]["summary"]["compliant"] == 3
    # misc-rg, and the visualization groups the app made: both landing zones', and the dedicated one
    # of each orders product (the config gives "orders" its own in every environment).
    assert second.json()["report"]["summary"]["unclassified"] == 5
    summary = azure.control.request_summary()
    assert (summary.writes, summary.deletes, summary.purview_writes) == (0, 0, 0)


def test_inventory_lists_data_products_with_their_compliance(azure: LocalAzure) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}, "other-rg": {}})
    assert azure.post(f"dataproducts/{EMEA}/dp-sales-orders-rg/sync").status_code == 200
    azure.control.seed_groups(EMEA, {"dp-sales-leads-rg": {}})
    azure.control.clear_requests()

    response = azure.get("dataproducts")

    assert response.status_code == 200
    products = {p["resource_group"]: p for p in response.json()["data_products"]}
    assert products["dp-sales-orders-rg"]["compliant"] is True
    assert products["dp-sales-leads-rg"]["compliant"] is False
    assert products["dp-sales-leads-rg"]["pending"][0]["kind"] == "merge_tags"
    assert products["dp-sales-leads-rg"]["conditions"][0]["status"] == "planned"
    assert response.json()["summary"] == {
        "data_products": 2,
        "compliant": 1,
        "non_compliant": 1,
        "unclassified": 3,
        "conditions": {
            "tags": {"compliant": 1, "planned": 1},
            "visualization": {"compliant": 2},
            "rbac": {"compliant": 1, "planned": 1},
            "policy": {"compliant": 1, "planned": 1},
            "purview": {"compliant": 1, "planned": 1},
            "catalog": {"compliant": 1, "planned": 1},
        },
    }
    assert azure.get("dataproducts", landingZone="nowhere").status_code == 404
    assert azure.control.request_summary().writes == 0


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("dataproducts/not-a-guid/dp-sales-orders-rg/sync", {}, 400, "InvalidSubscriptionId"),
        (f"dataproducts/{EMEA}/bad*name/sync", {}, 400, "InvalidResourceGroupName"),
        (f"dataproducts/{EMEA}/ends-with-dot./sync", {}, 400, "InvalidResourceGroupName"),
        (f"dataproducts/{EMEA}/dp-sales-orders-rg/sync", {"dryRun": "maybe"}, 400, "InvalidQueryParameter"),
        ("dataproducts/33333333-3333-3333-3333-333333333333/dp-sales-orders-rg/sync", {}, 404, "UnknownLandingZone"),
        (f"dataproducts/{EMEA}/dp-sales-missing-rg/sync", {}, 404, "ResourceGroupNotFound"),
        ("sync", {"dryRun": "perhaps"}, 400, "InvalidQueryParameter"),
    ],
)
def test_bad_input_gets_a_json_error_and_changes_nothing(
    azure: LocalAzure, path: str, params: dict[str, str], status: int, code: str
) -> None:
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}})

    response = azure.post(path, **params)

    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == code
    assert azure.control.request_summary().writes == 0
    assert tag_writes(azure.control) == []


def test_health_is_anonymous_says_only_ok_and_does_not_call_azure(azure: LocalAzure) -> None:
    response = azure.get("health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert azure.control.request_summary().total == 0


def test_health_details_name_what_is_governed(azure: LocalAzure) -> None:
    response = azure.get("health/details")
    details = response.json()
    outcome_events = details.pop("outcome_events")

    assert response.status_code == 200
    assert set(outcome_events) == {"published", "failed", "repeated"}, "this instance's counts: the topic is set"
    assert details == {
        "status": "ok",
        "landing_zones": ["lz-emea", "lz-amer"],
        "domains": ["finance", "marketing", "sales"],
        "aspects": ["tags", "visualization", "rbac", "policy", "purview", "catalog"],
        "ledger_table": "dpgovledger",
        "tag_recognition": True,
    }
    assert azure.control.request_summary().total == 0


def test_azure_rejecting_an_action_is_a_terminal_failure_reported_not_retried(azure: LocalAzure) -> None:
    # ARM allows 50 tags per scope: 48 team tags leave no room for the 7 governed ones.
    crowded = {f"team-tag-{i:02d}": "x" for i in range(48)}
    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": crowded})

    response = azure.post(f"dataproducts/{EMEA}/dp-sales-orders-rg/sync")

    assert response.status_code == 502
    report = response.json()
    assert report["outcome"] == "failed"
    (result,) = [r for r in report["results"] if r["action"].startswith("tags:")]
    assert [(c["aspect"], c["status"]) for c in report["conditions"] if c["status"] == "failed"] == [("tags", "failed")]
    assert result["ok"] is False
    assert result["transient"] is False
    assert result["error"].startswith("HTTP 400")
    assert len(tag_writes(azure.control)) == 1, "a terminal failure is not retried"


def test_azure_failing_transiently_answers_503_with_retry_after(azure: LocalAzure) -> None:
    from emulator.client import FaultRule

    azure.control.seed_groups(EMEA, {"dp-sales-orders-rg": {}})
    azure.control.set_faults(
        [FaultRule(status=503, rate=1.0, count=4, method="GET", path="resourcegroups/dp-sales-orders-rg$")]
    )

    response = azure.post(f"dataproducts/{EMEA}/dp-sales-orders-rg/sync")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json()["error"]["code"] == "AzureUnavailable"
    assert tag_writes(azure.control) == []
