"""A data product's identity, and why nobody can change it by editing tags. Pure, no I/O.

The identity (landing zone, domain, product, environment) decides who pays, who owns, who is granted
and which policy applies. It comes from one of two places:

- the **group name**, when it matches the configured pattern: names are immutable in ARM, so the
  identity can never change (and reading the ledger adds nothing to it);
- the team's **tags**, when tag recognition is on: tags are writable by the team, so the identity
  read at first classification is **pinned** in the ledger, and from then on the pin is the identity.
  A later retag that claims another domain, product or environment is a ``conflict``: reported with
  both values, and the governed tags are repaired back to the pin. Removing a pin is an operator
  action (``dpgov ledger unpin`` or ``DELETE /api/dataproducts/{sub}/{rg}/pin``).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.classify import Unclassified, by_name, by_tags, is_visualization_group
from shared.config import GovernanceConfig, LandingZone
from shared.ledger import IdentitySource, LedgerRecord
from shared.model import DataProduct, ObservedGroup


@dataclass(frozen=True, slots=True)
class IdentityConflict:
    """The team's tags claim another identity than the one pinned."""

    pinned: DataProduct
    claimed: DataProduct | Unclassified

    def describe(self) -> str:
        if isinstance(self.claimed, Unclassified):
            return f"tags no longer identify the pinned product {_short(self.pinned)}: {self.claimed.reason}"
        return f"tags claim {_short(self.claimed)} but the product is pinned as {_short(self.pinned)}"

    def to_dict(self) -> dict[str, object]:
        claimed = self.claimed.to_dict() if isinstance(self.claimed, DataProduct) else {"reason": self.claimed.reason}
        return {"pinned": self.pinned.to_dict(), "claimed": claimed}


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a governed group is, where that came from, and whether the ledger holds it yet."""

    product: DataProduct
    source: IdentitySource
    recorded: bool  # a ledger record exists (for tags: the identity is pinned)
    conflict: IdentityConflict | None = None

    def to_dict(self) -> dict[str, object]:
        result: dict[str, object] = {"source": self.source, "pinned": self.source == "tags" and self.recorded}
        if self.conflict is not None:
            result["conflict"] = self.conflict.to_dict()
        return result


def resolve_identity(
    config: GovernanceConfig, zone: LandingZone, group: ObservedGroup, record: LedgerRecord | None
) -> Identity | Unclassified:
    """The group's identity: by name; else by the ledger's pin; else (first time) by its tags."""
    name = group.ref.name
    if is_visualization_group(config, zone, name):
        return Unclassified("a visualization resource group")
    named = by_name(config, zone, name)
    if named is not None:
        if isinstance(named, Unclassified):
            return named
        return Identity(named, "name", recorded=record is not None)
    if not config.recognition.use_tags:
        return Unclassified("name does not match the data-product pattern")

    claimed = by_tags(config, zone, group.tags)
    if record is None or record.source != "tags":
        if isinstance(claimed, Unclassified):
            return claimed
        return Identity(claimed, "tags", recorded=False)

    pinned = DataProduct(zone.name, record.product.domain, record.product.product, record.product.environment)
    if pinned.domain not in config.domains:
        return Unclassified(f"pinned domain {pinned.domain!r} is no longer configured")
    if pinned.environment not in config.environments:
        return Unclassified(f"pinned environment {pinned.environment!r} is no longer configured")
    conflict = None
    if _claims_other(claimed, pinned):
        conflict = IdentityConflict(pinned, claimed)
    return Identity(pinned, "tags", recorded=True, conflict=conflict)


def _claims_other(claimed: DataProduct | Unclassified, pinned: DataProduct) -> bool:
    """True when the tags name another identity; a removed tag is drift the tags aspect repairs."""
    if isinstance(claimed, DataProduct):
        return (claimed.domain, claimed.product, claimed.environment) != (
            pinned.domain,
            pinned.product,
            pinned.environment,
        )
    # Tags that name an unconfigured domain or environment still claim something else; tags that
    # are simply missing claim nothing.
    return claimed.named_something


def _short(product: DataProduct) -> str:
    return f"{product.domain}/{product.product} ({product.environment})"
