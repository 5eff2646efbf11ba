"""Many subscriptions' groups, role assignments and policy assignments in a few paged Resource Graph
queries (``azure-mgmt-resourcegraph``, aio).

Resource Graph indexes ARM from its change notifications, so it lags ARM by seconds to minutes: what
it answers is a snapshot used to *find* drift, never to act on (the reconciler reads a group, its
role assignments and its policy assignments from ARM before it writes anything for it).

Three queries, each over every subscription of the run, 1,000 rows a page:

- ``resourcecontainers``: resource groups with their tags;
- ``authorizationresources``: role assignments at a group's scope or below it (the rows' ``properties``
  are the role assignment's, as ARM answers them);
- ``policyresources``: policy assignments at a group's scope or below it (``identity`` and
  ``properties`` as ARM answers them).

Assignments at a subscription or management group are not asked for: the app governs groups.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from azure.mgmt.authorization.v2022_04_01.models import RoleAssignment
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from shared.azure.clients import ArmClients
from shared.azure.policies import observed_assignment
from shared.azure.role_assignments import observed_role_assignment
from shared.model import GroupRef, ObservedAssignment, ObservedGroup, ObservedPolicyAssignment, frozen_tags

GROUPS_QUERY = (
    "resourcecontainers"
    " | where type =~ 'microsoft.resources/subscriptions/resourcegroups'"
    " | project id, name, subscriptionId, location, tags, properties"
)
ROLE_ASSIGNMENTS_QUERY = (
    "authorizationresources"
    " | where type =~ 'microsoft.authorization/roleassignments' and resourceGroup != ''"
    " | project id, name, subscriptionId, resourceGroup, properties"
)
POLICY_ASSIGNMENTS_QUERY = (
    "policyresources"
    " | where type =~ 'microsoft.authorization/policyassignments' and resourceGroup != ''"
    " | project id, name, subscriptionId, resourceGroup, location, identity, properties"
)
PAGE_ROWS = 1000  # Resource Graph's largest page


def observed_group(row: Mapping[str, Any], subscriptions: Mapping[str, str]) -> ObservedGroup | None:
    """A ``resourcecontainers`` row as an observed group (under the subscription id as configured)."""
    subscription = subscriptions.get(str(row.get("subscriptionId") or "").lower())
    name = row.get("name")
    if subscription is None or not isinstance(name, str) or not name:
        return None
    properties = row.get("properties")
    state = properties.get("provisioningState") if isinstance(properties, Mapping) else None
    tags = row.get("tags")
    return ObservedGroup(
        ref=GroupRef(subscription, name),
        location=str(row.get("location") or ""),
        tags=frozen_tags(tags if isinstance(tags, Mapping) else None),
        provisioning_state=state if isinstance(state, str) and state else "Succeeded",
    )


def role_assignment(row: Mapping[str, Any]) -> ObservedAssignment | None:
    """An ``authorizationresources`` row as the role assignment ARM's list would have given."""
    properties = row.get("properties")
    if not isinstance(properties, Mapping) or not properties.get("scope"):
        return None
    return observed_role_assignment(RoleAssignment.deserialize(dict(row)))


def policy_assignment(row: Mapping[str, Any]) -> ObservedPolicyAssignment | None:
    """A ``policyresources`` row as the policy assignment ARM's list would have given."""
    properties = row.get("properties")
    if not isinstance(properties, Mapping) or not properties.get("scope"):
        return None
    return observed_assignment(row)


class ResourceGraph:
    """Resource Graph queries over the app's landing zones."""

    def __init__(self, clients: ArmClients) -> None:
        self._clients = clients

    async def list_groups(self, subscription_ids: Sequence[str]) -> AsyncIterator[ObservedGroup]:
        """Every resource group of the subscriptions with its tags."""
        subscriptions = {subscription.lower(): subscription for subscription in subscription_ids}
        async for row in self._rows(GROUPS_QUERY, subscription_ids):
            group = observed_group(row, subscriptions)
            if group is not None:
                yield group

    async def list_role_assignments(self, subscription_ids: Sequence[str]) -> AsyncIterator[ObservedAssignment]:
        """Every role assignment at a resource group of the subscriptions, or below one."""
        async for row in self._rows(ROLE_ASSIGNMENTS_QUERY, subscription_ids):
            assignment = role_assignment(row)
            if assignment is not None:
                yield assignment

    async def list_policy_assignments(self, subscription_ids: Sequence[str]) -> AsyncIterator[ObservedPolicyAssignment]:
        """Every policy assignment at a resource group of the subscriptions, or below one."""
        async for row in self._rows(POLICY_ASSIGNMENTS_QUERY, subscription_ids):
            assignment = policy_assignment(row)
            if assignment is not None:
                yield assignment

    async def _rows(self, query: str, subscription_ids: Sequence[str]) -> AsyncIterator[Mapping[str, Any]]:
        """The query's rows, page after page (``$skipToken``), as object arrays."""
        client = self._clients.resource_graph()
        skip_token: str | None = None
        while True:
            options = QueryRequestOptions(top=PAGE_ROWS, skip_token=skip_token, result_format="objectArray")
            request = QueryRequest(subscriptions=list(subscription_ids), query=query, options=options)
            page = await client.resources(request)
            rows: Any = page.data or []
            for row in rows:
                if isinstance(row, Mapping):
                    yield row
            skip_token = page.skip_token
            if not skip_token:
                return
