"""The governance config: the only source of principals, roles, policies and tag values.

A platform team describes its landing zones, data domains and the rules that recognise a resource
group as a data product in one YAML file (``governance.yaml``). Everything the app may grant or write
is named here; events, tags and HTTP requests can only *select* among these options.

The models are strict (unknown keys are errors) so a typo in the file fails loudly at load time with
the key's path, instead of silently disabling a rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SUBSCRIPTION_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
RESOURCE_GROUP_NAME_PATTERN = r"^[-\w._()]{0,89}[-\w_()]$"

TagName = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[^<>%&\\?/]+$")]
TagValue = Annotated[str, Field(max_length=256)]
Slug = Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class ConfigError(ValueError):
    """The governance config cannot be used; the message names each bad key and what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class TagNames(_Strict):
    """The tag names the app governs for cross-charging. Values come from the matched domain/product."""

    cost_center: TagName = "CostCenter"
    domain: TagName = "DataDomain"
    product: TagName = "DataProduct"
    landing_zone: TagName = "LandingZone"
    environment: TagName = "Environment"
    owner: TagName = "Owner"
    managed_by: TagName = "ManagedBy"

    @model_validator(mode="after")
    def _names_are_distinct(self) -> Self:
        names = [name.lower() for name in self.model_dump().values()]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"tag names must be distinct (case-insensitively); repeated: {duplicates}")
        return self


class Recognition(_Strict):
    """How a resource group is recognised as a data product.

    ``name_pattern`` is a regular expression with named groups ``domain`` and ``product`` and an
    optional ``environment``; it must match the whole group name (case-insensitively). When
    ``use_tags`` is on, a group whose team set the domain and product tags (the governed tag names)
    is recognised too, whatever its name. Either way the domain must exist in ``domains``.

    Tag recognition is off by default: tags are writable by the product teams, so a tag-recognised
    identity is pinned in the ledger at first classification and a later retag is a conflict (see
    ``shared.identity``). Turn it on only where groups cannot follow the naming pattern.
    """

    name_pattern: str = r"dp-(?P<domain>[a-z0-9]+)-(?P<product>[a-z0-9]+)(?:-(?P<environment>dev|tst|prd))?-rg"
    use_tags: bool = False

    @field_validator("name_pattern")
    @classmethod
    def _pattern_has_named_groups(cls, value: str) -> str:
        try:
            compiled = re.compile(value, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        missing = {"domain", "product"} - set(compiled.groupindex)
        if missing:
            raise ValueError(f"must define the named groups {sorted(missing)}")
        unknown = set(compiled.groupindex) - {"domain", "product", "environment"}
        if unknown:
            raise ValueError(f"unknown named groups {sorted(unknown)}; allowed: domain, product, environment")
        return value

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.name_pattern, re.IGNORECASE)


class Product(_Strict):
    """Per-product overrides of the domain's cross-charging values."""

    cost_center: TagValue | None = None
    owner: TagValue | None = None


class Domain(_Strict):
    """A data domain: who pays for its products and who owns them."""

    cost_center: TagValue = Field(min_length=1)
    owner: TagValue = Field(min_length=1)
    products: dict[Slug, Product] = Field(default_factory=dict)


class LandingZone(_Strict):
    """One data landing zone: one Azure subscription hosting many data products."""

    name: Slug
    subscription_id: str = Field(pattern=SUBSCRIPTION_ID_PATTERN)
    visualization_resource_group: str = Field(pattern=RESOURCE_GROUP_NAME_PATTERN)
    environment: Slug = Field(default="prd", description="Environment for groups whose name or tags say none.")

    @field_validator("subscription_id")
    @classmethod
    def _lower_case_id(cls, value: str) -> str:
        return value.lower()


class GovernanceConfig(_Strict):
    """The whole governance config (``governance.yaml``)."""

    managed_by: TagValue = Field(default="dpgov", min_length=1, description="Value of the managed-by tag.")
    environments: list[Slug] = Field(
        default_factory=lambda: ["dev", "tst", "prd"],
        min_length=1,
        description="The environments a data product can be in; a name or tag naming another is not governed.",
    )
    tags: TagNames = Field(default_factory=TagNames)
    recognition: Recognition = Field(default_factory=Recognition)
    landing_zones: list[LandingZone] = Field(min_length=1)
    domains: dict[Slug, Domain] = Field(min_length=1)

    @model_validator(mode="after")
    def _landing_zones_are_unique(self) -> Self:
        for attribute in ("name", "subscription_id"):
            values = [getattr(zone, attribute) for zone in self.landing_zones]
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"landing_zones: {attribute} must be unique; repeated: {repeated}")
        return self

    @model_validator(mode="after")
    def _zone_environments_are_configured(self) -> Self:
        for index, zone in enumerate(self.landing_zones):
            if zone.environment not in self.environments:
                raise ValueError(
                    f"landing_zones.{index}.environment: {zone.environment!r} is not one of environments "
                    f"{self.environments}"
                )
        return self

    def landing_zone_for(self, subscription_id: str) -> LandingZone | None:
        wanted = subscription_id.lower()
        return next((zone for zone in self.landing_zones if zone.subscription_id == wanted), None)


def parse_config(document: Mapping[str, Any], *, source: str = "governance config") -> GovernanceConfig:
    """Validate a loaded document, turning pydantic's errors into one message per bad key."""
    try:
        return GovernanceConfig.model_validate(document)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = ".".join(str(part) for part in error["loc"]) or "(top level)"
            problems.append(f"  {location}: {error['msg']}")
        raise ConfigError(f"{source} is invalid:\n" + "\n".join(problems)) from None


def load_config(path: str | Path) -> GovernanceConfig:
    """Read and validate ``governance.yaml``; raise ConfigError naming each problem."""
    config_path = Path(path)
    try:
        text = config_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read governance config {config_path}: {exc.strerror}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path} is not valid YAML: {exc}") from None
    if not isinstance(document, Mapping):
        raise ConfigError(f"{config_path} must hold a mapping at the top level")
    return parse_config(document, source=str(config_path))


def json_schema() -> str:
    """The JSON Schema of the config, for editors (exported to governance.schema.json)."""
    schema = GovernanceConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "dpgov governance config"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
