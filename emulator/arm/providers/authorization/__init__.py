"""``Microsoft.Authorization``: Azure RBAC (role definitions and assignments) and Azure Policy
(definitions, initiatives and assignments), one namespace and so one provider.

Every type declares the scopes it lives at and the api-versions ARM serves it at; a version it does
not serve is ``NoRegisteredProviderFound``, as for any resource provider. See the modules for the
rules of each type.
"""

from __future__ import annotations

from ...registry import ResourceProvider, ResourceType
from . import policy_definitions, role_assignments, role_definitions
from .policy_assignments import handle_policy_assignments
from .policy_definitions import handle_policy_definitions

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
        ResourceType(
            name="policyDefinitions",
            api_versions=policy_definitions.API_VERSIONS,
            handler=handle_policy_definitions("policyDefinitions"),
            item_scopes=frozenset({"tenant", "managementGroup", "subscription"}),
            operations=_operations("PolicyDefinitions"),
            list_operations={
                "tenant": "PolicyDefinitions_ListBuiltIn",
                "managementGroup": "PolicyDefinitions_ListByManagementGroup",
                "subscription": "PolicyDefinitions_List",
            },
        ),
        ResourceType(
            name="policySetDefinitions",
            api_versions=policy_definitions.SET_API_VERSIONS,
            handler=handle_policy_definitions("policySetDefinitions"),
            item_scopes=frozenset({"tenant", "managementGroup", "subscription"}),
            operations=_operations("PolicySetDefinitions"),
            list_operations={
                "tenant": "PolicySetDefinitions_ListBuiltIn",
                "managementGroup": "PolicySetDefinitions_ListByManagementGroup",
                "subscription": "PolicySetDefinitions_List",
            },
        ),
        ResourceType(
            name="policyAssignments",
            api_versions=policy_definitions.API_VERSIONS,
            handler=handle_policy_assignments,
            item_scopes=frozenset({"subscription", "resourceGroup"}),
            operations=_operations("PolicyAssignments", put="Create"),
            list_operations={
                "subscription": "PolicyAssignments_List",
                "resourceGroup": "PolicyAssignments_ListForResourceGroup",
            },
        ),
    ),
)
