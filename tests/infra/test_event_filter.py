"""The event subscription delivers exactly the operations the function acts on, within Event Grid's limits."""

from __future__ import annotations

from typing import Any

import pytest
from azure.functions.decorators.function_app import Function

from shared.aspects.purview import STORE_KINDS
from shared.aspects.rbac import ML_WORKSPACES
from shared.config import GovernanceConfig
from shared.events import (
    GOVERNED_OPERATIONS,
    GROUP_OPERATIONS,
    HANDLED_EVENT_TYPES,
    TAG_OPERATIONS,
    ReconcileRequest,
    ResourceEvent,
    route_event,
)
from tests.infra.bicep import parameter, resource, variable

# Event Grid: at most 25 advanced filters, and 25 values across all of them, per event subscription.
MAX_ADVANCED_FILTERS = 25
MAX_FILTER_VALUES = 25
MAX_VALUE_LENGTH = 512
APP_ID = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
SOMEONE_ELSE = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"


def acted_on() -> set[str]:
    """The operations shared/events.py reconciles on, for the resource types the aspects govern."""
    governed_types = {kind.lower() for kind in STORE_KINDS} | {ML_WORKSPACES.lower()}
    resource_operations = {f"{kind}/{verb}" for kind in governed_types for verb in ("write", "delete")}
    return set(GROUP_OPERATIONS) | set(TAG_OPERATIONS) | set(GOVERNED_OPERATIONS) | resource_operations


def subscription() -> dict[str, Any]:
    properties: dict[str, Any] = resource("app/events.bicep", "toFunction")["properties"]
    return properties


def advanced_filters() -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = subscription()["filter"]["advancedFilters"]
    return filters


def filtered_operations() -> list[str]:
    (operation_filter,) = advanced_filters()
    assert operation_filter["operatorType"] == "StringIn"
    assert operation_filter["key"] == "data.operationName"
    assert operation_filter["values"] == "operationNames"
    names: list[str] = variable("app/events.bicep", "operationNames")
    return names


def test_operation_filter_is_exactly_what_the_function_acts_on() -> None:
    # Event Grid compares strings case-insensitively; shared/events.py lower-cases before comparing.
    assert {name.lower() for name in filtered_operations()} == acted_on()


def test_operation_filter_lists_each_operation_once() -> None:
    names = [name.lower() for name in filtered_operations()]

    assert len(names) == len(set(names)) == 24


def test_advanced_filters_respect_event_grids_limits() -> None:
    values = [value for name in filtered_operations() for value in [name]]

    assert len(advanced_filters()) <= MAX_ADVANCED_FILTERS
    assert len(values) <= MAX_FILTER_VALUES
    assert max(len(value) for value in values) <= MAX_VALUE_LENGTH


def test_included_event_types_are_those_the_function_handles() -> None:
    included = subscription()["filter"]["includedEventTypes"]

    assert {event_type.lower() for event_type in included} == set(HANDLED_EVENT_TYPES)


def _resource_uri(operation: str, group: str) -> str:
    base = f"/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/{group}"
    kind = operation.rsplit("/", 1)[0]
    if operation in GROUP_OPERATIONS:
        return base
    if operation in TAG_OPERATIONS:
        return f"{base}/providers/Microsoft.Resources/tags/default"
    return f"{base}/providers/{kind}/x1"


@pytest.mark.parametrize("operation", sorted(acted_on()))
def test_every_filtered_operation_reconciles_a_data_product_group(config: GovernanceConfig, operation: str) -> None:
    event = ResourceEvent(
        id="e1",
        event_type="Microsoft.Resources.ResourceWriteSuccess",
        subject="",
        operation_name=operation,
        resource_uri=_resource_uri(operation, "dp-sales-orders-rg"),
        caller_object_id=SOMEONE_ELSE,
    )

    assert isinstance(route_event(config, event, own_object_id=APP_ID), ReconcileRequest)


def test_destination_is_the_event_grid_triggered_function(app_functions: list[Function]) -> None:
    triggered = [
        function.get_function_name()
        for function in app_functions
        if any(binding.type == "eventGridTrigger" for binding in function.get_bindings())
    ]
    destination = subscription()["destination"]

    assert triggered == [parameter("app/events.bicep", "functionName")["default"]]
    assert destination["endpointType"] == "AzureFunction"
    assert destination["properties"]["resourceId"] == "${functionAppId}/functions/${functionName}"
    assert destination["properties"]["maxEventsPerBatch"] == 1
    assert subscription()["eventDeliverySchema"] == "EventGridSchema"


def test_delivery_retries_for_a_day_then_dead_letters_with_the_topics_identity() -> None:
    properties = subscription()
    dead_letter = properties["deadLetterWithResourceIdentity"]

    assert properties["retryPolicy"] == {"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440}
    assert dead_letter["identity"] == {"type": "SystemAssigned"}
    assert dead_letter["deadLetterDestination"] == {
        "endpointType": "StorageBlob",
        "properties": {"resourceId": "deadLetterStorageAccountId", "blobContainerName": "deadLetterContainerName"},
    }
