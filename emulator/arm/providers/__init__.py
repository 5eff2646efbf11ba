"""The resource providers the emulator serves, one module per namespace.

Each module declares a ``PROVIDER`` (:class:`~emulator.arm.registry.ResourceProvider`): its namespace,
its resource types with the api-versions they support, their handlers and REST operation ids. The
gateway serves exactly what :func:`build_registry` registers — to add a provider, write its module
and list it in ``PROVIDERS``.
"""

from __future__ import annotations

from ..registry import ProviderRegistry, ResourceProvider
from . import (
    analysisservices,
    authorization,
    cognitiveservices,
    dbformysql,
    dbforpostgresql,
    documentdb,
    keyvault,
    kusto,
    logic,
    machinelearningservices,
    policyinsights,
    purview,
    resourcegraph,
    resources,
    sql,
    storage,
    synapse,
    web,
)

__all__ = ["PROVIDERS", "build_registry"]

PROVIDERS: tuple[ResourceProvider, ...] = (
    resources.PROVIDER,
    storage.PROVIDER,
    sql.PROVIDER,
    dbformysql.PROVIDER,
    dbforpostgresql.PROVIDER,
    documentdb.PROVIDER,
    synapse.PROVIDER,
    kusto.PROVIDER,
    machinelearningservices.PROVIDER,
    web.PROVIDER,
    logic.PROVIDER,
    analysisservices.PROVIDER,
    cognitiveservices.PROVIDER,
    keyvault.PROVIDER,
    purview.PROVIDER,
    authorization.PROVIDER,
    policyinsights.PROVIDER,
    resourcegraph.PROVIDER,
)


def build_registry() -> ProviderRegistry:
    """A registry holding every provider the emulator serves."""
    return ProviderRegistry(PROVIDERS)
