"""``Microsoft.Storage``: storage accounts.

A storage account name is a DNS label shared by all of Azure (3-24 lower-case letters and digits),
``sku`` and ``kind`` are required, premium-only kinds need a premium SKU, and the provider fills in
the account's endpoints (``properties.primaryEndpoints``) so callers can find blob and Data Lake.
Caller properties such as ``isHnsEnabled`` are echoed back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import ArmError
from ..registry import ResourceProvider
from ..store import Resource
from .tracked import ResourceWrite, TrackedRules, crud_operations, missing_property, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = (
    "2015-06-15",
    "2016-01-01",
    "2016-05-01",
    "2016-12-01",
    "2017-06-01",
    "2017-10-01",
    "2018-02-01",
    "2018-07-01",
    "2018-11-01",
    "2019-04-01",
    "2019-06-01",
    "2021-01-01",
    "2021-02-01",
    "2021-04-01",
    "2021-06-01",
    "2021-08-01",
    "2021-09-01",
    "2022-05-01",
    "2022-09-01",
    "2023-01-01",
    "2023-04-01",
    "2023-05-01",
    "2024-01-01",
    "2025-01-01",
    "2025-06-01",
)
_NAME = re.compile(r"^[a-z0-9]{3,24}$")
_PREMIUM_ONLY_KINDS = frozenset({"filestorage", "blockblobstorage"})
ENDPOINT_SERVICES = ("blob", "queue", "table", "file", "dfs")


def _validate(write: ResourceWrite) -> None:
    if not _NAME.match(write.name):
        raise ArmError(
            400,
            "AccountNameInvalid",
            f"{write.name} is not a valid storage account name. Storage account name must be between 3 and 24 "
            "characters in length and use numbers and lower-case letters only.",
        )
    sku = write.sku
    if sku is None:
        raise missing_property("sku")
    if not isinstance(sku.get("name"), str) or not sku["name"]:
        raise missing_property("sku.name")
    if write.kind is None:
        raise missing_property("kind")
    if write.kind.casefold() in _PREMIUM_ONLY_KINDS and not str(sku["name"]).startswith("Premium_"):
        raise ArmError(
            400, "InvalidValuesForRequestParameters", "Values for request parameters are invalid: kind, sku."
        )
    # Account names are DNS names shared by all of Azure: taken in any group of any subscription.
    for taken in write.store.resources():
        same_name = taken.type.casefold() == "microsoft.storage/storageaccounts" and taken.name.casefold() == write.name
        if same_name and taken is not write.existing:
            raise ArmError(
                409, "StorageAccountAlreadyTaken", f"The storage account named {write.name} is already taken."
            )


def _derive(resource: Resource) -> Mapping[str, Any]:
    name = resource.names[-1]
    return {
        "primaryEndpoints": {service: f"https://{name}.{service}.core.windows.net/" for service in ENDPOINT_SERVICES},
        "primaryLocation": resource.location,
        "statusOfPrimary": "available",
        "creationTime": resource.created_time,
    }


PROVIDER = ResourceProvider(
    namespace="Microsoft.Storage",
    types=(
        tracked_type(
            "storageAccounts",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="StorageAccounts_GetProperties",
                put="StorageAccounts_Create",
                patch="StorageAccounts_Update",
                delete="StorageAccounts_Delete",
            ),
            list_operations={
                "resourceGroup": "StorageAccounts_ListByResourceGroup",
                "subscription": "StorageAccounts_List",
            },
            rules=TrackedRules(validate=_validate, derive=_derive),
        ),
    ),
)
