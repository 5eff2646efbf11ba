"""The subscription events Azure raises for role assignments, policy assignments and remediations."""

from __future__ import annotations

from typing import Any

from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from azure.mgmt.policyinsights.aio import PolicyInsightsClient
from azure.mgmt.policyinsights.models import Remediation
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.policy.models import PolicyAssignment, PolicyDefinition

from emulator.client import EmulatorControl
from tests.emulator.access_support import (
    GROUP_PRINCIPAL,
    INHERIT_TAG,
    MG,
    NAME_1,
    NAME_2,
    READER,
    add_principals,
    builtin_policy,
    custom_definition,
    group_scope,
    refusal,
    role_id,
)
from tests.emulator.conftest import SUB
from tests.emulator.test_events import subscribe
from tests.emulator.webhook import WebhookReceiver

GROUP = group_scope("rg-e")
OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def summary(events: list[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    ordered = sorted(events, key=lambda event: str(event["eventTime"]))
    return [
        (e["eventType"].rsplit(".", 1)[1], e["data"]["operationName"], e["subject"], "httpRequest" in e["data"])
        for e in ordered
    ]


async def test_role_assignment_writes_and_deletes_raise_events_with_the_callers_claims(
    authorization: AuthorizationManagementClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    control.seed_groups(SUB, {"rg-e": {}})
    add_principals(control)
    subscribe(control, webhook)
    grant = RoleAssignmentCreateParameters(
        role_definition_id=role_id(READER), principal_id=GROUP_PRINCIPAL, principal_type="Group"
    )

    await authorization.role_assignments.create(GROUP, NAME_1, grant)
    await authorization.role_assignments.create(GROUP, NAME_1, grant)
    await refusal(authorization.role_assignments.create(GROUP, NAME_2, grant))  # 409: no event
    _ = [a async for a in authorization.role_assignments.list_for_resource_group("rg-e")]
    await authorization.role_assignments.delete(GROUP, NAME_1)
    await authorization.role_assignments.delete(GROUP, NAME_1)  # 204: no event
    control.wait_for_deliveries_idle(timeout=5)

    assignment = f"{GROUP}/providers/Microsoft.Authorization/roleAssignments/{NAME_1}"
    events = webhook.events()
    assert summary(events) == [
        ("ResourceWriteSuccess", "Microsoft.Authorization/roleAssignments/write", assignment, False),
        ("ResourceWriteSuccess", "Microsoft.Authorization/roleAssignments/write", assignment, True),
        ("ResourceDeleteSuccess", "Microsoft.Authorization/roleAssignments/delete", assignment, True),
    ]
    identity = control.identity()
    for event in events:
        data = event["data"]
        assert event["topic"] == f"/subscriptions/{SUB}"
        assert data["resourceProvider"] == "Microsoft.Authorization"
        assert data["authorization"]["action"] == data["operationName"]
        assert data["claims"][OBJECT_ID] == identity.principal_id
        assert data["tenantId"] == identity.tenant_id


async def test_policy_assignment_and_remediation_writes_raise_events(
    policy: PolicyClient, insights: PolicyInsightsClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    control.seed_groups(SUB, {"rg-e": {}})
    subscribe(control, webhook)
    body = {
        "location": "westeurope",
        "identity": {"type": "SystemAssigned"},
        "properties": {"policyDefinitionId": builtin_policy(INHERIT_TAG), "parameters": {"tagName": {"value": "x"}}},
    }

    await policy.policy_assignments.create(GROUP, "inherit", PolicyAssignment(body))
    assignment = f"{GROUP}/providers/Microsoft.Authorization/policyAssignments/inherit"
    await insights.remediations.create_or_update_at_resource_group(
        "rg-e", "r1", Remediation(policy_assignment_id=assignment)
    )
    await insights.remediations.get_at_resource_group("rg-e", "r1")
    await policy.policy_assignments.delete(GROUP, "inherit")
    control.wait_for_deliveries_idle(timeout=5)

    remediation = f"{GROUP}/providers/Microsoft.PolicyInsights/remediations/r1"
    assert summary(webhook.events()) == [
        ("ResourceWriteSuccess", "Microsoft.Authorization/policyAssignments/write", assignment, False),
        ("ResourceWriteSuccess", "Microsoft.PolicyInsights/remediations/write", remediation, False),
        ("ResourceDeleteSuccess", "Microsoft.Authorization/policyAssignments/delete", assignment, True),
    ]
    claims = {event["data"]["claims"][OBJECT_ID] for event in webhook.events()}
    assert claims == {control.identity().principal_id}


async def test_writes_above_subscriptions_raise_no_subscription_event(
    policy: PolicyClient, control: EmulatorControl, webhook: WebhookReceiver
) -> None:
    control.add_management_group(MG, subscriptions=[SUB])
    subscribe(control, webhook)

    await policy.policy_definitions.create_or_update_at_management_group(MG, "d", PolicyDefinition(custom_definition()))
    await policy.policy_definitions.create_or_update("d", PolicyDefinition(custom_definition()))
    control.wait_for_deliveries_idle(timeout=5)

    assert summary(webhook.events()) == [
        (
            "ResourceWriteSuccess",
            "Microsoft.Authorization/policyDefinitions/write",
            f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyDefinitions/d",
            False,
        )
    ]
