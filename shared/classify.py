"""Recognise a resource group as a data product, or say why it is not one.

Recognition only ever *selects* among configured domains: a name or tag naming a domain the config
does not know leaves the group unclassified (DESIGN.md §5), so nobody can make the app govern, tag or
grant anything by inventing a domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.config import GovernanceConfig, LandingZone
from shared.model import DataProduct, tag_value


@dataclass(frozen=True, slots=True)
class Unclassified:
    """The group is not a governed data product; ``reason`` says why, for the report."""

    reason: str


def classify(
    config: GovernanceConfig, zone: LandingZone, group_name: str, tags: Mapping[str, str]
) -> DataProduct | Unclassified:
    """Match the group by name pattern first, then (if enabled) by the team's domain/product tags."""
    if group_name.lower() == zone.visualization_resource_group.lower():
        return Unclassified("the landing zone's visualization resource group")

    match = config.recognition.compiled().fullmatch(group_name)
    if match is not None:
        domain, product = match["domain"].lower(), match["product"].lower()
        environment = match.groupdict().get("environment") or zone.environment
        source = "name"
    elif config.recognition.use_tags:
        tagged_domain = tag_value(tags, config.tags.domain)
        tagged_product = tag_value(tags, config.tags.product)
        if not tagged_domain or not tagged_product:
            return Unclassified("name does not match the data-product pattern and no domain/product tags")
        domain, product = tagged_domain.strip().lower(), tagged_product.strip().lower()
        environment = (tag_value(tags, config.tags.environment) or zone.environment).strip()
        source = "tags"
    else:
        return Unclassified("name does not match the data-product pattern")

    if domain not in config.domains:
        return Unclassified(f"domain {domain!r} (from {source}) is not configured")
    environment = environment.lower()
    if environment not in config.environments:
        return Unclassified(f"environment {environment!r} (from {source}) is not configured")
    if not product:
        return Unclassified(f"empty product name (from {source})")
    return DataProduct(landing_zone=zone.name, domain=domain, product=product, environment=environment.lower())


def may_be_data_product(config: GovernanceConfig, group_name: str) -> bool:
    """Whether an event about this group is worth a look, decided without reading Azure.

    True when the name matches the pattern, or when tags can make any group a data product.
    """
    return config.recognition.use_tags or config.recognition.compiled().fullmatch(group_name) is not None
