"""Azure Policy end to end: the domain's initiative assigned within one event, kept, remediation-ready."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.policyinsights.aio import PolicyInsightsClient
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.policy.models import PolicyAssignment
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from shared.config import load_config
from shared.engine import open_engine
from shared.model import GroupRef
from shared.settings import Settings
from tests.integration.conftest import EMEA, EXAMPLE_CONFIG, TEAM_CLIENT_ID, LocalAzure
from tests.integration.support import group_writes

CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
ASSIGNMENT = "dpgov-sales-baseline"
GROUP = "dp-sales-orders-rg"
SCOPE = f"/subscriptions/{EMEA}/resourceGroups/{GROUP}"


@pytest.fixture
async def team_policy(app_environment: dict[str, str]) -> AsyncIterator[PolicyClient]:
    async with (
        ManagedIdentityCredential(client_id=TEAM_CLIENT_ID) as credential,
        PolicyClient(credential, EMEA, base_url=app_environment["DPGOV_ARM_ENDPOINT"]) as client,
    ):
        yield client


@pytest.fixture
async def insights(app_environment: dict[str, str]) -> AsyncIterator[PolicyInsightsClient]:
    async with (
        DefaultAzureCredential() as credential,
        PolicyInsightsClient(credential, EMEA, base_url=app_environment["DPGOV_ARM_ENDPOINT"]) as client,
    ):
        yield client


async def test_a_new_sales_product_gets_its_initiative_with_identity_grant_and_one_remediation(
    azure: LocalAzure,
    arm: ResourceManagementClient,
    policy: PolicyClient,
    authorization: AuthorizationManagementClient,
    insights: PolicyInsightsClient,
) -> None:
    await arm.resource_groups.create_or_update(GROUP, {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=20)

    assignment = await policy.policy_assignments.get(SCOPE, ASSIGNMENT)
    body = assignment.as_dict()
    principal = body["identity"]["principalId"]
    grants = [
        a
        async for a in authorization.role_assignments.list_for_scope(SCOPE, filter="atScope()")
        if a.principal_id == principal
    ]
    remediations = [r async for r in insights.remediations.list_for_resource_group(GROUP)]

    assert body["location"] == "westeurope"
    assert body["identity"]["type"] == "SystemAssigned"
    assert body["properties"]["metadata"]["managedBy"] == "dpgov"
    assert body["properties"]["parameters"]["costCenterTag"] == {"value": "CostCenter"}
    assert [str(g.role_definition_id).rsplit("/", 1)[-1] for g in grants] == [CONTRIBUTOR]
    assert [r.policy_definition_reference_id for r in remediations] == ["inheritCostCenterTag"]
    assert [d.attempts for d in group_writes(azure.control, GROUP)] == [1], "within one event"
    azure.control.clear_requests()
    again = azure.post(f"dataproducts/{EMEA}/{GROUP}/sync").json()
    assert again["outcome"] == "compliant"
    assert azure.control.request_summary().writes == 0, "the remediation ran once"


async def test_a_changed_parameter_is_updated_in_place_on_the_next_reconcile(
    azure: LocalAzure, arm: ResourceManagementClient, policy: PolicyClient
) -> None:
    await arm.resource_groups.create_or_update(GROUP, {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=20)
    before = (await policy.policy_assignments.get(SCOPE, ASSIGNMENT)).as_dict()
    config = load_config(EXAMPLE_CONFIG)
    sales = config.domains["sales"]
    changed = sales.policies[0].model_copy(
        update={"parameters": {"allowedLocations": ["westeurope"], "costCenterTag": "CostCenter"}}
    )
    updated = config.model_copy(
        update={"domains": {**config.domains, "sales": sales.model_copy(update={"policies": [changed]})}}
    )

    async with open_engine(Settings.from_environment(), updated) as engine:
        report = await engine.reconciler.reconcile_group(GroupRef(EMEA, GROUP))

    after = (await policy.policy_assignments.get(SCOPE, ASSIGNMENT)).as_dict()
    assert [(a["kind"], a.get("new")) for a in report.plan.to_list() if a["aspect"] == "policy"] == [
        ("put_policy_assignment", False)
    ]
    assert after["properties"]["parameters"]["allowedLocations"] == {"value": ["westeurope"]}
    assert after["identity"]["principalId"] == before["identity"]["principalId"], "updated in place, same identity"


async def test_an_assignment_deleted_by_someone_else_is_restored_by_its_own_event(
    azure: LocalAzure, arm: ResourceManagementClient, policy: PolicyClient, team_policy: PolicyClient
) -> None:
    await arm.resource_groups.create_or_update(GROUP, {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=20)

    await team_policy.policy_assignments.delete(SCOPE, ASSIGNMENT)
    azure.control.wait_for_deliveries_idle(timeout=20)

    restored = (await policy.policy_assignments.get(SCOPE, ASSIGNMENT)).as_dict()
    assert restored["properties"]["metadata"]["managedBy"] == "dpgov"


async def test_a_foreign_assignment_is_untouched_and_reported(
    azure: LocalAzure, arm: ResourceManagementClient, team_policy: PolicyClient
) -> None:
    await arm.resource_groups.create_or_update(GROUP, {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=20)
    require_tag = "/providers/Microsoft.Authorization/policyDefinitions/871b6d14-10aa-478d-b590-94f262ecfa99"
    body = PolicyAssignment(
        {"properties": {"policyDefinitionId": require_tag, "parameters": {"tagName": {"value": "team"}}}}
    )
    await team_policy.policy_assignments.create(SCOPE, "team-requires-team-tag", body)
    azure.control.wait_for_deliveries_idle(timeout=20)

    report = azure.post(f"dataproducts/{EMEA}/{GROUP}/sync", dryRun="true").json()

    (condition,) = [c for c in report["conditions"] if c["aspect"] == "policy"]
    assert condition["status"] == "compliant"
    assert [f["reason"] for f in condition["findings"]] == ["ForeignPolicyAssignment"]
    assert (await team_policy.policy_assignments.get(SCOPE, "team-requires-team-tag")).as_dict()[
        "name"
    ] == "team-requires-team-tag"
