"""``Microsoft.Sql``: logical servers and their databases.

A server gets its DNS name (``properties.fullyQualifiedDomainName``); a database needs its server
(ARM's 404 ``ParentResourceNotFound`` otherwise) and is deleted with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..registry import ResourceProvider
from ..store import Resource
from .tracked import TrackedRules, crud_operations, stable_id, tracked_type

__all__ = ["DATABASE_API_VERSIONS", "PROVIDER", "SERVER_API_VERSIONS"]

SERVER_API_VERSIONS = (
    "2014-04-01",
    "2015-05-01-preview",
    "2019-06-01-preview",
    "2020-02-02-preview",
    "2020-08-01-preview",
    "2020-11-01-preview",
    "2021-02-01-preview",
    "2021-05-01-preview",
    "2021-08-01-preview",
    "2021-11-01",
    "2021-11-01-preview",
    "2022-02-01-preview",
    "2022-05-01-preview",
    "2022-08-01-preview",
    "2022-11-01-preview",
    "2023-02-01-preview",
    "2023-05-01-preview",
    "2023-08-01",
)
DATABASE_API_VERSIONS = tuple(sorted({*SERVER_API_VERSIONS, "2017-03-01-preview", "2017-10-01-preview"}))


def _server(resource: Resource) -> Mapping[str, Any]:
    return {
        "fullyQualifiedDomainName": f"{resource.names[-1]}.database.windows.net",
        "state": "Ready",
        "version": resource.properties.get("version", "12.0"),
    }


def _database(resource: Resource) -> Mapping[str, Any]:
    return {
        "databaseId": stable_id(resource, "databaseId"),
        "status": "Online",
        "creationDate": resource.created_time,
    }


PROVIDER = ResourceProvider(
    namespace="Microsoft.Sql",
    types=(
        tracked_type(
            "servers",
            api_versions=SERVER_API_VERSIONS,
            operations=crud_operations(
                get="Servers_Get", put="Servers_CreateOrUpdate", patch="Servers_Update", delete="Servers_Delete"
            ),
            list_operations={"resourceGroup": "Servers_ListByResourceGroup", "subscription": "Servers_List"},
            rules=TrackedRules(derive=_server),
        ),
        tracked_type(
            "servers/databases",
            api_versions=DATABASE_API_VERSIONS,
            operations=crud_operations(
                get="Databases_Get", put="Databases_CreateOrUpdate", patch="Databases_Update", delete="Databases_Delete"
            ),
            list_operations={"resourceGroup": "Databases_ListByServer"},
            rules=TrackedRules(derive=_database),
        ),
    ),
)
