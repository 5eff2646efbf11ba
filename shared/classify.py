"""Recognise a resource group as a data product, or say why it is not one.

Recognition only ever *selects* among configured domains: a name or tag naming a domain the config
does not know leaves the group unclassified, so nobody can make the app govern, tag or grant
anything by inventing a domain. Which recognition wins, and how a tag-recognised identity is pinned,
is decided in ``shared.identity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.config import GovernanceConfig, LandingZone
from shared.model import DataProduct, tag_value
from shared.naming import visualization_owner


@dataclass(frozen=True, slots=True)
class Unclassified:
    """The group is not a governed data product; ``reason`` says why, for the report."""

    reason: str
    named_something: bool = False  # the name or tags named a domain/environment, just not a configured one


def is_visualization_group(config: GovernanceConfig, zone: LandingZone, group_name: str) -> bool:
    """The landing zone's own visualization group, or a dedicated one the app names for a product.

    Neither is ever a data product, whatever its name or tags say (or a product's dedicated group
    would get a dedicated group of its own).
    """
    if group_name.lower() == zone.visualization_resource_group.lower():
        return True
    return visualization_owner(config, group_name) is not None


def by_name(config: GovernanceConfig, zone: LandingZone, group_name: str) -> DataProduct | Unclassified | None:
    """The identity the immutable group name gives, or None when the name does not match the pattern."""
    match = config.recognition.compiled().fullmatch(group_name)
    if match is None:
        return None
    environment = match.groupdict().get("environment") or zone.environment
    return _checked(config, zone, match["domain"], match["product"], environment, source="name")


def by_tags(config: GovernanceConfig, zone: LandingZone, tags: Mapping[str, str]) -> DataProduct | Unclassified:
    """The identity the team's domain/product/environment tags claim (the caller decides if it counts)."""
    domain = tag_value(tags, config.tags.domain)
    product = tag_value(tags, config.tags.product)
    if not domain or not product:
        return Unclassified("name does not match the data-product pattern and no domain/product tags")
    environment = tag_value(tags, config.tags.environment) or zone.environment
    return _checked(config, zone, domain, product, environment, source="tags")


def classify(
    config: GovernanceConfig, zone: LandingZone, group_name: str, tags: Mapping[str, str]
) -> DataProduct | Unclassified:
    """Match the group by name pattern first, then (if enabled) by the team's domain/product tags.

    This is recognition without the ledger; ``shared.identity.resolve_identity`` adds the pin.
    """
    if is_visualization_group(config, zone, group_name):
        return Unclassified("a visualization resource group")
    named = by_name(config, zone, group_name)
    if named is not None:
        return named
    if config.recognition.use_tags:
        return by_tags(config, zone, tags)
    return Unclassified("name does not match the data-product pattern")


def _checked(
    config: GovernanceConfig, zone: LandingZone, domain: str, product: str, environment: str, *, source: str
) -> DataProduct | Unclassified:
    domain, product, environment = domain.strip().lower(), product.strip().lower(), environment.strip().lower()
    if domain not in config.domains:
        return Unclassified(f"domain {domain!r} (from {source}) is not configured", named_something=True)
    if environment not in config.environments:
        return Unclassified(f"environment {environment!r} (from {source}) is not configured", named_something=True)
    if not product:
        return Unclassified(f"empty product name (from {source})")
    return DataProduct(landing_zone=zone.name, domain=domain, product=product, environment=environment)


def may_be_data_product(config: GovernanceConfig, zone: LandingZone, group_name: str) -> bool:
    """Whether an event about this group is worth a look, decided from its name without reading Azure.

    A visualization group never is. A name matching the pattern decides alone, tags or not: it is a
    product when it names a configured domain and environment, and can never be one otherwise (tags
    do not override a name). Any other name is worth a look only when tags can make a group a product.
    """
    if is_visualization_group(config, zone, group_name):
        return False
    named = by_name(config, zone, group_name)
    if named is not None:
        return isinstance(named, DataProduct)
    return config.recognition.use_tags
