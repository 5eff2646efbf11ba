"""``Microsoft.DocumentDB``: Cosmos DB accounts.

An account needs ``properties.databaseAccountOfferType`` (``Standard``) and at least one entry in
``properties.locations``; the provider fills in ``properties.documentEndpoint``. The provider's own
error wording for a missing property is not verified; the status and code are ARM's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ArmError
from ..registry import ResourceProvider
from ..store import Resource
from .tracked import ResourceWrite, TrackedRules, crud_operations, missing_property, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = (
    "2021-04-15",
    "2021-05-15",
    "2021-06-15",
    "2021-10-15",
    "2022-05-15",
    "2022-08-15",
    "2022-11-15",
    "2023-03-15",
    "2023-04-15",
    "2023-09-15",
    "2023-11-15",
    "2024-05-15",
    "2024-08-15",
    "2024-11-15",
    "2025-04-15",
)


def _validate(write: ResourceWrite) -> None:
    offer = write.properties.get("databaseAccountOfferType")
    if offer is None:
        raise missing_property("properties.databaseAccountOfferType")
    if offer != "Standard":
        raise ArmError(
            400, "BadRequest", f"The databaseAccountOfferType '{offer}' is invalid; the only value is 'Standard'."
        )
    locations = write.properties.get("locations")
    if not isinstance(locations, list) or not locations:
        raise missing_property("properties.locations")


def _derive(resource: Resource) -> Mapping[str, Any]:
    return {"documentEndpoint": f"https://{resource.names[-1]}.documents.azure.com:443/"}


PROVIDER = ResourceProvider(
    namespace="Microsoft.DocumentDB",
    types=(
        tracked_type(
            "databaseAccounts",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="DatabaseAccounts_Get",
                put="DatabaseAccounts_CreateOrUpdate",
                patch="DatabaseAccounts_Update",
                delete="DatabaseAccounts_Delete",
            ),
            list_operations={
                "resourceGroup": "DatabaseAccounts_ListByResourceGroup",
                "subscription": "DatabaseAccounts_List",
            },
            rules=TrackedRules(validate=_validate, derive=_derive),
        ),
    ),
)
