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
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SUBSCRIPTION_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
RESOURCE_GROUP_NAME_PATTERN = r"^[-\w._()]{0,89}[-\w_()]$"

GUID_PATTERN = SUBSCRIPTION_ID_PATTERN
TagName = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[^<>%&\\?/]+$")]
TagValue = Annotated[str, Field(max_length=256)]
Slug = Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Guid = Annotated[str, Field(pattern=GUID_PATTERN)]
PrincipalType = Literal["Group", "ServicePrincipal", "User"]
ScopeKind = Literal[
    "product_group", "landing_zone_visualization_group", "dedicated_visualization_group", "ml_workspaces"
]
PRODUCT_SCOPES: frozenset[str] = frozenset({"product_group", "dedicated_visualization_group", "ml_workspaces"})
LANDING_ZONE_SCOPES: frozenset[str] = frozenset({"landing_zone_visualization_group"})
# Roles that grant access management itself. The app can never be told to grant them: its own
# identity's role-assignment rights are fenced to the allow-list by an ABAC condition, and these
# would let a grantee walk out of that fence.
FORBIDDEN_ROLES: Mapping[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}


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


class RoleBinding(_Strict):
    """Grant ``role`` to one principal on one kind of scope, optionally only in some environments.

    The principal and the role come from here and nowhere else: events, tags and requests can only
    decide *which* product a binding applies to, never whom it grants or what.
    """

    name: Slug = Field(description="Names the binding in the assignment's description and in reports.")
    principal_id: Guid
    principal_type: PrincipalType
    role: str = Field(min_length=1, description="A role name from rbac.allowed_roles.")
    scope: ScopeKind
    environments: list[Slug] | None = Field(
        default=None, description="Only products in these environments (default: every environment)."
    )

    @field_validator("principal_id")
    @classmethod
    def _lower_case_principal(cls, value: str) -> str:
        return value.lower()

    def applies_in(self, environment: str) -> bool:
        return self.environments is None or environment in self.environments


POLICY_DEFINITION_ID_PATTERN = (
    r"(?i)^(/providers/Microsoft\.Management/managementGroups/[^/]+|/subscriptions/[0-9a-f-]{36})?"
    r"/providers/Microsoft\.Authorization/(policyDefinitions|policySetDefinitions)/[^/]+$"
)


class NonComplianceMessage(_Strict):
    message: str = Field(min_length=1, max_length=1024)
    policy_definition_reference_id: str | None = Field(
        default=None, description="For an initiative: the member the message is for (default: all)."
    )


class PolicyAssignmentSpec(_Strict):
    """One policy (definition or initiative) assigned at each product group of a domain or product.

    The app names the assignment after ``name`` (deterministically, within ARM's 64 characters),
    marks it as its own in ``metadata``, and keeps it as configured. Definitions whose effective
    effect is modify or deployIfNotExists get a system-assigned identity, the roles the definition
    declares (if allow-listed in ``rbac.allowed_roles``) and, once, a remediation task for the
    resources already in the group.
    """

    name: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")
    definition_id: str = Field(
        pattern=POLICY_DEFINITION_ID_PATTERN,
        description="A policy definition or initiative (policy set definition) id: built-in, or at a "
        "management group or subscription.",
    )
    display_name: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None, max_length=512)
    parameters: dict[str, Any] = Field(default_factory=dict, description="Parameter values, by parameter name.")
    enforcement_mode: Literal["Default", "DoNotEnforce"] = "Default"
    non_compliance_messages: list[NonComplianceMessage] = Field(default_factory=list)
    not_scopes: list[str] = Field(
        default_factory=list,
        description="Resources inside the product group to exclude, relative to it: "
        "providers/<namespace>/<type>/<name>.",
    )
    remediate: bool = Field(default=True, description="Start one remediation task after a new assignment.")

    @field_validator("not_scopes")
    @classmethod
    def _relative_resource_paths(cls, value: list[str]) -> list[str]:
        for path in value:
            parts = path.strip("/").split("/")
            if parts[0].lower() != "providers" or len(parts) < 4 or len(parts) % 2 != 0:
                raise ValueError(f"{path!r} is not a resource path inside the group (providers/ns/type/name)")
        return [path.strip("/") for path in value]


def _unique_policy_names(policies: list[PolicyAssignmentSpec]) -> list[PolicyAssignmentSpec]:
    names = [policy.name for policy in policies]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"policy names must be unique here; repeated: {repeated}")
    return policies


CatalogProductType = Literal[
    "Master",
    "Reference",
    "Analytical",
    "AI",
    "MasterDataAndReferenceData",
    "BusinessSystemOrApplication",
    "ModelTypes",
    "DashboardsOrReports",
    "Operational",
    "MLAITrainingDataSet",
    "MLAITestingDataSet",
    "TransactionalDataset",
    "AnalyticsModel",
    "SemanticModel",
]
CatalogUpdateFrequency = Literal["Hourly", "Daily", "Weekly", "Monthly", "Quarterly", "Yearly"]
CatalogDomainType = Literal["FunctionalUnit", "LineOfBusiness", "DataDomain", "Regulatory", "Project"]
CatalogText = Annotated[str, Field(min_length=1, max_length=4000)]


def _lower_case_ids(values: list[str]) -> list[str]:
    lowered = [value.lower() for value in values]
    repeated = sorted({value for value in lowered if lowered.count(value) > 1})
    if repeated:
        raise ValueError(f"owners must be unique; repeated: {repeated}")
    return lowered


class ProductCatalog(_Strict):
    """The product's entry in Purview's Unified Catalog: what the app writes besides name and domain.

    ``description`` is written when the catalog product is created and never again (a curator's
    edits stay); the other fields are governed: changed by hand, they are set back.
    """

    description: CatalogText | None = None
    business_use: CatalogText | None = None
    type: CatalogProductType | None = Field(default=None, description="Default: unified_catalog.product_type.")
    update_frequency: CatalogUpdateFrequency | None = None
    owners: list[Guid] = Field(
        default_factory=list, description="Entra object ids added to the domain's owners for this product."
    )

    _owner_ids = field_validator("owners")(_lower_case_ids)


class DomainCatalog(_Strict):
    """The domain's governance domain in the Unified Catalog: created by the app, or adopted by ``id``.

    ``owners`` (Entra object ids) own every catalog data product of the domain.
    """

    id: Guid | None = Field(default=None, description="Adopt this existing governance domain instead of creating one.")
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Default: the domain's key, capitalised."
    )
    type: CatalogDomainType = "DataDomain"
    description: CatalogText | None = None
    owners: list[Guid] = Field(default_factory=list)

    _owner_ids = field_validator("owners")(_lower_case_ids)

    @field_validator("id")
    @classmethod
    def _lower_case_id(cls, value: str | None) -> str | None:
        return value.lower() if value is not None else None


class UnifiedCatalog(_Strict):
    """Microsoft Purview Unified Catalog (on when the DPGOV_UNIFIED_CATALOG_ENDPOINT app setting is set)."""

    new_product_status: Literal["DRAFT", "PUBLISHED"] = Field(
        default="DRAFT", description="Status of a catalog data product the app creates (DRAFT: a person publishes)."
    )
    new_domain_status: Literal["DRAFT", "PUBLISHED"] = Field(
        default="PUBLISHED",
        description="Status of a governance domain the app creates (products publish only in a published domain).",
    )
    product_type: CatalogProductType = Field(default="Analytical", description="Type of products that name none.")
    retired_product: Literal["expire", "delete"] = Field(
        default="expire", description="A gone product's catalog entry: set EXPIRED, or deleted."
    )


class Product(_Strict):
    """Per-product settings: overrides of the domain's cross-charging values, extra role bindings."""

    cost_center: TagValue | None = None
    owner: TagValue | None = None
    dedicated_visualization_group: bool = Field(
        default=False, description="Give this product its own Reporting & Visualization resource group."
    )
    inherit_role_bindings: bool = Field(default=True, description="Apply the domain's role bindings too.")
    role_bindings: list[RoleBinding] = Field(default_factory=list)
    inherit_policies: bool = Field(default=True, description="Apply the domain's policies too.")
    policies: list[PolicyAssignmentSpec] = Field(
        default_factory=list, description="Added to the domain's; one with a domain policy's name replaces it."
    )
    unified_catalog: ProductCatalog = Field(default_factory=ProductCatalog)

    _policy_names = field_validator("policies")(_unique_policy_names)


class Steward(_Strict):
    principal_id: Guid
    principal_type: PrincipalType

    @field_validator("principal_id")
    @classmethod
    def _lower_case_principal(cls, value: str) -> str:
        return value.lower()


class DomainPurview(_Strict):
    """The domain's data stewards in Microsoft Purview: roles on the domain's collection.

    These are Purview data-plane roles, granted through the collection's metadata policy (groups in
    its ``principal.microsoft.groups`` clause, users and service principals in
    ``principal.microsoft.id``), not Azure RBAC.
    """

    data_curators: list[Steward] = Field(default_factory=list)
    data_readers: list[Steward] = Field(default_factory=list)


class Domain(_Strict):
    """A data domain: who pays for its products, who owns them, who is granted what on them."""

    cost_center: TagValue = Field(min_length=1)
    owner: TagValue = Field(min_length=1)
    purview: DomainPurview = Field(default_factory=DomainPurview)
    unified_catalog: DomainCatalog = Field(default_factory=DomainCatalog)
    role_bindings: list[RoleBinding] = Field(default_factory=list)
    policies: list[PolicyAssignmentSpec] = Field(default_factory=list)
    products: dict[Slug, Product] = Field(default_factory=dict)

    _policy_names = field_validator("policies")(_unique_policy_names)


class LandingZone(_Strict):
    """One data landing zone: one Azure subscription hosting many data products."""

    name: Slug
    subscription_id: str = Field(pattern=SUBSCRIPTION_ID_PATTERN)
    visualization_resource_group: str = Field(pattern=RESOURCE_GROUP_NAME_PATTERN)
    environment: Slug = Field(default="prd", description="Environment for groups whose name or tags say none.")
    location: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]+$",
        description="Azure region for the groups the app creates here (default: the product group's).",
    )
    role_bindings: list[RoleBinding] = Field(
        default_factory=list, description="Grants on this landing zone's visualization group."
    )

    @field_validator("subscription_id")
    @classmethod
    def _lower_case_id(cls, value: str) -> str:
        return value.lower()


class Rbac(_Strict):
    """The roles the app may ever grant, by name, with their role definition ids.

    The ids make the allow-list checkable without Azure: the ABAC condition that fences the app's
    own identity is printed from them (``dpgov rbac-condition``), and a role whose
    name resolves to another id in Azure is refused at run time.
    """

    allowed_roles: dict[str, Guid] = Field(default_factory=dict)

    @field_validator("allowed_roles")
    @classmethod
    def _no_access_management_roles(cls, value: dict[str, str]) -> dict[str, str]:
        lowered = {name: role_id.lower() for name, role_id in value.items()}
        for name, role_id in lowered.items():
            forbidden = FORBIDDEN_ROLES.get(role_id)
            if forbidden is not None or name.lower() in {n.lower() for n in FORBIDDEN_ROLES.values()}:
                raise ValueError(f"{name!r} manages access itself and can never be granted by the app")
        return lowered

    def role_id(self, name: str) -> str | None:
        return self.allowed_roles.get(name)


WeekDay = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class ScanSchedule(_Strict):
    """The recurring trigger of every scan the app creates."""

    frequency: Literal["Week", "Month", "Day", "Hour"] = "Week"
    interval: int = Field(default=1, ge=1)
    hours: list[Annotated[int, Field(ge=0, le=23)]] = Field(default_factory=lambda: [2])
    minutes: list[Annotated[int, Field(ge=0, le=59)]] = Field(default_factory=lambda: [0])
    week_days: list[WeekDay] = Field(default_factory=lambda: list[WeekDay](["Sunday"]))
    scan_level: Literal["Full", "Incremental"] = "Incremental"


class Purview(_Strict):
    """Microsoft Purview Data Map: collections, data sources, scans and the product's catalog entity.

    The aspect is on when the Purview app settings name an account (see the README). Collections:
    one per landing zone under ``root_collection`` (default: the account's root), one per domain in
    it, and one per product in that unless ``product_collections`` is off.
    """

    root_collection: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{3,36}$")
    product_collections: bool = True
    scan_schedule: ScanSchedule = Field(default_factory=ScanSchedule)
    scanning_roles: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "AdlsGen2": ["Storage Blob Data Reader"],
            "AzureStorage": ["Storage Blob Data Reader"],
            "AzureSynapseWorkspace": ["Reader"],
        },
        description="Roles (from rbac.allowed_roles) the Purview account's identity gets on a store of "
        "each kind it scans with its managed identity.",
    )
    retire_sources: bool = Field(default=True, description="Remove a gone product's sources and scans.")
    retired_entity: Literal["mark", "delete"] = Field(
        default="mark", description="A gone product's catalog entity: marked retired, or deleted."
    )


class Visualization(_Strict):
    """Reporting & Visualization groups: one per landing zone, and dedicated ones per product."""

    dedicated_suffix: str = Field(
        default="-viz",
        pattern=r"^-[a-z0-9]{1,10}$",
        description="A dedicated group is named after its product's group: dp-x-y-rg → dp-x-y-viz-rg.",
    )
    selection_tag: TagName | None = Field(
        default="DedicatedVisualization",
        description="A tag a team sets to 'true' on its product group to ask for a dedicated group "
        "(it only selects that option; null: only the config decides).",
    )


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
    rbac: Rbac = Field(default_factory=Rbac)
    visualization: Visualization = Field(default_factory=Visualization)
    purview: Purview | None = Field(
        default=None, description="Microsoft Purview settings (defaults apply when the app settings name an account)."
    )
    unified_catalog: UnifiedCatalog = Field(
        default_factory=UnifiedCatalog,
        description="Purview Unified Catalog settings (used when the app settings name its endpoint).",
    )
    role_bindings: list[RoleBinding] = Field(
        default_factory=list, description="Grants on every landing zone's visualization group."
    )
    landing_zones: list[LandingZone] = Field(min_length=1)
    domains: dict[Slug, Domain] = Field(min_length=1)

    @model_validator(mode="after")
    def _bindings_are_allowed(self) -> Self:
        """Every binding names an allowed role, a scope its level can hold and known environments."""
        for location, binding, scopes in self._all_bindings():
            if binding.role not in self.rbac.allowed_roles:
                raise ValueError(
                    f"{location}.role: {binding.role!r} is not in rbac.allowed_roles {sorted(self.rbac.allowed_roles)}"
                )
            if binding.scope not in scopes:
                raise ValueError(
                    f"{location}.scope: {binding.scope!r} is not allowed here; use one of {sorted(scopes)}"
                )
            unknown = sorted(set(binding.environments or ()) - set(self.environments))
            if unknown:
                raise ValueError(f"{location}.environments: {unknown} are not in environments {self.environments}")
        for location, bindings in self._binding_lists():
            names = [binding.name for binding in bindings]
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise ValueError(f"{location}: binding names must be unique; repeated: {repeated}")
        return self

    @model_validator(mode="after")
    def _scanning_roles_are_allowed(self) -> Self:
        if self.purview is not None:
            problems = self.purview_role_problems()
            if problems:
                raise ValueError(problems[0])
        return self

    def purview_settings(self) -> Purview:
        return self.purview if self.purview is not None else Purview()

    def purview_role_problems(self) -> list[str]:
        """Scanning roles the allow-list lacks (the Purview identity could not be granted them)."""
        return [
            f"purview.scanning_roles.{kind}: {role!r} is not in rbac.allowed_roles {sorted(self.rbac.allowed_roles)}"
            for kind, roles in self.purview_settings().scanning_roles.items()
            for role in roles
            if role not in self.rbac.allowed_roles
        ]

    def _binding_lists(self) -> list[tuple[str, list[RoleBinding]]]:
        lists = [("role_bindings", self.role_bindings)]
        lists += [(f"landing_zones.{i}.role_bindings", zone.role_bindings) for i, zone in enumerate(self.landing_zones)]
        for domain_name, domain in self.domains.items():
            lists.append((f"domains.{domain_name}.role_bindings", domain.role_bindings))
            for product_name, product in domain.products.items():
                lists.append((f"domains.{domain_name}.products.{product_name}.role_bindings", product.role_bindings))
        return lists

    def _all_bindings(self) -> list[tuple[str, RoleBinding, frozenset[str]]]:
        found = []
        for location, bindings in self._binding_lists():
            scopes = PRODUCT_SCOPES if location.startswith("domains.") else LANDING_ZONE_SCOPES
            found += [(f"{location}.{index}", binding, scopes) for index, binding in enumerate(bindings)]
        return found

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

    @model_validator(mode="after")
    def _governance_domains_are_distinct(self) -> Self:
        """Two data domains in one governance domain would mix their products' owners and status."""
        created = [self.catalog_domain_name(key) for key, d in self.domains.items() if d.unified_catalog.id is None]
        adopted = [d.unified_catalog.id for d in self.domains.values() if d.unified_catalog.id is not None]
        for kind, values in (("name", [v.casefold() for v in created]), ("id", adopted)):
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(
                    f"domains.*.unified_catalog: governance domain {kind}s must be distinct; repeated: {repeated}"
                )
        return self

    def catalog_domain_name(self, domain: str) -> str:
        """The name of the domain's governance domain in the Unified Catalog."""
        configured = self.domains[domain].unified_catalog.name
        return configured if configured is not None else domain.replace("-", " ").replace("_", " ").title()

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
