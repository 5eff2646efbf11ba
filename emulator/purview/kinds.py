"""The scanning service's data-source and scan kinds, as the wire spells them.

Data sources carry the short kind names (``AdlsGen2``, ``AzureStorage`` …; the SDK docstring's model
names such as ``AdlsGen2DataSource`` are not wire values). A scan's kind is its source's kind plus
the authentication: ``Msi`` (Purview's managed identity) where the source supports it, ``Credential``
always; MySQL, PostgreSQL, Cosmos DB and Azure Files have no ``Msi`` kind. System scan rule sets are
named after the source kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CREDENTIAL_TYPES", "SOURCE_KINDS", "SourceKind", "source_kind"]


@dataclass(frozen=True)
class SourceKind:
    """One data-source kind: the endpoint properties it requires (each with a pattern) and its scans."""

    name: str
    endpoints: tuple[tuple[str, re.Pattern[str]], ...]
    msi: bool
    # Scan properties a scan of this source must carry besides the rule set.
    scan_requires: tuple[str, ...] = ()
    azure_resource: bool = True

    @property
    def scan_kinds(self) -> tuple[str, ...]:
        return (f"{self.name}Msi", f"{self.name}Credential") if self.msi else (f"{self.name}Credential",)


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


_STORAGE = r"[a-z0-9]{3,24}"
_HOST = r"[a-z0-9][a-z0-9-]{0,62}"
SOURCE_KINDS: dict[str, SourceKind] = {
    kind.name: kind
    for kind in (
        SourceKind("AdlsGen2", (("endpoint", _pattern(rf"^https://{_STORAGE}\.dfs\.core\.windows\.net/?$")),), True),
        SourceKind(
            "AzureStorage", (("endpoint", _pattern(rf"^https://{_STORAGE}\.blob\.core\.windows\.net/?$")),), True
        ),
        SourceKind(
            "AzureFileService", (("endpoint", _pattern(rf"^https://{_STORAGE}\.file\.core\.windows\.net/?$")),), False
        ),
        SourceKind(
            "AzureSqlDatabase",
            (("serverEndpoint", _pattern(rf"^{_HOST}\.database\.windows\.net$")),),
            True,
            scan_requires=("databaseName",),
        ),
        SourceKind(
            "AzureSqlDatabaseManagedInstance",
            (("serverEndpoint", _pattern(rf"^{_HOST}(\.public)?\.[a-z0-9]+\.database\.windows\.net(,\d+)?$")),),
            True,
            scan_requires=("databaseName",),
        ),
        SourceKind(
            "AzureSqlDataWarehouse",
            (("serverEndpoint", _pattern(rf"^{_HOST}\.(database\.windows\.net|sql\.azuresynapse\.net)$")),),
            True,
            scan_requires=("databaseName",),
        ),
        SourceKind(
            "AzureMySql",
            (("serverEndpoint", _pattern(rf"^{_HOST}\.mysql\.database\.azure\.com$")),),
            False,
            scan_requires=("databaseName",),
        ),
        SourceKind(
            "AzurePostgreSql",
            (("serverEndpoint", _pattern(rf"^{_HOST}\.postgres\.database\.azure\.com$")),),
            False,
            scan_requires=("databaseName",),
        ),
        SourceKind(
            "AzureCosmosDb", (("accountUri", _pattern(rf"^https://{_HOST}\.documents\.azure\.com(:443)?/?$")),), False
        ),
        SourceKind(
            "AzureSynapseWorkspace",
            (
                ("dedicatedSqlEndpoint", _pattern(rf"^{_HOST}\.sql\.azuresynapse\.net$")),
                ("serverlessSqlEndpoint", _pattern(rf"^{_HOST}-ondemand\.sql\.azuresynapse\.net$")),
            ),
            True,
        ),
        SourceKind(
            "AzureDataExplorer",
            (("endpoint", _pattern(rf"^https://{_HOST}\.[a-z0-9]+\.kusto\.windows\.net/?$")),),
            True,
        ),
        SourceKind("AzureResourceGroup", (), True, azure_resource=False),
        SourceKind("AzureSubscription", (), True, azure_resource=False),
    )
}

CREDENTIAL_TYPES = frozenset(
    {
        "AccountKey",
        "ServicePrincipal",
        "BasicAuth",
        "SqlAuth",
        "AmazonARN",
        "ConsumerKeyAuth",
        "DelegatedAuth",
        "ManagedIdentity",
    }
)


def source_kind(name: str) -> SourceKind | None:
    """The kind spelled exactly so (the wire discriminator is case-sensitive), or ``None``."""
    return SOURCE_KINDS.get(name)
