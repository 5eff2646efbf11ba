"""Resource Graph through azure-mgmt-resourcegraph: its three tables, the query subset, paging, lag, quota headers, errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.policy.models import PolicyAssignment
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resourcegraph.aio import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions, QueryResponse

from emulator.client import EmulatorControl, SeedResource, SeedResourceGroup, SeedSubscription
from emulator.process import EmulatorEndpoints
from tests.emulator.access_support import (
    APP_PRINCIPAL,
    CONTRIBUTOR,
    GROUP_PRINCIPAL,
    NAME_1,
    NAME_2,
    READER,
    REQUIRE_TAG,
    SUB_SCOPE,
    USER_PRINCIPAL,
    add_principals,
    builtin_policy,
    group_scope,
    role_id,
)
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


async def test_later_pages_are_cut_from_the_first_pages_result(
    graph: ResourceGraphClient, control: EmulatorControl
) -> None:
    """A group created between pages (sorting first) neither shifts nor repeats a row of the pages to come."""
    control.seed_groups(SUB, {f"rg-{index}": {} for index in range(1, 5)})
    text = f"{GROUPS} | project id, name | order by name asc"

    first = await query(graph, text, [SUB], top=2)
    control.seed_groups(SUB, {"rg-0": {}})
    second = await query(graph, text, [SUB], top=2, skip_token=first.skip_token)
    again = await query(graph, text, [SUB], top=2)

    assert [row["name"] for page in (first, second) for row in rows(page)] == ["rg-1", "rg-2", "rg-3", "rg-4"]
    assert (second.total_records, second.skip_token) == (4, None)
    assert [row["name"] for row in rows(again)] == ["rg-0", "rg-1"], "a new query sees the group"


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


# -- authorizationresources and policyresources ------------------------------------------------------

# The app's queries, verbatim (it sends them with $top 1000 and follows $skipToken).
ROLE_ASSIGNMENTS = (
    "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' and resourceGroup != '' "
    "| project id, name, subscriptionId, resourceGroup, properties"
)
POLICY_ASSIGNMENTS = (
    "policyresources | where type =~ 'microsoft.authorization/policyassignments' and resourceGroup != '' "
    "| project id, name, subscriptionId, resourceGroup, location, identity, properties"
)
APP_GROUPS = (
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions/resourcegroups' "
    "| project id, name, subscriptionId, location, tags, properties"
)
WORKSPACE_TYPE = "Microsoft.MachineLearningServices/workspaces"
GROUP_A = group_scope("rg-a")
GROUP_B = group_scope("RG-B")
WORKSPACE = f"{GROUP_A}/providers/{WORKSPACE_TYPE}/ws1"
ROLE_API = "api-version=2022-04-01"
POLICY_API = "api-version=2023-04-01"


@pytest.fixture
def estate(control: EmulatorControl) -> None:
    """rg-a (holding a workspace) and RG-B in SUB, rg-other in OTHER_SUB, and the example principals."""
    control.seed(
        [
            SeedSubscription(
                SUB,
                resource_groups=[
                    SeedResourceGroup("rg-a", resources=[SeedResource(WORKSPACE_TYPE, "ws1")]),
                    SeedResourceGroup("RG-B"),
                ],
            ),
            SeedSubscription(OTHER_SUB, resource_groups=[SeedResourceGroup("rg-other")]),
        ]
    )
    add_principals(control)


def grant(role: str = READER, principal: str = GROUP_PRINCIPAL, kind: str = "Group", **extra: Any) -> Any:
    return RoleAssignmentCreateParameters(
        role_definition_id=role_id(role), principal_id=principal, principal_type=kind, **extra
    )


def require_tag(**extra: Any) -> PolicyAssignment:
    properties: dict[str, Any] = {
        "policyDefinitionId": builtin_policy(REQUIRE_TAG),
        "displayName": "dpgov: cost centre",
    }
    properties |= {"parameters": {"tagName": {"value": "CostCenter"}}}
    return PolicyAssignment({**extra, "properties": properties | extra.pop("properties", {})})


ArmGet = Callable[[str], Awaitable[dict[str, Any]]]


@pytest.fixture
def arm_get(emulator: EmulatorEndpoints, http: aiohttp.ClientSession, token: str) -> ArmGet:
    """The body of ARM's GET of a URL (an id and its api-version), as the wire carries it."""

    async def get(url: str) -> dict[str, Any]:
        async with http.get(emulator.url + url, headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200, await response.text()
            body: dict[str, Any] = await response.json()
        return body

    return get


async def every_page(graph: ResourceGraphClient, text: str, top: int = 1000) -> list[QueryResponse]:
    """The answer's pages, following ``$skipToken`` as the app does."""
    pages = [await query(graph, text, [SUB, OTHER_SUB], top=top)]
    while pages[-1].skip_token:
        pages.append(await query(graph, text, [SUB, OTHER_SUB], top=top, skip_token=pages[-1].skip_token))
    return pages


@pytest.mark.usefixtures("estate")
@pytest.mark.parametrize(("text", "expected"), [(ROLE_ASSIGNMENTS, 1), (POLICY_ASSIGNMENTS, 1), (APP_GROUPS, 3)])
async def test_each_query_the_app_sends_is_served(
    graph: ResourceGraphClient,
    authorization: AuthorizationManagementClient,
    policy: PolicyClient,
    text: str,
    expected: int,
) -> None:
    await authorization.role_assignments.create(GROUP_A, NAME_1, grant())
    await policy.policy_assignments.create(GROUP_A, "tag-a", require_tag())

    pages = await every_page(graph, text)

    assert [(page.total_records, page.count, page.result_truncated) for page in pages] == [
        (expected, expected, "false")
    ]


@pytest.mark.usefixtures("estate")
async def test_a_group_scope_role_assignment_row_is_arms_get_of_it_with_the_group_lower_cased(
    graph: ResourceGraphClient,
    authorization: AuthorizationManagementClient,
    arm_get: ArmGet,
) -> None:
    condition = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})))"
    await authorization.role_assignments.create(
        GROUP_B, NAME_1, grant(description="dpgov: readers", condition=condition, condition_version="2.0")
    )
    got = await arm_get(f"{GROUP_B}/providers/Microsoft.Authorization/roleAssignments/{NAME_1}?{ROLE_API}")

    answer = await query(graph, ROLE_ASSIGNMENTS, [SUB], top=1000)

    assert rows(answer) == [
        {
            "id": got["id"],
            "name": got["name"],
            "subscriptionId": SUB,
            "resourceGroup": "rg-b",
            "properties": got["properties"],
        }
    ]
    assert got["properties"]["description"] == "dpgov: readers"
    assert got["properties"]["condition"] == condition


@pytest.mark.usefixtures("estate")
async def test_a_subscription_scope_role_assignment_has_no_resource_group_so_the_apps_query_leaves_it_out(
    graph: ResourceGraphClient,
    authorization: AuthorizationManagementClient,
    control: EmulatorControl,
    arm_get: ArmGet,
) -> None:
    await authorization.role_assignments.create(SUB_SCOPE, NAME_1, grant())
    await authorization.role_assignments.create(GROUP_A, NAME_2, grant())
    got = await arm_get(f"{SUB_SCOPE}/providers/Microsoft.Authorization/roleAssignments/{NAME_1}?{ROLE_API}")

    every_column = await query(graph, f"authorizationresources | where name == '{NAME_1}'", [SUB])
    by_app = await query(graph, ROLE_ASSIGNMENTS, [SUB])

    assert rows(every_column) == [
        {
            "id": got["id"],
            "name": NAME_1,
            "type": "microsoft.authorization/roleassignments",
            "tenantId": control.identity().tenant_id,
            "kind": "",
            "location": "",
            "resourceGroup": "",
            "subscriptionId": SUB,
            "managedBy": "",
            "sku": None,
            "plan": None,
            "properties": got["properties"],
            "tags": None,
            "identity": None,
            "zones": None,
            "extendedLocation": None,
        }
    ]
    assert [row["name"] for row in rows(by_app)] == [NAME_2]


@pytest.mark.usefixtures("estate")
async def test_a_resource_scope_role_assignment_carries_its_groups_resource_group(
    graph: ResourceGraphClient,
    authorization: AuthorizationManagementClient,
    arm_get: ArmGet,
) -> None:
    await authorization.role_assignments.create(
        WORKSPACE, NAME_1, grant(CONTRIBUTOR, APP_PRINCIPAL, "ServicePrincipal")
    )
    got = await arm_get(f"{WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/{NAME_1}?{ROLE_API}")

    answer = await query(graph, ROLE_ASSIGNMENTS, [SUB])

    assert rows(answer) == [
        {
            "id": got["id"],
            "name": NAME_1,
            "subscriptionId": SUB,
            "resourceGroup": "rg-a",
            "properties": got["properties"],
        }
    ]
    assert got["properties"]["scope"] == WORKSPACE


@pytest.mark.usefixtures("estate")
async def test_assignment_rows_are_scoped_to_the_named_subscriptions(
    graph: ResourceGraphClient,
    authorization: AuthorizationManagementClient,
    policy: PolicyClient,
) -> None:
    other_group = group_scope("rg-other", OTHER_SUB)
    await authorization.role_assignments.create(GROUP_A, NAME_1, grant())
    await authorization.role_assignments.create(
        other_group,
        NAME_2,
        RoleAssignmentCreateParameters(
            role_definition_id=role_id(READER, OTHER_SUB), principal_id=GROUP_PRINCIPAL, principal_type="Group"
        ),
    )
    await policy.policy_assignments.create(GROUP_A, "tag-a", require_tag())
    await policy.policy_assignments.create(other_group, "tag-other", require_tag())

    roles = await query(graph, f"{ROLE_ASSIGNMENTS} | order by name asc", [OTHER_SUB])
    policies = await query(graph, f"{POLICY_ASSIGNMENTS} | order by name asc", [SUB, OTHER_SUB])

    assert [(row["name"], row["subscriptionId"]) for row in rows(roles)] == [(NAME_2, OTHER_SUB)]
    assert [(row["name"], row["subscriptionId"]) for row in rows(policies)] == [
        ("tag-a", SUB),
        ("tag-other", OTHER_SUB),
    ]


@pytest.mark.usefixtures("estate")
async def test_policy_assignment_rows_carry_location_identity_and_properties_as_arms_get_answers_them(
    graph: ResourceGraphClient,
    policy: PolicyClient,
    arm_get: ArmGet,
) -> None:
    await policy.policy_assignments.create(
        GROUP_B,
        "tag-with-identity",
        require_tag(
            identity={"type": "SystemAssigned"},
            location="West Europe",
            properties={"enforcementMode": "DoNotEnforce", "notScopes": [WORKSPACE.replace("rg-a", "RG-B")]},
        ),
    )
    await policy.policy_assignments.create(
        GROUP_A, "tag-plain", require_tag(properties={"metadata": {"owner": "dpgov"}})
    )
    await policy.policy_assignments.create(SUB_SCOPE, "tag-subscription", require_tag())
    path = "providers/Microsoft.Authorization/policyAssignments"
    with_identity = await arm_get(f"{GROUP_B}/{path}/tag-with-identity?{POLICY_API}")
    plain = await arm_get(f"{GROUP_A}/{path}/tag-plain?{POLICY_API}")

    answer = await query(graph, POLICY_ASSIGNMENTS, [SUB])

    assert rows(answer) == [
        {
            "id": plain["id"],
            "name": "tag-plain",
            "subscriptionId": SUB,
            "resourceGroup": "rg-a",
            "location": "",
            "identity": None,
            "properties": plain["properties"],
        },
        {
            "id": with_identity["id"],
            "name": "tag-with-identity",
            "subscriptionId": SUB,
            "resourceGroup": "rg-b",
            "location": "westeurope",
            "identity": with_identity["identity"],
            "properties": with_identity["properties"],
        },
    ]
    assert with_identity["identity"]["type"] == "SystemAssigned"
    assert plain["properties"]["metadata"]["owner"] == "dpgov"


@pytest.mark.usefixtures("estate")
async def test_pages_of_two_return_each_of_five_assignments_exactly_once(
    graph: ResourceGraphClient, authorization: AuthorizationManagementClient
) -> None:
    names = [str(uuid.UUID(int=index + 1)) for index in range(5)]
    grants = [
        (READER, GROUP_PRINCIPAL, "Group"),
        (READER, USER_PRINCIPAL, "User"),
        (READER, APP_PRINCIPAL, "ServicePrincipal"),
        (CONTRIBUTOR, GROUP_PRINCIPAL, "Group"),
        (CONTRIBUTOR, USER_PRINCIPAL, "User"),
    ]
    for name, (role, principal, kind) in zip(reversed(names), grants, strict=True):
        await authorization.role_assignments.create(GROUP_A, name, grant(role, principal, kind))

    pages = await every_page(graph, ROLE_ASSIGNMENTS, top=2)

    assert [(page.total_records, page.count) for page in pages] == [(5, 2), (5, 2), (5, 1)]
    assert [row["name"] for page in pages for row in rows(page)] == names, "each once, in id order"


@pytest.mark.usefixtures("estate")
async def test_an_assignment_made_after_the_snapshot_is_unseen_and_a_deleted_one_stays_until_the_lag_has_passed(
    graph: ResourceGraphClient,
    authorization: AuthorizationManagementClient,
    policy: PolicyClient,
    control: EmulatorControl,
) -> None:
    await authorization.role_assignments.create(GROUP_A, NAME_1, grant())
    await policy.policy_assignments.create(GROUP_A, "tag-old", require_tag())
    live = await query(graph, ROLE_ASSIGNMENTS, [SUB])
    control.set_resource_graph_lag(2)
    await authorization.role_assignments.create(GROUP_A, NAME_2, grant(CONTRIBUTOR))
    await authorization.role_assignments.delete(GROUP_A, NAME_1)
    await policy.policy_assignments.create(GROUP_A, "tag-new", require_tag())

    lagging_roles = await query(graph, ROLE_ASSIGNMENTS, [SUB])
    lagging_policies = await query(graph, POLICY_ASSIGNMENTS, [SUB])
    await asyncio.sleep(2)
    caught_up_roles = await query(graph, ROLE_ASSIGNMENTS, [SUB])
    caught_up_policies = await query(graph, f"{POLICY_ASSIGNMENTS} | order by name asc", [SUB])

    assert [row["name"] for row in rows(live)] == [NAME_1]
    assert [row["name"] for row in rows(lagging_roles)] == [NAME_1], "the deleted one is still indexed"
    assert [row["name"] for row in rows(lagging_policies)] == ["tag-old"]
    assert [row["name"] for row in rows(caught_up_roles)] == [NAME_2]
    assert [row["name"] for row in rows(caught_up_policies)] == ["tag-new", "tag-old"]


@pytest.mark.usefixtures("estate")
async def test_assignments_made_before_the_lag_is_first_set_are_in_the_snapshot(
    graph: ResourceGraphClient,
    authorization: AuthorizationManagementClient,
    policy: PolicyClient,
    control: EmulatorControl,
) -> None:
    await authorization.role_assignments.create(GROUP_A, NAME_1, grant())
    await policy.policy_assignments.create(GROUP_A, "tag-a", require_tag())
    control.set_resource_graph_lag(3600)

    roles = await query(graph, ROLE_ASSIGNMENTS, [SUB])
    policies = await query(graph, POLICY_ASSIGNMENTS, [SUB])

    assert [row["name"] for row in rows(roles)] == [NAME_1]
    assert [row["name"] for row in rows(policies)] == ["tag-a"]


@pytest.mark.usefixtures("estate")
async def test_assignments_of_a_deleted_group_leave_the_tables_with_it(
    graph: ResourceGraphClient,
    arm: ResourceManagementClient,
    authorization: AuthorizationManagementClient,
    policy: PolicyClient,
) -> None:
    await authorization.role_assignments.create(GROUP_A, NAME_1, grant())
    await authorization.role_assignments.create(GROUP_B, NAME_2, grant())
    await policy.policy_assignments.create(GROUP_A, "tag-a", require_tag())

    await (await arm.resource_groups.begin_delete("rg-a")).result()
    roles = await query(graph, ROLE_ASSIGNMENTS, [SUB])
    policies = await query(graph, POLICY_ASSIGNMENTS, [SUB])

    assert [row["name"] for row in rows(roles)] == [NAME_2]
    assert rows(policies) == []
