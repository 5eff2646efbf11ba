"""``Microsoft.MachineLearningServices``: Azure ML workspaces, with their ``workspaceId`` and ``discoveryUrl``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..registry import ResourceProvider
from ..store import Resource
from .tracked import TrackedRules, crud_operations, stable_id, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = (
    "2021-07-01",
    "2022-05-01",
    "2022-10-01",
    "2023-04-01",
    "2023-10-01",
    "2024-04-01",
    "2024-10-01",
    "2025-04-01",
    "2025-06-01",
)


def _derive(resource: Resource) -> Mapping[str, Any]:
    return {
        "workspaceId": stable_id(resource, "workspaceId"),
        "discoveryUrl": f"https://{resource.location}.api.azureml.ms/discovery",
    }


PROVIDER = ResourceProvider(
    namespace="Microsoft.MachineLearningServices",
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
            list_operations={
                "resourceGroup": "Workspaces_ListByResourceGroup",
                "subscription": "Workspaces_ListBySubscription",
            },
            rules=TrackedRules(derive=_derive),
        ),
    ),
)
