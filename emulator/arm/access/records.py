"""What RBAC, Policy and PolicyInsights store: one record per extension resource, and its wire form.

Each record keeps the :class:`~emulator.arm.scopes.ResolvedScope` it was created at (id, casing and
anchor), so it vanishes with its group or resource and renders its id the way ARM does
(``{scope}/providers/{namespace}/{type}/{name}``). The handlers enforce ARM's rules; these are data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from ..scopes import ResolvedScope, extension_id

__all__ = [
    "DefinitionKind",
    "PolicyAssignment",
    "PolicyDefinition",
    "Remediation",
    "RoleAssignment",
]

DefinitionKind = Literal["policyDefinitions", "policySetDefinitions"]
AUTHORIZATION = "Microsoft.Authorization"


@dataclass
class RoleAssignment:
    """``Microsoft.Authorization/roleAssignments/{guid}`` at a subscription, group or resource."""

    name: str
    scope: ResolvedScope
    role_definition_id: str
    principal_id: str
    principal_type: str
    created_on: str
    created_by: str
    updated_on: str
    updated_by: str
    description: str | None = None
    condition: str | None = None
    condition_version: str | None = None
    delegated_managed_identity_resource_id: str | None = None

    @property
    def id(self) -> str:
        return extension_id(self.scope.id, f"providers/{AUTHORIZATION}/roleAssignments/{self.name}")

    @property
    def role_guid(self) -> str:
        return self.role_definition_id.rstrip("/").rsplit("/", 1)[-1].casefold()

    def to_json(self) -> dict[str, Any]:
        """The assignment as ARM renders it: every property present, unset ones ``null``."""
        return {
            "properties": {
                "roleDefinitionId": self.role_definition_id,
                "principalId": self.principal_id,
                "principalType": self.principal_type,
                "scope": self.scope.id,
                "condition": self.condition,
                "conditionVersion": self.condition_version,
                "createdOn": self.created_on,
                "updatedOn": self.updated_on,
                "createdBy": self.created_by,
                "updatedBy": self.updated_by,
                "delegatedManagedIdentityResourceId": self.delegated_managed_identity_resource_id,
                "description": self.description,
            },
            "id": self.id,
            "type": f"{AUTHORIZATION}/roleAssignments",
            "name": self.name,
        }


@dataclass
class PolicyDefinition:
    """A policy definition or a policy set definition (initiative): built-in at the tenant, or custom."""

    kind: DefinitionKind
    name: str
    scope: ResolvedScope
    properties: dict[str, Any]

    @property
    def id(self) -> str:
        return extension_id(self.scope.id, f"providers/{AUTHORIZATION}/{self.kind}/{self.name}")

    @property
    def is_set(self) -> bool:
        return self.kind == "policySetDefinitions"

    @property
    def parameters(self) -> dict[str, Any]:
        parameters = self.properties.get("parameters")
        return parameters if isinstance(parameters, dict) else {}

    def to_json(self) -> dict[str, Any]:
        return {
            "properties": self.properties,
            "id": self.id,
            "type": f"{AUTHORIZATION}/{self.kind}",
            "name": self.name,
        }


@dataclass
class PolicyAssignment:
    """``Microsoft.Authorization/policyAssignments/{name}`` at a subscription or group.

    ``identity_visible_at`` is when the directory shows the system-assigned identity's principal
    (monotonic clock): it is created with the assignment, subject to replication delay.
    """

    name: str
    scope: ResolvedScope
    properties: dict[str, Any]
    location: str | None = None
    identity: dict[str, Any] | None = None
    identity_visible_at: float = field(default_factory=time.monotonic)

    @property
    def id(self) -> str:
        return extension_id(self.scope.id, f"providers/{AUTHORIZATION}/policyAssignments/{self.name}")

    @property
    def definition_id(self) -> str:
        return str(self.properties.get("policyDefinitionId", ""))

    @property
    def parameter_values(self) -> dict[str, Any]:
        given = self.properties.get("parameters") or {}
        return {name: value.get("value") for name, value in given.items() if isinstance(value, dict)}

    @property
    def principal_id(self) -> str | None:
        if self.identity is None or str(self.identity.get("type", "")).casefold() != "systemassigned":
            return None
        principal = self.identity.get("principalId")
        return str(principal) if principal else None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"properties": self.properties, "id": self.id}
        body["type"] = f"{AUTHORIZATION}/policyAssignments"
        body["name"] = self.name
        if self.location is not None:
            body["location"] = self.location
        if self.identity is not None:
            body["identity"] = self.identity
        return body


@dataclass
class Remediation:
    """``Microsoft.PolicyInsights/remediations/{name}`` in a resource group.

    ``gets`` counts the GETs that have seen it, which is what moves it from ``Evaluating`` to
    ``Succeeded`` (see the ``remediationPolls`` setting).
    """

    name: str
    scope: ResolvedScope
    properties: dict[str, Any]
    total_deployments: int
    gets: int = 0

    @property
    def id(self) -> str:
        return extension_id(self.scope.id, f"providers/Microsoft.PolicyInsights/remediations/{self.name}")

    def to_json(self, provisioning_state: str) -> dict[str, Any]:
        done = provisioning_state == "Succeeded"
        return {
            "properties": {
                **self.properties,
                "provisioningState": provisioning_state,
                "deploymentStatus": {
                    "totalDeployments": self.total_deployments,
                    "successfulDeployments": self.total_deployments if done else 0,
                    "failedDeployments": 0,
                },
            },
            "id": self.id,
            "type": "Microsoft.PolicyInsights/remediations",
            "name": self.name,
        }
