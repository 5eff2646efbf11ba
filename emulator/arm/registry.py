"""The resource-provider registry: the single place a resource type is declared.

ARM routes every request by its provider namespace and resource type, and refuses what no registered
provider declares. The emulator does the same: each provider module declares a
:class:`ResourceProvider` — its namespace and its :class:`ResourceType` s, each with the api-versions
it supports, the scopes it lives at, its handler and its REST operation ids — and the gateway resolves
every request through :class:`ProviderRegistry`. A type nobody declared is refused with ARM's
status codes and error codes; there is no permissive fallback.

Adding a provider is adding one module under :mod:`emulator.arm.providers` and listing it there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .calls import ArmCall, ArmResponse
from .errors import ArmError
from .paths import ArmTarget, ScopeKind

if TYPE_CHECKING:
    from ..state import EmulatorState

__all__ = [
    "SUPPORTED_LOCATIONS",
    "ApiVersionError",
    "Handler",
    "ProviderRegistry",
    "ResourceProvider",
    "ResourceType",
    "invalid_api_version_parameter",
    "invalid_resource_type",
    "no_registered_provider_found",
]

Handler = Callable[["EmulatorState", ArmCall, ArmTarget], ArmResponse]
# ARM's answer to a declared type asked with an api-version it does not support.
ApiVersionError = Callable[["ResourceType", ArmTarget, str, str], ArmError]

# Namespaces are dotted words ("Microsoft.Storage", "Microsoft.DBforMySQL"); anything else is malformed.
_NAMESPACE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$")
_WRITE_METHODS = frozenset({"PUT", "PATCH", "POST"})
# Listed in NoRegisteredProviderFound messages: the regions the emulator pretends every RP serves.
SUPPORTED_LOCATIONS = (
    "eastus",
    "eastus2",
    "westus",
    "westus2",
    "centralus",
    "northcentralus",
    "southcentralus",
    "northeurope",
    "westeurope",
    "uksouth",
    "francecentral",
    "germanywestcentral",
    "swedencentral",
    "switzerlandnorth",
    "eastasia",
    "southeastasia",
    "japaneast",
    "australiaeast",
)
_VERBS = {"GET": "Get", "HEAD": "CheckExistence", "PUT": "CreateOrUpdate", "PATCH": "Update", "DELETE": "Delete"}


def no_registered_provider_found(
    resource_type: ResourceType, target: ArmTarget, api_version: str, location: str
) -> ArmError:
    """A resource provider's answer to an api-version it does not serve (400 ``NoRegisteredProviderFound``).

    The wording follows what ARM returns in public reports (location, api-version and type, then the
    supported api-versions and locations).
    """
    del target
    return ArmError(
        400,
        "NoRegisteredProviderFound",
        f"No registered resource provider found for location '{location}' and API version '{api_version}' for "
        f"type '{resource_type.name}'. The supported api-versions are '{', '.join(resource_type.api_versions)}'. "
        f"The supported locations are '{', '.join(SUPPORTED_LOCATIONS)}'.",
    )


def invalid_api_version_parameter(
    resource_type: ResourceType, target: ArmTarget, api_version: str, location: str
) -> ArmError:
    """ARM's own answer for its ``Microsoft.Resources`` types (400 ``InvalidApiVersionParameter``), newest first."""
    del target, location
    versions = ", ".join(sorted(resource_type.api_versions, reverse=True))
    return ArmError(
        400,
        "InvalidApiVersionParameter",
        f"The api-version '{api_version}' is invalid. The supported versions are '{versions}'.",
    )


def invalid_resource_type(method: str, target: ArmTarget | None, path: str, api_version: str) -> ArmError:
    """No provider declares this type (or not at this scope): ``InvalidResourceType``.

    ARM answers reads with 404 (public reports of GETs); writes are refused with 400. The message is
    the wording ARM has used since about 2020; it no longer names the type.
    """
    status = 400 if method.upper() in _WRITE_METHODS else 404
    if target is None:
        # Wording not verified against ARM: a path that is no ARM path at all.
        return ArmError(status, "InvalidResourceType", f"The resource type could not be found for path '{path}'.")
    return ArmError(
        status,
        "InvalidResourceType",
        f"The resource type could not be found in the namespace '{target.namespace}' for api version '{api_version}'.",
    )


def invalid_resource_namespace(namespace: str) -> ArmError:
    """A namespace segment that is not a dotted name (400 ``InvalidResourceNamespace``)."""
    return ArmError(400, "InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid.")


@dataclass(frozen=True)
class ResourceType:
    """One resource type of a provider.

    ``name`` is the type path inside the namespace (``storageAccounts``, ``servers/databases``).
    ``item_scopes`` says where one item may be addressed (``resourceGroup`` for tracked resources;
    ``resource`` too for extension types like tags). ``operations`` maps an HTTP method on an item to
    the REST operation id in the provider's spec, and ``list_operations`` maps each scope kind where a
    GET of the collection lists items to its operation id; a collection anywhere else is refused.
    The handler serves items and collections alike (``target.is_collection``).
    """

    name: str
    api_versions: tuple[str, ...]
    handler: Handler
    item_scopes: frozenset[ScopeKind]
    operations: Mapping[str, str] = field(default_factory=dict)
    list_operations: Mapping[ScopeKind, str] = field(default_factory=dict)

    def supports(self, api_version: str) -> bool:
        return api_version.casefold() in {version.casefold() for version in self.api_versions}

    def serves(self, target: ArmTarget) -> bool:
        kind = target.scope.kind
        return kind in self.list_operations if target.is_collection else kind in self.item_scopes

    def operation_id(self, method: str, target: ArmTarget) -> str:
        method = method.upper()
        if target.is_collection:
            return self.list_operations.get(target.scope.kind, f"Unknown_{_VERBS.get(method, method.title())}")
        return self.operations.get(method, f"Unknown_{_VERBS.get(method, method.title())}")


@dataclass(frozen=True)
class ResourceProvider:
    """A resource provider: its namespace, its types, and how it refuses an unsupported api-version."""

    namespace: str
    types: tuple[ResourceType, ...]
    unsupported_api_version: ApiVersionError = no_registered_provider_found


@dataclass(frozen=True)
class Resolved:
    provider: ResourceProvider
    resource_type: ResourceType


class ProviderRegistry:
    """Namespaces and their types, looked up case-insensitively, as ARM does."""

    def __init__(self, providers: Iterable[ResourceProvider] = ()) -> None:
        self._providers: dict[str, ResourceProvider] = {}
        self._types: dict[tuple[str, str], ResourceType] = {}
        for provider in providers:
            self.register(provider)

    def register(self, provider: ResourceProvider) -> None:
        """Add a provider; a namespace or type declared twice is a programming error."""
        namespace = provider.namespace.casefold()
        if not _NAMESPACE.match(provider.namespace):
            raise ValueError(f"'{provider.namespace}' is not a resource provider namespace")
        if namespace in self._providers:
            raise ValueError(f"the namespace '{provider.namespace}' is registered twice")
        for resource_type in provider.types:
            key = (namespace, resource_type.name.casefold())
            if key in self._types:
                raise ValueError(f"the type '{provider.namespace}/{resource_type.name}' is declared twice")
            if not resource_type.api_versions:
                raise ValueError(f"the type '{provider.namespace}/{resource_type.name}' declares no api-version")
            self._types[key] = resource_type
        self._providers[namespace] = provider

    def providers(self) -> list[ResourceProvider]:
        return list(self._providers.values())

    def tracked(self, type_name: str) -> ResourceType | None:
        """The declared type ``Namespace/type[/child]`` whose items live in resource groups, if any."""
        namespace, _, type_path = type_name.partition("/")
        resource_type = self._types.get((namespace.casefold(), type_path.casefold()))
        if resource_type is None or "resourceGroup" not in resource_type.item_scopes:
            return None
        return resource_type

    def find(self, target: ArmTarget) -> Resolved | None:
        provider = self._providers.get(target.namespace.casefold())
        resource_type = self._types.get((target.namespace.casefold(), target.type_path.casefold()))
        if provider is None or resource_type is None or not resource_type.serves(target):
            return None
        return Resolved(provider, resource_type)

    def resolve(self, method: str, target: ArmTarget, api_version: str, location: Callable[[], str]) -> Resolved:
        """The provider and type serving ``target``, or the ARM error refusing it.

        ``location`` is asked only when an api-version is refused (the message names a location).
        """
        if not _NAMESPACE.match(target.namespace):
            raise invalid_resource_namespace(target.namespace)
        resolved = self.find(target)
        if resolved is None:
            raise invalid_resource_type(method, target, "", api_version)
        if not resolved.resource_type.supports(api_version):
            raise resolved.provider.unsupported_api_version(resolved.resource_type, target, api_version, location())
        return resolved

    def operation_id(self, method: str, target: ArmTarget | None) -> str:
        """The REST operation id a request maps to, for the request log (``Unknown_{Verb}`` if none)."""
        resolved = self.find(target) if target is not None else None
        if target is None or resolved is None:
            return f"Unknown_{_VERBS.get(method.upper(), method.title())}"
        return resolved.resource_type.operation_id(method, target)
