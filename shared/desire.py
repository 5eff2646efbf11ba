"""The desired state of a data product's resource group: a pure function of config and identity.

Each governed aspect contributes a field to ``DesiredGroup``; the cross-charging tags are the first.
Policy, RBAC and Purview add their own fields here and their own diff in ``plan``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.config import GovernanceConfig
from shared.model import DataProduct, GroupRef, frozen_tags


@dataclass(frozen=True, slots=True)
class DesiredGroup:
    """What a governed group must look like. Only what is listed here is governed."""

    ref: GroupRef
    product: DataProduct
    tags: Mapping[str, str]


def cross_charging_tags(config: GovernanceConfig, product: DataProduct) -> dict[str, str]:
    """The governed tags: who pays (cost centre), what it is, where it lives, who owns it."""
    domain = config.domains[product.domain]
    overrides = domain.products.get(product.product)
    names = config.tags
    return {
        names.cost_center: (overrides and overrides.cost_center) or domain.cost_center,
        names.domain: product.domain,
        names.product: product.product,
        names.landing_zone: product.landing_zone,
        names.environment: product.environment,
        names.owner: (overrides and overrides.owner) or domain.owner,
        names.managed_by: config.managed_by,
    }


def desire(config: GovernanceConfig, ref: GroupRef, product: DataProduct) -> DesiredGroup:
    """Compute everything the app wants true of this group. No I/O."""
    return DesiredGroup(ref=ref, product=product, tags=frozen_tags(cross_charging_tags(config, product)))
