"""``Microsoft.KeyVault``: vaults; ``properties.tenantId`` and ``properties.sku`` are required, and the vault
gets its ``vaultUri``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..registry import ResourceProvider
from ..store import Resource
from .tracked import ResourceWrite, TrackedRules, crud_operations, missing_property, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = (
    "2015-06-01",
    "2016-10-01",
    "2018-02-14",
    "2019-09-01",
    "2021-10-01",
    "2022-07-01",
    "2022-11-01",
    "2023-02-01",
    "2023-07-01",
    "2024-11-01",
    "2025-05-01",
)


def _validate(write: ResourceWrite) -> None:
    if not write.properties.get("tenantId"):
        raise missing_property("properties.tenantId")
    sku = write.properties.get("sku")
    if not isinstance(sku, Mapping) or not sku.get("name"):
        raise missing_property("properties.sku")


def _derive(resource: Resource) -> Mapping[str, Any]:
    return {"vaultUri": f"https://{resource.names[-1]}.vault.azure.net/"}


PROVIDER = ResourceProvider(
    namespace="Microsoft.KeyVault",
    types=(
        tracked_type(
            "vaults",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="Vaults_Get", put="Vaults_CreateOrUpdate", patch="Vaults_Update", delete="Vaults_Delete"
            ),
            list_operations={
                "resourceGroup": "Vaults_ListByResourceGroup",
                "subscription": "Vaults_ListBySubscription",
            },
            rules=TrackedRules(validate=_validate, derive=_derive),
        ),
    ),
)
