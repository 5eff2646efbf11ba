"""Resource Graph through azure-mgmt-resourcegraph: the query subset, paging, lag, quota headers, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resourcegraph.aio import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions, QueryResponse

from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints
from tests.emulator.conftest import OTHER_SUB, SUB, client_options

GROUPS = "resourcecontainers | where type =~ 'microsoft.resources/subscriptions/resourcegroups'"
QUERY_URL = "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01"


@pytest.fixture
async def graph(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> AsyncIterator[ResourceGraphClient]:
    async with ResourceGraphClient(credential, **client_options(emulator)) as client:
        yield client


async def query(graph: ResourceGraphClient, text: str, subscriptions: list[str], **options: Any) -> QueryResponse:
    request = QueryRequest(
        subscriptions=subscriptions, query=text, options=QueryRequestOptions(result_format="objectArray", **options)
    )
    return await graph.resources(request)


def rows(answer: QueryResponse) -> list[dict[str, Any]]:
    """``data`` of an objectArray answer (the SDK types it as a mapping)."""
    data: Any = answer.data
    return [dict(row) for row in data]


async def test_groups_are_answered_with_their_tags_lower_cased_type_and_only_the_named_subscriptions(
    graph: ResourceGraphClient, control: EmulatorControl
) -> None:
    control.seed_groups(SUB, {"rg-b": {"owner": "x"}, "rg-a": {}})
    control.seed_groups(OTHER_SUB, {"rg-other": {}})

    answer = await query(
        graph,
        f"{GROUPS} | where subscriptionId in ('{SUB}') | project id, name, subscriptionId, location, tags, properties, type"
        " | order by name asc",
        [SUB, OTHER_SUB],
    )

    assert (answer.total_records, answer.count, answer.result_truncated, answer.skip_token) == (2, 2, "false", None)
    assert rows(answer) == [
        {
            "id": f"/subscriptions/{SUB}/resourceGroups/rg-a",
            "name": "rg-a",
            "subscriptionId": SUB,
            "location": "westeurope",
            "tags": {},
            "properties": {"provisioningState": "Succeeded"},
            "type": "microsoft.resources/subscriptions/resourcegroups",
        },
        {
            "id": f"/subscriptions/{SUB}/resourceGroups/rg-b",
            "name": "rg-b",
            "subscriptionId": SUB,
            "location": "westeurope",
            "tags": {"owner": "x"},
            "properties": {"provisioningState": "Succeeded"},
            "type": "microsoft.resources/subscriptions/resourcegroups",
        },
    ]


async def test_the_request_subscriptions_scope_the_rows_and_the_table_holds_subscriptions_too(
    graph: ResourceGraphClient, control: EmulatorControl
) -> None:
    control.seed_groups(SUB, {"rg-a": {}})
    control.seed_groups(OTHER_SUB, {"rg-other": {}})

    everything = await query(
        graph, "resourcecontainers | project name, type | order by type asc, name asc", [OTHER_SUB]
    )

    assert rows(everything) == [
        {"name": OTHER_SUB, "type": "microsoft.resources/subscriptions"},
        {"name": "rg-other", "type": "microsoft.resources/subscriptions/resourcegroups"},
    ]


async def test_pages_of_top_rows_follow_the_skip_token_to_the_last_row(
    graph: ResourceGraphClient, control: EmulatorControl
) -> None:
    control.seed_groups(SUB, {f"rg-{index}": {} for index in range(5)})
    control.clear_requests()
    text = f"{GROUPS} | project id, name | order by name asc"

    pages: list[QueryResponse] = [await query(graph, text, [SUB], top=2)]
    while pages[-1].skip_token:
        pages.append(await query(graph, text, [SUB], top=2, skip_token=pages[-1].skip_token))

    assert [(page.total_records, page.count, page.result_truncated) for page in pages] == [
        (5, 2, "false"),
        (5, 2, "false"),
        (5, 1, "false"),
    ]
    assert [row["name"] for page in pages for row in rows(page)] == [f"rg-{index}" for index in range(5)]
    logged = [r for r in control.requests_log() if r.request_class != "token"]
    assert [(r.method, r.request_class, r.operation, r.status) for r in logged] == [
        ("POST", "read", "Resources", 200)
    ] * 3


async def test_rows_without_an_id_cannot_be_paged_so_the_result_is_truncated(
    graph: ResourceGraphClient, control: EmulatorControl
) -> None:
    control.seed_groups(SUB, {f"rg-{index}": {} for index in range(3)})

    answer = await query(graph, f"{GROUPS} | project name", [SUB], top=2)

    assert (answer.total_records, answer.count, answer.result_truncated, answer.skip_token) == (3, 2, "true", None)


async def test_a_group_created_after_the_snapshot_is_not_seen_until_the_lag_has_passed(
    graph: ResourceGraphClient, arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    control.seed_groups(SUB, {"rg-old": {}})
    control.set_resource_graph_lag(3600)
    await arm.resource_groups.create_or_update("rg-new", {"location": "westeurope"})

    lagging = await query(graph, f"{GROUPS} | project id, name", [SUB])
    control.set_resource_graph_lag(0)
    live = await query(graph, f"{GROUPS} | project id, name | order by name asc", [SUB])

    assert [row["name"] for row in rows(lagging)] == ["rg-old"]
    assert [row["name"] for row in rows(live)] == ["rg-new", "rg-old"]


async def test_every_answer_carries_the_user_quota_headers(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, token: str
) -> None:
    body = {"subscriptions": [SUB], "query": GROUPS}
    headers = {"Authorization": f"Bearer {token}"}

    async with http.post(emulator.url + QUERY_URL, json=body, headers=headers) as first:
        first_remaining = first.headers["x-ms-user-quota-remaining"]
        resets = first.headers["x-ms-user-quota-resets-after"]
    async with http.post(emulator.url + QUERY_URL, json=body, headers=headers) as second:
        second_remaining = second.headers["x-ms-user-quota-remaining"]

    assert (first.status, first_remaining, second_remaining) == (200, "14", "13")
    assert resets == "00:00:05"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Resources | project id", "UnsupportedTable"),
        (f"{GROUPS} | extend x = name", "UnsupportedOperator"),
        (f"{GROUPS} | where name contains 'a'", "UnsupportedOperator"),
        (f"{GROUPS} | project id, nosuchcolumn", "FailedToResolveScalarExpression"),
        (f"{GROUPS} | project id | where name =~ 'a'", "FailedToResolveScalarExpression"),
        (f"{GROUPS} | where name =~ 'unterminated", "ParserFailure"),
    ],
)
async def test_a_query_outside_the_subset_is_refused_with_resource_graphs_error_shape(
    emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str, text: str, detail: str
) -> None:
    body = {"subscriptions": [SUB], "query": text, "options": {"resultFormat": "objectArray"}}

    async with http.post(emulator.url + QUERY_URL, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
        answer = await response.json()

    assert response.status == 400
    assert answer["error"]["code"] == "BadRequest"
    assert [d["code"] for d in answer["error"]["details"]] == ["InvalidQuery", detail]


async def test_the_sdk_raises_the_refusal_as_an_http_response_error(graph: ResourceGraphClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await query(graph, f"{GROUPS} | summarize count()", [SUB])

    assert (raised.value.status_code, raised.value.error.code if raised.value.error else None) == (400, "BadRequest")


async def test_a_page_larger_than_a_thousand_rows_is_refused(graph: ResourceGraphClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await query(graph, GROUPS, [SUB], top=1001)

    assert raised.value.status_code == 400
