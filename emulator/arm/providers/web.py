"""``Microsoft.Web``: sites (web and function apps) and App Service plans (``serverfarms``).

A site gets its ``defaultHostName`` (``{name}.azurewebsites.net``) and host names; ``kind`` is echoed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..registry import ResourceProvider
from ..store import Resource
from .tracked import TrackedRules, crud_operations, tracked_type

__all__ = ["API_VERSIONS", "PROVIDER"]

API_VERSIONS = (
    "2015-08-01",
    "2016-03-01",
    "2016-08-01",
    "2016-09-01",
    "2018-02-01",
    "2018-11-01",
    "2019-08-01",
    "2020-06-01",
    "2020-09-01",
    "2020-10-01",
    "2020-12-01",
    "2021-01-01",
    "2021-01-15",
    "2021-02-01",
    "2021-03-01",
    "2022-03-01",
    "2022-09-01",
    "2023-01-01",
    "2023-12-01",
    "2024-04-01",
    "2024-11-01",
)


def _site(resource: Resource) -> Mapping[str, Any]:
    name = resource.names[-1]
    default_host = f"{name}.azurewebsites.net"
    return {
        "defaultHostName": default_host,
        "hostNames": [default_host],
        "enabledHostNames": [default_host, f"{name}.scm.azurewebsites.net"],
        "state": "Running",
    }


def _plan(resource: Resource) -> Mapping[str, Any]:
    del resource
    return {"status": "Ready"}


PROVIDER = ResourceProvider(
    namespace="Microsoft.Web",
    types=(
        tracked_type(
            "sites",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="WebApps_Get", put="WebApps_CreateOrUpdate", patch="WebApps_Update", delete="WebApps_Delete"
            ),
            list_operations={"resourceGroup": "WebApps_ListByResourceGroup", "subscription": "WebApps_List"},
            rules=TrackedRules(derive=_site),
        ),
        tracked_type(
            "serverfarms",
            api_versions=API_VERSIONS,
            operations=crud_operations(
                get="AppServicePlans_Get",
                put="AppServicePlans_CreateOrUpdate",
                patch="AppServicePlans_Update",
                delete="AppServicePlans_Delete",
            ),
            list_operations={
                "resourceGroup": "AppServicePlans_ListByResourceGroup",
                "subscription": "AppServicePlans_List",
            },
            rules=TrackedRules(derive=_plan),
        ),
    ),
)
