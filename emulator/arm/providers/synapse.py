"""``Microsoft.Synapse``: workspaces, with their ``properties.connectivityEndpoints`` (web, dev, sql, sqlOnDemand)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..registry import ResourceProvider
from ..store import Resource
from .tracked import TrackedRules, crud_operations, stable_id, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = (
    "2019-06-01-preview",
    "2020-12-01",
    "2021-03-01",
    "2021-04-01-preview",
    "2021-05-01",
    "2021-06-01",
    "2021-06-01-preview",
)


def _derive(resource: Resource) -> Mapping[str, Any]:
    name = resource.names[-1]
    return {
        "connectivityEndpoints": {
            "web": f"https://web.azuresynapse.net?workspace={quote(resource.id, safe='').lower()}",
            "dev": f"https://{name}.dev.azuresynapse.net",
            "sqlOnDemand": f"{name}-ondemand.sql.azuresynapse.net",
            "sql": f"{name}.sql.azuresynapse.net",
        },
        "workspaceUID": stable_id(resource, "workspaceUID"),
    }


PROVIDER = ResourceProvider(
    namespace="Microsoft.Synapse",
    types=(
        tracked_type(
            "workspaces",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="Workspaces_Get",
                put="Workspaces_CreateOrUpdate",
                patch="Workspaces_Update",
                delete="Workspaces_Delete",
            ),
            list_operations={"resourceGroup": "Workspaces_ListByResourceGroup", "subscription": "Workspaces_List"},
            rules=TrackedRules(derive=_derive),
        ),
    ),
)
