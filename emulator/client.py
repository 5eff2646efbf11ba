"""The typed control client, where the demo, benchmarks and tests have always imported it from.

A thin re-export of :mod:`emulator.control.client`.
"""

from __future__ import annotations

from .control.client import (
    CatalogRateLimitSettings,
    CatalogRelationshipState,
    CatalogSnapshot,
    Delivery,
    DirectoryPrincipal,
    EmulatorControl,
    EmulatorControlError,
    EmulatorIdentity,
    FaultRule,
    LoggedRequest,
    ManagementGroupInfo,
    RequestSummary,
    SeedResource,
    SeedResourceGroup,
    SeedSubscription,
    TopicEvent,
    TopicPublish,
)

__all__ = [
    "CatalogRateLimitSettings",
    "CatalogRelationshipState",
    "CatalogSnapshot",
    "Delivery",
    "DirectoryPrincipal",
    "EmulatorControl",
    "EmulatorControlError",
    "EmulatorIdentity",
    "FaultRule",
    "LoggedRequest",
    "ManagementGroupInfo",
    "RequestSummary",
    "SeedResource",
    "SeedResourceGroup",
    "SeedSubscription",
    "TopicEvent",
    "TopicPublish",
]
