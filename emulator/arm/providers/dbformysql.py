"""``Microsoft.DBforMySQL``: flexible servers, with their DNS name in ``properties.fullyQualifiedDomainName``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..registry import ResourceProvider
from ..store import Resource
from .tracked import TrackedRules, crud_operations, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = (
    "2020-07-01-preview",
    "2021-05-01",
    "2021-05-01-preview",
    "2021-12-01-preview",
    "2022-01-01",
    "2022-09-30-preview",
    "2023-06-01-preview",
    "2023-06-30",
    "2023-10-01-preview",
)


def _derive(resource: Resource) -> Mapping[str, Any]:
    return {"fullyQualifiedDomainName": f"{resource.names[-1]}.mysql.database.azure.com", "state": "Ready"}


PROVIDER = ResourceProvider(
    namespace="Microsoft.DBforMySQL",
    types=(
        tracked_type(
            "flexibleServers",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="Servers_Get", put="Servers_Create", patch="Servers_Update", delete="Servers_Delete"
            ),
            list_operations={"resourceGroup": "Servers_ListByResourceGroup", "subscription": "Servers_List"},
            rules=TrackedRules(derive=_derive),
        ),
    ),
)
