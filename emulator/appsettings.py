"""The app settings that point an unmodified app at the local Azure, composed in one place.

Each emulated service contributes the settings an app deployed to Azure would have for it; the
emulator writes their union into its ready file (``"app_settings"``) so a script merges one object into
the Functions host's environment. A later service (Purview, say) adds one class here with its
settings and one entry where the emulator composes them (:func:`emulator.server.serve`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .storage.azurite import AzuriteEndpoints

__all__ = [
    "ArmSettings",
    "IdentitySettings",
    "OutcomeTopicSettings",
    "PurviewSettings",
    "ServiceSettings",
    "StorageSettings",
    "TrustSettings",
    "UnifiedCatalogSettings",
    "compose",
]


class ServiceSettings(Protocol):
    def app_settings(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class TrustSettings:
    """The emulator's CA, trusted by the app's HTTP stacks (aiohttp reads SSL_CERT_FILE, requests its own)."""

    ca_bundle: str

    def app_settings(self) -> Mapping[str, str]:
        return {"SSL_CERT_FILE": self.ca_bundle, "REQUESTS_CA_BUNDLE": self.ca_bundle}


@dataclass(frozen=True)
class IdentitySettings:
    """What App Service sets for a managed identity; azure-identity's credential chain finds it."""

    endpoint: str
    header: str

    def app_settings(self) -> Mapping[str, str]:
        return {"IDENTITY_ENDPOINT": self.endpoint, "IDENTITY_HEADER": self.header}


@dataclass(frozen=True)
class ArmSettings:
    """Where the app sends ARM requests (management.azure.com in Azure)."""

    url: str

    def app_settings(self) -> Mapping[str, str]:
        return {"DPGOV_ARM_ENDPOINT": self.url}


@dataclass(frozen=True)
class StorageSettings:
    """The Function App's own storage account, as Azure configures it.

    ``AzureWebJobsStorage`` is a connection string for the Functions host itself (what
    ``UseDevelopmentStorage=true`` gives, but with explicit HTTPS endpoints). The app uses the
    identity-based form, as a deployed app with a managed identity does: the service URIs and
    ``__credential=managedidentity``.
    """

    endpoints: AzuriteEndpoints

    def app_settings(self) -> Mapping[str, str]:
        return {
            "AzureWebJobsStorage": self.endpoints.connection_string(),
            "AzureWebJobsStorage__blobServiceUri": self.endpoints.blob,
            "AzureWebJobsStorage__queueServiceUri": self.endpoints.queue,
            "AzureWebJobsStorage__tableServiceUri": self.endpoints.table,
            "AzureWebJobsStorage__credential": "managedidentity",
        }


@dataclass(frozen=True)
class PurviewSettings:
    """The Purview account the app governs with, its data plane (one listener serves every service)
    and its ARM resource (where the app reads the account's managed identity).

    In Azure the endpoints are ``https://{account}.purview.azure.com`` (account API under
    ``/account/``, policy store, Data Map) and ``https://{account}.scan.purview.azure.com``.
    """

    account: str
    endpoint: str
    resource_id: str

    def app_settings(self) -> Mapping[str, str]:
        return {
            "DPGOV_PURVIEW_ACCOUNT": self.account,
            "DPGOV_PURVIEW_ENDPOINT": self.endpoint,
            "DPGOV_PURVIEW_SCAN_ENDPOINT": self.endpoint,
            "DPGOV_PURVIEW_RESOURCE_ID": self.resource_id,
        }


@dataclass(frozen=True)
class UnifiedCatalogSettings:
    """Where the app reaches Purview's Unified Catalog API: the base URL, without a trailing slash; the
    app appends ``/datagovernance/catalog``.

    In Azure it is ``https://api.purview-service.microsoft.com`` (one host for every tenant); the
    emulator serves it on the Purview account's listener.
    """

    endpoint: str

    def app_settings(self) -> Mapping[str, str]:
        return {"DPGOV_UNIFIED_CATALOG_ENDPOINT": self.endpoint.rstrip("/")}


@dataclass(frozen=True)
class OutcomeTopicSettings:
    """The Event Grid custom topic the app publishes outcome events to: its publish endpoint.

    In Azure ``https://{topic}.{region}-1.eventgrid.azure.net/api/events`` (the topic's
    ``properties.endpoint``); here the topic's own listener.
    """

    endpoint: str

    def app_settings(self) -> Mapping[str, str]:
        return {"DPGOV_OUTCOME_TOPIC_ENDPOINT": self.endpoint}


def compose(services: list[ServiceSettings]) -> dict[str, str]:
    """The union of every service's settings; two services claiming one setting is a programming error."""
    settings: dict[str, str] = {}
    for service in services:
        for name, value in service.app_settings().items():
            if name in settings:
                raise ValueError(f"the app setting {name} is claimed twice")
            settings[name] = value
    return settings
