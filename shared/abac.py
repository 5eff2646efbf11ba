"""The ABAC condition that fences the app's own identity to the config's allow-list.

The app's identity holds *Role Based Access Control Administrator* on the landing zones, which on
its own could grant any role — Owner included — to anyone. Azure's role-assignment conditions
narrow it: writes and deletes of role assignments are allowed only for the role definition ids in
``rbac.allowed_roles`` and the principal types the config uses. Printed by
``dpgov rbac-condition`` for infra (condition version 2.0). Pure text from config.
"""

from __future__ import annotations

from shared.config import GovernanceConfig

WRITE = "Microsoft.Authorization/roleAssignments/write"
DELETE = "Microsoft.Authorization/roleAssignments/delete"


def principal_types(config: GovernanceConfig) -> list[str]:
    """The principal types the app grants to: every binding's, and service principals (the
    identities of policy assignments and the Purview account), sorted."""
    types = {"ServicePrincipal"}
    for binding in config.role_bindings:
        types.add(binding.principal_type)
    for zone in config.landing_zones:
        types.update(binding.principal_type for binding in zone.role_bindings)
    for domain in config.domains.values():
        types.update(binding.principal_type for binding in domain.role_bindings)
        for product in domain.products.values():
            types.update(binding.principal_type for binding in product.role_bindings)
    return sorted(types)


def _clause(source: str, role_ids: str, types: str) -> str:
    attribute = f"@{source}[Microsoft.Authorization/roleAssignments"
    return (
        f"{attribute}:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{role_ids}}}"
        f" AND {attribute}:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {{{types}}}"
    )


def rbac_condition(config: GovernanceConfig) -> str:
    """The condition (version 2.0) for the app identity's role-assignment rights."""
    role_ids = ", ".join(sorted(config.rbac.allowed_roles.values()))
    types = ", ".join(f"'{kind}'" for kind in principal_types(config))
    if not role_ids:
        raise ValueError("rbac.allowed_roles is empty: the app may grant nothing, so it needs no such role")
    return (
        f"((!(ActionMatches{{'{WRITE}'}})) OR ({_clause('Request', role_ids, types)}))"
        f" AND ((!(ActionMatches{{'{DELETE}'}})) OR ({_clause('Resource', role_ids, types)}))"
    )
