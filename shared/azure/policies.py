"""Policy assignments, definitions and remediations (``azure-mgmt-resource-policy``,
``azure-mgmt-policyinsights``, async).

``azure-mgmt-resource`` 25 moved the policy client into its own package; its 1.x speaks
api-version 2026-06-01, where a PUT of an assignment answers 201 for create *and* update.
Definitions and initiatives are read once per process (they change with deployments of the platform
team, not with data products) and parsed into ``shared.policy_definitions``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.policyinsights.aio import PolicyInsightsClient
from azure.mgmt.policyinsights.models import Remediation
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.policy.models import PolicyAssignment

from shared.azure.clients import ArmClients
from shared.model import GroupRef, ObservedPolicyAssignment
from shared.policy_definitions import Assignable, Definition, member_ids, parse_definition, parse_set


def observed_assignment(model: Any) -> ObservedPolicyAssignment:
    body: dict[str, Any] = model.as_dict() if hasattr(model, "as_dict") else dict(model)
    properties = body.get("properties") or {}
    identity = body.get("identity") or {}
    return ObservedPolicyAssignment(
        id=str(body.get("id", "")),
        name=str(body.get("name", "")),
        scope=str(properties.get("scope", "")),
        definition_id=str(properties.get("policyDefinitionId", "")),
        display_name=properties.get("displayName"),
        description=properties.get("description"),
        parameters={name: (value or {}).get("value") for name, value in (properties.get("parameters") or {}).items()},
        enforcement_mode=str(properties.get("enforcementMode") or "Default"),
        not_scopes=tuple(str(scope) for scope in properties.get("notScopes") or ()),
        messages=tuple(
            (str(item.get("message", "")), item.get("policyDefinitionReferenceId"))
            for item in properties.get("nonComplianceMessages") or ()
        ),
        metadata=dict(properties.get("metadata") or {}),
        identity_type=identity.get("type"),
        principal_id=(identity.get("principalId") or None),
        location=body.get("location"),
    )


def _subscription(scope: str) -> str:
    return scope.strip("/").split("/")[1]


class PolicyAssignments:
    """The policy aspect's adapter."""

    def __init__(self, clients: ArmClients, subscription_for_reads: str) -> None:
        self._clients = clients
        self._reader = subscription_for_reads  # built-ins and management groups need some subscription's client
        self._definitions: dict[str, asyncio.Task[Assignable]] = {}

    def _policy(self, subscription_id: str) -> PolicyClient:
        return self._clients.policy(subscription_id)

    async def list_at_group(self, ref: GroupRef) -> tuple[ObservedPolicyAssignment, ...]:
        """The assignments made exactly at the group (inherited ones are someone else's)."""
        pager = self._policy(ref.subscription_id).policy_assignments.list_for_resource_group(
            ref.name, filter="atScope()"
        )
        try:
            found = [observed_assignment(item) async for item in pager]
        except ResourceNotFoundError:
            return ()
        return tuple(a for a in found if a.scope.lower().rstrip("/") == ref.scope.lower())

    async def list_subscription(self, subscription_id: str) -> AsyncIterator[ObservedPolicyAssignment]:
        """Every assignment at, above and below the subscription: bulk reconcile's one list."""
        async for item in self._policy(subscription_id).policy_assignments.list():
            yield observed_assignment(item)

    async def create(self, scope: str, name: str, body: Mapping[str, Any]) -> ObservedPolicyAssignment:
        """PUT the assignment (create or update: ARM answers 201 for both)."""
        model = PolicyAssignment(dict(body))  # the SDK's hybrid model wraps the wire JSON as is
        created = await self._policy(_subscription(scope)).policy_assignments.create(scope, name, model)
        return observed_assignment(created)

    async def delete(self, scope: str, name: str) -> None:
        await self._policy(_subscription(scope)).policy_assignments.delete(scope, name)

    async def remediate(self, ref: GroupRef, name: str, assignment_id: str, reference_id: str | None) -> str:
        """Start a remediation task for the resources already in the group; returns its id."""
        client: PolicyInsightsClient = self._clients.policy_insights(ref.subscription_id)
        parameters = Remediation(
            policy_assignment_id=assignment_id,
            policy_definition_reference_id=reference_id,
            resource_discovery_mode="ExistingNonCompliant",
        )
        created = await client.remediations.create_or_update_at_resource_group(ref.name, name, parameters)
        return str(created.id or f"{ref.scope}/providers/Microsoft.PolicyInsights/remediations/{name}")

    async def definition(self, definition_id: str) -> Assignable:
        """A definition or initiative (with its members), read once per process."""
        key = definition_id.lower()
        task = self._definitions.get(key)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = self._definitions[key] = asyncio.ensure_future(self._read(definition_id))
        return await asyncio.shield(task)

    async def _read(self, definition_id: str) -> Assignable:
        body = await self._get(definition_id)
        if "/policysetdefinitions/" not in definition_id.lower():
            return parse_definition(body)
        ids = member_ids(body)
        members = await asyncio.gather(*(self._get(member) for member in ids))
        parsed: dict[str, Definition] = {
            member_id.lower(): parse_definition(member) for member_id, member in zip(ids, members, strict=True)
        }
        return parse_set(body, parsed)

    async def _get(self, definition_id: str) -> dict[str, Any]:
        parts = definition_id.strip("/").split("/")
        lowered = [part.lower() for part in parts]
        name, kind = parts[-1], lowered[-2]
        client = self._policy(_subscription(definition_id) if lowered[0] == "subscriptions" else self._reader)
        if kind == "policysetdefinitions":
            sets = client.policy_set_definitions
            if lowered[0] == "subscriptions":
                found: Any = await sets.get(name)
            elif "managementgroups" in lowered:
                found = await sets.get_at_management_group(parts[lowered.index("managementgroups") + 1], name)
            else:
                found = await sets.get_built_in(name)
        else:
            definitions = client.policy_definitions
            if lowered[0] == "subscriptions":
                found = await definitions.get(name)
            elif "managementgroups" in lowered:
                found = await definitions.get_at_management_group(parts[lowered.index("managementgroups") + 1], name)
            else:
                found = await definitions.get_built_in(name)
        result: dict[str, Any] = found.as_dict()
        return result
