"""Replaying dead letters reconciles the groups their events name."""

from __future__ import annotations

from azure.functions.decorators.function_app import Function
from azure.functions.decorators.http import HttpTrigger

from infra.scripts.replay_dead_letters import groups_in, sync_url

SUB = "11111111-1111-1111-1111-111111111111"


def dead_letter(resource_uri: str | None, subject: str = "") -> dict[str, object]:
    data: dict[str, object] = {"operationName": "Microsoft.Storage/storageAccounts/write"}
    if resource_uri is not None:
        data["resourceUri"] = resource_uri
    return {
        "id": "e1",
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "subject": subject,
        "data": data,
        "deadLetterReason": "MaxDeliveryAttemptsExceeded",
        "deliveryAttempts": 30,
    }


def test_groups_come_from_each_events_resource_uri() -> None:
    document = [
        dead_letter(
            f"/subscriptions/{SUB.upper()}/resourceGroups/dp-sales-orders-rg/providers/Microsoft.Storage/storageAccounts/st1"
        ),
        dead_letter(f"/subscriptions/{SUB}/resourcegroups/dp-sales-leads-rg"),
        dead_letter(
            f"/subscriptions/{SUB}/resourceGroups/dp-sales-orders-rg/providers/Microsoft.Resources/tags/default"
        ),
    ]

    assert groups_in(document) == {(SUB, "dp-sales-orders-rg"), (SUB, "dp-sales-leads-rg")}


def test_the_subject_names_the_group_when_data_has_no_resource_uri() -> None:
    assert groups_in(dead_letter(None, subject=f"/subscriptions/{SUB}/resourceGroups/dp-a-b-rg")) == {
        (SUB, "dp-a-b-rg")
    }


def test_events_without_a_group_are_skipped() -> None:
    assert groups_in([dead_letter(f"/subscriptions/{SUB}"), "not an event", {"data": None}]) == set()


def test_replay_calls_the_group_sync_route() -> None:
    assert (
        sync_url("https://func-dpgov.azurewebsites.net/", SUB, "dp-sales-orders-rg")
        == f"https://func-dpgov.azurewebsites.net/api/dataproducts/{SUB}/dp-sales-orders-rg/sync"
    )


def test_the_sync_route_is_the_apps_post_route_for_one_group(app_functions: list[Function]) -> None:
    routes = {
        (binding.route, tuple(str(method.value) for method in binding.methods or ()))
        for function in app_functions
        for binding in function.get_bindings()
        if isinstance(binding, HttpTrigger)
    }

    assert ("dataproducts/{subscriptionId}/{resourceGroup}/sync", ("POST",)) in routes
