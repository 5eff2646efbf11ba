"""Remediation tasks through azure-mgmt-policyinsights: validation, state progression, lists."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.policyinsights.aio import PolicyInsightsClient
from azure.mgmt.policyinsights.models import Remediation
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.policy.models import PolicyAssignment, PolicySetDefinition

from emulator.client import EmulatorControl, SeedResource, SeedResourceGroup, SeedSubscription
from tests.emulator.access_support import (
    INHERIT_TAG,
    MG,
    MG_SCOPE,
    REQUIRE_TAG,
    SUB_SCOPE,
    baseline_initiative,
    builtin_policy,
    failure,
    group_scope,
    message,
    refusal,
    statuses,
)
from tests.emulator.conftest import SUB

GROUP = group_scope("rg-m")
INHERIT = f"{GROUP}/providers/Microsoft.Authorization/policyAssignments/inherit"
BASELINE = f"{GROUP}/providers/Microsoft.Authorization/policyAssignments/baseline"


@pytest.fixture(autouse=True)
async def estate(control: EmulatorControl, policy: PolicyClient) -> None:
    """rg-m with three resources; 'inherit' (modify) and 'baseline' (initiative) assigned to it."""
    resources = [
        SeedResource("Microsoft.Storage/storageAccounts", "sa1", kind="StorageV2", sku={"name": "Standard_LRS"}),
        SeedResource("Microsoft.KeyVault/vaults", "kv1"),
        SeedResource("Microsoft.Sql/servers", "sql1"),
    ]
    control.seed(
        [
            SeedSubscription(
                SUB, resource_groups=[SeedResourceGroup("rg-m", resources=resources), SeedResourceGroup("rg-n")]
            )
        ]
    )
    control.add_management_group(MG, subscriptions=[SUB])
    identity = {"type": "SystemAssigned"}
    await policy.policy_assignments.create(
        GROUP,
        "inherit",
        PolicyAssignment(
            {
                "location": "westeurope",
                "identity": identity,
                "properties": {
                    "policyDefinitionId": builtin_policy(INHERIT_TAG),
                    "parameters": {"tagName": {"value": "CostCenter"}},
                },
            }
        ),
    )
    await policy.policy_set_definitions.create_or_update_at_management_group(
        MG, "baseline", PolicySetDefinition(baseline_initiative())
    )
    await policy.policy_assignments.create(
        GROUP,
        "baseline",
        PolicyAssignment(
            {
                "location": "westeurope",
                "identity": identity,
                "properties": {
                    "policyDefinitionId": f"{MG_SCOPE}/providers/Microsoft.Authorization/policySetDefinitions/baseline",
                    "parameters": {"allowedLocations": {"value": ["westeurope"]}},
                },
            }
        ),
    )
    await policy.policy_assignments.create(
        GROUP,
        "require",
        PolicyAssignment(
            {
                "properties": {
                    "policyDefinitionId": builtin_policy(REQUIRE_TAG),
                    "parameters": {"tagName": {"value": "x"}},
                }
            }
        ),
    )
    control.clear_requests()


def task(assignment: str, reference: str | None = None, **extra: Any) -> Remediation:
    return Remediation(
        policy_assignment_id=assignment,
        policy_definition_reference_id=reference,
        resource_discovery_mode="ExistingNonCompliant",
        **extra,
    )


async def test_create_answers_201_accepted_with_one_deployment_per_resource(
    insights: PolicyInsightsClient, control: EmulatorControl
) -> None:
    created = await insights.remediations.create_or_update_at_resource_group("rg-m", "r1", task(INHERIT))

    assert statuses(control, "PUT", "remediations/r1") == [201]
    assert created.id == f"{GROUP}/providers/Microsoft.PolicyInsights/remediations/r1"
    assert (created.name, created.type) == ("r1", "Microsoft.PolicyInsights/remediations")
    assert created.policy_assignment_id == INHERIT
    assert created.provisioning_state == "Accepted"
    assert created.resource_discovery_mode == "ExistingNonCompliant"
    assert created.deployment_status is not None
    assert (created.deployment_status.total_deployments, created.deployment_status.successful_deployments) == (3, 0)
    assert created.created_on is not None
    [logged] = [entry for entry in control.requests_log() if entry.method == "PUT"]
    assert logged.query["api-version"] == "2019-07-01"


async def test_reads_move_it_from_evaluating_to_succeeded(insights: PolicyInsightsClient) -> None:
    await insights.remediations.create_or_update_at_resource_group("rg-m", "r1", task(INHERIT))

    states = [(await insights.remediations.get_at_resource_group("rg-m", "r1")) for _ in range(3)]

    assert [state.provisioning_state for state in states] == ["Evaluating", "Succeeded", "Succeeded"]
    final = states[-1].deployment_status
    assert final is not None
    assert (final.total_deployments, final.successful_deployments, final.failed_deployments) == (3, 3, 0)


@pytest.mark.parametrize(("polls", "expected"), [(0, ["Succeeded"]), (3, ["Evaluating"] * 3 + ["Succeeded"])])
async def test_the_number_of_evaluating_reads_is_a_setting(
    insights: PolicyInsightsClient, control: EmulatorControl, polls: int, expected: list[str]
) -> None:
    control.set_remediation_polls(polls)
    await insights.remediations.create_or_update_at_resource_group("rg-m", "r1", task(INHERIT))

    states = [(await insights.remediations.get_at_resource_group("rg-m", "r1")).provisioning_state for _ in expected]

    assert states == expected


async def test_a_repeated_put_answers_200(insights: PolicyInsightsClient, control: EmulatorControl) -> None:
    first = await insights.remediations.create_or_update_at_resource_group("rg-m", "r1", task(INHERIT))
    again = await insights.remediations.create_or_update_at_resource_group("rg-m", "r1", task(INHERIT))

    assert statuses(control, "PUT", "remediations/r1") == [201, 200]
    assert again.created_on == first.created_on


async def test_an_initiative_needs_a_reference_id_with_azures_message(insights: PolicyInsightsClient) -> None:
    error = await refusal(insights.remediations.create_or_update_at_resource_group("rg-m", "r1", task(BASELINE)))

    assert failure(error) == (400, "InvalidCreateRemediationRequest")
    assert message(error) == (
        f"The request to create remediation 'r1' is invalid. The policy assignment '{BASELINE.casefold()}' assigns a "
        "policy set definition. Remediations must specify a single policy definition reference ID within the policy "
        "set definition."
    )


async def test_an_initiative_member_that_modifies_is_remediated(insights: PolicyInsightsClient) -> None:
    created = await insights.remediations.create_or_update_at_resource_group(
        "rg-m", "r1", task(BASELINE, "inherit-cost-center")
    )

    assert created.policy_definition_reference_id == "inherit-cost-center"


@pytest.mark.parametrize(
    ("assignment", "reference"),
    [
        (BASELINE, "require-cost-center"),
        (BASELINE, "no-such-member"),
        (f"{GROUP}/providers/Microsoft.Authorization/policyAssignments/require", None),
        (INHERIT, "inherit-cost-center"),
        (f"{GROUP}/providers/Microsoft.Authorization/policyAssignments/missing", None),
        (f"{group_scope('rg-n')}/providers/Microsoft.Authorization/policyAssignments/x", None),
    ],
)
async def test_what_cannot_be_remediated_is_400_invalid_create_remediation_request(
    insights: PolicyInsightsClient, assignment: str, reference: str | None
) -> None:
    error = await refusal(
        insights.remediations.create_or_update_at_resource_group("rg-m", "r1", task(assignment, reference))
    )

    assert failure(error) == (400, "InvalidCreateRemediationRequest")
    assert message(error).startswith("The request to create remediation 'r1' is invalid. ")


async def test_an_assignment_of_another_group_does_not_apply(
    insights: PolicyInsightsClient, policy: PolicyClient
) -> None:
    await policy.policy_assignments.create(
        group_scope("rg-n"),
        "inherit-n",
        PolicyAssignment(
            {
                "location": "westeurope",
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "policyDefinitionId": builtin_policy(INHERIT_TAG),
                    "parameters": {"tagName": {"value": "x"}},
                },
            }
        ),
    )
    elsewhere = f"{group_scope('rg-n')}/providers/Microsoft.Authorization/policyAssignments/inherit-n"

    error = await refusal(insights.remediations.create_or_update_at_resource_group("rg-m", "r1", task(elsewhere)))

    assert failure(error) == (400, "InvalidCreateRemediationRequest")
    assert "does not apply to the remediation scope" in message(error)


async def test_a_subscription_assignment_is_remediated_in_a_group(
    insights: PolicyInsightsClient, policy: PolicyClient
) -> None:
    await policy.policy_assignments.create(
        SUB_SCOPE,
        "inherit-sub",
        PolicyAssignment(
            {
                "location": "westeurope",
                "identity": {"type": "SystemAssigned"},
                "properties": {
                    "policyDefinitionId": builtin_policy(INHERIT_TAG),
                    "parameters": {"tagName": {"value": "x"}},
                },
            }
        ),
    )

    created = await insights.remediations.create_or_update_at_resource_group(
        "rg-m", "r1", task(f"{SUB_SCOPE}/providers/Microsoft.Authorization/policyAssignments/inherit-sub")
    )

    assert created.provisioning_state == "Accepted"


async def test_an_unknown_discovery_mode_is_400(insights: PolicyInsightsClient) -> None:
    error = await refusal(
        insights.remediations.create_or_update_at_resource_group(
            "rg-m", "r1", Remediation(policy_assignment_id=INHERIT, resource_discovery_mode="Everything")
        )
    )

    assert failure(error) == (400, "InvalidRequestContent")


async def test_delete_answers_200_then_204_and_lists_follow(
    insights: PolicyInsightsClient, control: EmulatorControl
) -> None:
    await insights.remediations.create_or_update_at_resource_group("rg-m", "r1", task(INHERIT))
    await insights.remediations.create_or_update_at_resource_group("rg-m", "r2", task(BASELINE, "inherit-cost-center"))

    listed = sorted([str(r.name) async for r in insights.remediations.list_for_resource_group("rg-m")])
    deleted = await insights.remediations.delete_at_resource_group("rg-m", "r1")
    again = await insights.remediations.delete_at_resource_group("rg-m", "r1")

    assert listed == ["r1", "r2"]
    assert deleted is not None
    assert deleted.name == "r1"
    assert again is None
    assert statuses(control, "DELETE", "remediations/r1") == [200, 204]
    assert [r.name async for r in insights.remediations.list_for_resource_group("rg-m")] == ["r2"]
    with pytest.raises(HttpResponseError) as missing:
        await insights.remediations.get_at_resource_group("rg-m", "r1")
    assert missing.value.status_code == 404
