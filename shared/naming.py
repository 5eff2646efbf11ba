"""Deterministic names for what the app creates, so retries and racing instances converge.

A repeated create with the same name is an idempotent PUT; two instances creating "the same thing"
under different names would instead make duplicates (or a 409). Every name here is a pure function
of the config and the product's immutable group, and fits the limits of the Azure API it is used in.
"""

from __future__ import annotations

import uuid

from shared.config import GovernanceConfig

# A fixed namespace: names must be the same in every process and every release.
_NAMESPACE = uuid.UUID("b7c1d5e2-3f4a-4b6c-9d8e-0a1b2c3d4e5f")
_GROUP_NAME_LIMIT = 90
_RG_SUFFIX = "-rg"


def dedicated_visualization_group(config: GovernanceConfig, product_group: str) -> str | None:
    """``dp-sales-orders-rg`` → ``dp-sales-orders-viz-rg`` (or ``name`` + suffix without ``-rg``).

    None when the result would exceed ARM's 90 characters: such a product cannot have one.
    """
    suffix = config.visualization.dedicated_suffix
    if product_group.lower().endswith(_RG_SUFFIX):
        name = product_group[: -len(_RG_SUFFIX)] + suffix + product_group[-len(_RG_SUFFIX) :]
    else:
        name = product_group + suffix
    return name if len(name) <= _GROUP_NAME_LIMIT else None


def visualization_owner(config: GovernanceConfig, group: str) -> str | None:
    """The product group a dedicated visualization group was named after, or None if it is not one."""
    suffix = config.visualization.dedicated_suffix.lower()
    lowered = group.lower()
    if lowered.endswith(suffix + _RG_SUFFIX):
        stem = group[: -len(suffix + _RG_SUFFIX)]
        return stem + group[-len(_RG_SUFFIX) :] if stem else None
    if lowered.endswith(suffix):
        stem = group[: -len(suffix)]
        return stem or None
    return None


def role_assignment_name(scope: str, principal_id: str, role_definition_guid: str) -> str:
    """A GUID from (scope, principal, role): the same grant always has the same name."""
    key = f"{scope.lower().rstrip('/')}|{principal_id.lower()}|{role_definition_guid.lower()}"
    return str(uuid.uuid5(_NAMESPACE, key))


def _fit(name: str, limit: int) -> str:
    """``name`` if it fits, else its head and a short hash of the whole, within ``limit``."""
    if len(name) <= limit:
        return name
    digest = uuid.uuid5(_NAMESPACE, name).hex[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def policy_assignment_name(managed_by: str, policy: str) -> str:
    """``dpgov-sales-baseline``: unique per group, within ARM's 64 characters (and its charset)."""
    prefix = "".join(c if c.isalnum() or c == "-" else "-" for c in managed_by.lower()).strip("-") or "dpgov"
    return _fit(f"{prefix}-{policy}", 64)


def remediation_name(assignment: str, reference_id: str | None) -> str:
    """One remediation per assignment and initiative member, named so a retry cannot start a second."""
    member = "".join(c if c.isalnum() or c == "-" else "-" for c in (reference_id or "definition").lower())
    return _fit(f"{assignment}-{member}", 64)
