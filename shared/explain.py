"""Why a resource group is or is not a data product, and what the config wants for it. Pure, no I/O.

The operator's ``dpgov explain`` answers it from the group as ARM reports it and the product's ledger
record, with the engine's own rules: recognition by name or tags (``shared.classify``), the pin
(``shared.identity``) and each aspect's ``desire`` — so the explanation cannot disagree with what a
reconcile does. Nothing here reads or writes Azure; ``Reconciler.explain`` makes the two reads.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from shared.aspects.base import AnyAspect, Subject, Summarized
from shared.classify import Unclassified, by_name, by_tags, is_visualization_group
from shared.config import GovernanceConfig, LandingZone
from shared.identity import Identity, resolve_identity
from shared.ledger import IdentitySource, LedgerRecord
from shared.model import DataProduct, GroupRef, ObservedGroup, tag_value
from shared.naming import visualization_owner


@dataclass(frozen=True, slots=True)
class Check:
    """One recognition rule and what it said about the group (``matched`` None: not consulted)."""

    rule: str
    matched: bool | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "matched": self.matched, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class AspectDesire:
    """What one aspect wants for the product: lines for people, and its whole desire as data."""

    aspect: str
    summary: tuple[str, ...]
    desired: Any  # JSON-ready

    def to_dict(self) -> dict[str, Any]:
        return {"aspect": self.aspect, "summary": list(self.summary), "desired": self.desired}


@dataclass(frozen=True, slots=True)
class Explanation:
    group: GroupRef
    landing_zone: str | None
    exists: bool
    reason: str  # why it is (or is not) a data product, in one sentence
    checks: tuple[Check, ...]
    product: DataProduct | None = None
    source: IdentitySource | None = None
    record: LedgerRecord | None = None
    conflict: str | None = None
    aspects: tuple[AspectDesire, ...] = ()

    @property
    def data_product(self) -> bool:
        return self.product is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "subscription_id": self.group.subscription_id.lower(),
            "resource_group": self.group.name,
            "landing_zone": self.landing_zone,
            "exists": self.exists,
            "data_product": self.product.to_dict() if self.product else None,
            "recognised_by": self.source,
            "reason": self.reason,
            "checks": [check.to_dict() for check in self.checks],
            "ledger": self.record.to_dict() if self.record else None,
            "conflict": self.conflict,
            "aspects": [aspect.to_dict() for aspect in self.aspects],
        }


def explain(
    config: GovernanceConfig,
    ref: GroupRef,
    group: ObservedGroup | None,
    record: LedgerRecord | None,
    aspects: Sequence[AnyAspect],
) -> Explanation:
    """Walk the recognition rules in the reconciler's order, then ask each aspect what it wants."""
    zone = config.landing_zone_for(ref.subscription_id)
    if zone is None:
        zones = ", ".join(f"{z.name} ({z.subscription_id})" for z in config.landing_zones)
        reason = "the subscription is not a configured landing zone"
        check = Check("landing zone", False, f"subscription {ref.subscription_id.lower()} is none of {zones}")
        return Explanation(ref, None, group is not None, reason, (check,))
    checks = [Check("landing zone", True, f"subscription {zone.subscription_id} is landing zone {zone.name}")]
    if group is None:
        reason = "the resource group does not exist"
        if record is not None:
            reason += "; the ledger still holds its product, whose artefacts the next reconcile retires"
        checks.append(Check("resource group", False, "ARM has no resource group of this name"))
        checks.append(_pin_check(record))
        return Explanation(ref, zone.name, False, reason, tuple(checks), record=record)
    if group.deleting:
        reason = "ARM is deleting the resource group: it is left alone"
        return Explanation(ref, zone.name, True, reason, tuple(checks), record=record)
    checks += _recognition(config, zone, group)
    checks.append(_pin_check(record))
    identity = resolve_identity(config, zone, group, record)
    if isinstance(identity, Unclassified):
        return Explanation(ref, zone.name, True, identity.reason, tuple(checks), record=record)
    subject = Subject(zone, group, identity, record)
    desires = tuple(_desire(aspect, subject) for aspect in aspects)
    conflict = identity.conflict.describe() if identity.conflict is not None else None
    return Explanation(
        ref,
        zone.name,
        True,
        _recognised(identity),
        tuple(checks),
        identity.product,
        identity.source,
        record,
        conflict,
        desires,
    )


def _recognition(config: GovernanceConfig, zone: LandingZone, group: ObservedGroup) -> list[Check]:
    name = group.ref.name
    if is_visualization_group(config, zone, name):
        owner = visualization_owner(config, name)
        what = f"the dedicated visualization group of {owner}" if owner else "the landing zone's visualization group"
        return [Check("visualization group", True, f"{what}: never a data product")]
    checks = [Check("visualization group", False, "not a visualization group")]
    pattern = config.recognition.name_pattern
    named = by_name(config, zone, name)
    if named is None:
        checks.append(Check("name pattern", False, f"{name!r} does not match {pattern}"))
    elif isinstance(named, Unclassified):
        checks.append(Check("name pattern", False, f"{name!r} matches {pattern}, but {named.reason}"))
    else:
        checks.append(Check("name pattern", True, f"{name!r} matches {pattern}: {_identity(config, named, name)}"))
    if named is not None:
        checks.append(Check("tags", None, "not consulted: the name decides"))
    elif not config.recognition.use_tags:
        checks.append(Check("tags", None, "not consulted: recognition.use_tags is off"))
    else:
        names = (config.tags.domain, config.tags.product, config.tags.environment)
        seen = ", ".join(_tag(group.tags, tag) for tag in names)
        claimed = by_tags(config, zone, group.tags)
        if isinstance(claimed, Unclassified):
            checks.append(Check("tags", False, f"{seen}: {claimed.reason}"))
        else:
            checks.append(Check("tags", True, f"{seen}: {_short(claimed)}"))
    return checks


def _tag(tags: Mapping[str, str], name: str) -> str:
    value = tag_value(tags, name)
    return f"{name} unset" if value is None else f"{name}={value!r}"


def _identity(config: GovernanceConfig, product: DataProduct, name: str) -> str:
    match = config.recognition.compiled().fullmatch(name)
    from_name = match is not None and match.groupdict().get("environment")
    environment = product.environment if from_name else f"{product.environment} (the landing zone's default)"
    return f"domain {product.domain}, product {product.product}, environment {environment}"


def _pin_check(record: LedgerRecord | None) -> Check:
    if record is None:
        return Check("ledger", None, "no record: the app has not governed this group")
    when = record.first_governed_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    what = "pinned" if record.source == "tags" else "recorded"
    artefacts = len(record.artifacts)
    return Check(
        "ledger",
        True,
        f"{what} as {_short(record.product)} from its {record.source} since {when}; "
        f"{artefacts} artefact{'' if artefacts == 1 else 's'} outside the group",
    )


def _recognised(identity: Identity) -> str:
    product = _short(identity.product)
    if identity.source == "name":
        return f"a data product, {product}, recognised by its name (immutable)"
    if identity.recorded:
        return f"a data product, {product}, recognised by the tags it had when first governed (pinned)"
    return f"a data product, {product}, recognised by its tags (the next reconcile pins this identity)"


def _desire(aspect: AnyAspect, subject: Subject) -> AspectDesire:
    desired = aspect.desire(subject)
    plain = plain_data(desired)
    if isinstance(desired, Summarized):
        summary = desired.summary()
    elif isinstance(plain, Mapping):
        summary = tuple(f"{name}: {value}" for name, value in plain.items())
    else:
        summary = (str(plain),)
    return AspectDesire(aspect.name, summary, plain)


def plain_data(value: object) -> Any:
    """Dataclasses, mappings, sequences, sets, models and enums as JSON-ready values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return plain_data(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((plain_data(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [plain_data(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    return str(value)


def _short(product: DataProduct) -> str:
    return f"{product.domain}/{product.product} ({product.environment})"
