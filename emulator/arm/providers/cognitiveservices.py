"""``Microsoft.CognitiveServices``: accounts; ``kind`` and ``sku`` are required, and the account gets its
``endpoint`` (on its custom subdomain when it has one)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..registry import ResourceProvider
from ..store import Resource
from .tracked import ResourceWrite, TrackedRules, crud_operations, missing_property, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = (
    "2016-02-01-preview",
    "2017-04-18",
    "2021-04-30",
    "2021-10-01",
    "2022-03-01",
    "2022-10-01",
    "2022-12-01",
    "2023-05-01",
    "2024-10-01",
    "2025-06-01",
)


def _validate(write: ResourceWrite) -> None:
    if write.kind is None:
        raise missing_property("kind")
    if write.sku is None or not write.sku.get("name"):
        raise missing_property("sku.name")


def _derive(resource: Resource) -> Mapping[str, Any]:
    subdomain = resource.properties.get("customSubDomainName")
    if isinstance(subdomain, str) and subdomain:
        endpoint = f"https://{subdomain}.cognitiveservices.azure.com/"
    else:
        endpoint = f"https://{resource.location}.api.cognitive.microsoft.com/"
    return {"endpoint": endpoint}


PROVIDER = ResourceProvider(
    namespace="Microsoft.CognitiveServices",
    types=(
        tracked_type(
            "accounts",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="Accounts_Get", put="Accounts_Create", patch="Accounts_Update", delete="Accounts_Delete"
            ),
            list_operations={"resourceGroup": "Accounts_ListByResourceGroup", "subscription": "Accounts_List"},
            rules=TrackedRules(validate=_validate, derive=_derive),
        ),
    ),
)
