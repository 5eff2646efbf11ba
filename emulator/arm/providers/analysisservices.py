"""``Microsoft.AnalysisServices``: servers; ``sku`` is required, and the server gets its ``serverFullName``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..registry import ResourceProvider
from ..store import Resource
from .tracked import ResourceWrite, TrackedRules, crud_operations, missing_property, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = ("2016-05-16", "2017-07-14", "2017-08-01")


def _validate(write: ResourceWrite) -> None:
    if write.sku is None or not write.sku.get("name"):
        raise missing_property("sku.name")


def _derive(resource: Resource) -> Mapping[str, Any]:
    return {
        "serverFullName": f"asazure://{resource.location}.asazure.windows.net/{resource.names[-1]}",
        "state": "Succeeded",
    }


PROVIDER = ResourceProvider(
    namespace="Microsoft.AnalysisServices",
    types=(
        tracked_type(
            "servers",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="Servers_GetDetails", put="Servers_Create", patch="Servers_Update", delete="Servers_Delete"
            ),
            list_operations={"resourceGroup": "Servers_ListByResourceGroup", "subscription": "Servers_List"},
            rules=TrackedRules(validate=_validate, derive=_derive),
        ),
    ),
)
