"""``Microsoft.Kusto``: Data Explorer clusters; ``sku`` (name and tier) is required, and the cluster gets its
query ``uri`` and ``dataIngestionUri``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..registry import ResourceProvider
from ..store import Resource
from .tracked import ResourceWrite, TrackedRules, crud_operations, missing_property, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = (
    "2018-09-07-preview",
    "2019-01-21",
    "2019-05-15",
    "2019-09-07",
    "2019-11-09",
    "2020-02-15",
    "2020-06-14",
    "2020-09-18",
    "2021-01-01",
    "2021-08-27",
    "2022-02-01",
    "2022-07-07",
    "2022-11-11",
    "2022-12-29",
    "2023-05-02",
    "2023-08-15",
    "2024-04-13",
)


def _validate(write: ResourceWrite) -> None:
    if write.sku is None:
        raise missing_property("sku")
    for member in ("name", "tier"):
        if not write.sku.get(member):
            raise missing_property(f"sku.{member}")


def _derive(resource: Resource) -> Mapping[str, Any]:
    name, location = resource.names[-1], resource.location
    return {
        "uri": f"https://{name}.{location}.kusto.windows.net",
        "dataIngestionUri": f"https://ingest-{name}.{location}.kusto.windows.net",
        "state": "Running",
    }


PROVIDER = ResourceProvider(
    namespace="Microsoft.Kusto",
    types=(
        tracked_type(
            "clusters",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="Clusters_Get", put="Clusters_CreateOrUpdate", patch="Clusters_Update", delete="Clusters_Delete"
            ),
            list_operations={"resourceGroup": "Clusters_ListByResourceGroup", "subscription": "Clusters_List"},
            rules=TrackedRules(validate=_validate, derive=_derive),
        ),
    ),
)
