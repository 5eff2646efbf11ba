"""``Microsoft.Logic``: Logic Apps workflows, with their ``accessEndpoint``; ``state`` defaults to ``Enabled``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..registry import ResourceProvider
from ..store import Resource
from .tracked import TrackedRules, crud_operations, stable_id, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = ("2015-02-01-preview", "2016-06-01", "2017-07-01", "2018-07-01-preview", "2019-05-01")


def _derive(resource: Resource) -> Mapping[str, Any]:
    workflow = stable_id(resource, "workflow").replace("-", "")
    return {
        "accessEndpoint": f"https://prod-00.{resource.location}.logic.azure.com:443/workflows/{workflow}",
        "createdTime": resource.created_time,
        "changedTime": resource.changed_time,
        "state": resource.properties.get("state", "Enabled"),
        "version": stable_id(resource, resource.changed_time).replace("-", "").upper()[:20],
    }


PROVIDER = ResourceProvider(
    namespace="Microsoft.Logic",
    types=(
        tracked_type(
            "workflows",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="Workflows_Get", put="Workflows_CreateOrUpdate", patch="Workflows_Update", delete="Workflows_Delete"
            ),
            list_operations={
                "resourceGroup": "Workflows_ListByResourceGroup",
                "subscription": "Workflows_ListBySubscription",
            },
            rules=TrackedRules(derive=_derive),
        ),
    ),
)
