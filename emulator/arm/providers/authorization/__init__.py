"""``Microsoft.Authorization``: Azure RBAC (role definitions and assignments), one namespace and so one
provider.

Every type declares the scopes it lives at and the api-versions ARM serves it at; a version it does
not serve is ``NoRegisteredProviderFound``, as for any resource provider. See the modules for the
rules of each type.
"""

from __future__ import annotations

from ...registry import ResourceProvider, ResourceType
from . import role_assignments, role_definitions

__all__ = ["PROVIDER"]


def _operations(prefix: str, *, put: str = "CreateOrUpdate") -> dict[str, str]:
    return {"GET": f"{prefix}_Get", "PUT": f"{prefix}_{put}", "DELETE": f"{prefix}_Delete"}


PROVIDER = ResourceProvider(
    namespace="Microsoft.Authorization",
    types=(
        ResourceType(
            name="roleDefinitions",
            api_versions=role_definitions.API_VERSIONS,
            handler=role_definitions.handle_role_definitions,
            item_scopes=frozenset({"tenant", "managementGroup", "subscription", "resourceGroup", "resource"}),
            operations={"GET": "RoleDefinitions_Get"},
            list_operations={
                "tenant": "RoleDefinitions_List",
                "managementGroup": "RoleDefinitions_List",
                "subscription": "RoleDefinitions_List",
                "resourceGroup": "RoleDefinitions_List",
                "resource": "RoleDefinitions_List",
            },
        ),
        ResourceType(
            name="roleAssignments",
            api_versions=role_assignments.API_VERSIONS,
            handler=role_assignments.handle_role_assignments,
            item_scopes=frozenset({"subscription", "resourceGroup", "resource"}),
            operations=_operations("RoleAssignments", put="Create"),
            list_operations={
                "subscription": "RoleAssignments_ListForSubscription",
                "resourceGroup": "RoleAssignments_ListForResourceGroup",
                "resource": "RoleAssignments_ListForResource",
            },
        ),
    ),
)
