"""Resource groups of many subscriptions in one paged Resource Graph query (``azure-mgmt-resourcegraph``, aio).

Resource Graph indexes ARM from its change notifications, so it lags ARM by seconds to minutes: what
it answers is a snapshot used to *find* groups, never to act on (the reconciler reads a group from
ARM before it writes anything for it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from shared.azure.clients import ArmClients
from shared.model import GroupRef, ObservedGroup, frozen_tags

GROUPS_QUERY = (
    "resourcecontainers"
    " | where type =~ 'microsoft.resources/subscriptions/resourcegroups'"
    " | project id, name, subscriptionId, location, tags, properties"
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


class ResourceGraph:
    """Resource Graph queries over the app's landing zones."""

    def __init__(self, clients: ArmClients) -> None:
        self._clients = clients

    async def list_groups(self, subscription_ids: Sequence[str]) -> AsyncIterator[ObservedGroup]:
        """Every resource group of the subscriptions with its tags: one query, 1,000 rows a page."""
        subscriptions = {subscription.lower(): subscription for subscription in subscription_ids}
        client = self._clients.resource_graph()
        skip_token: str | None = None
        while True:
            options = QueryRequestOptions(top=PAGE_ROWS, skip_token=skip_token, result_format="objectArray")
            request = QueryRequest(subscriptions=list(subscription_ids), query=GROUPS_QUERY, options=options)
            page = await client.resources(request)
            rows: Any = page.data or []
            for row in rows:
                group = observed_group(row, subscriptions) if isinstance(row, Mapping) else None
                if group is not None:
                    yield group
            skip_token = page.skip_token
            if not skip_token:
                return
