"""Policy assignments through azure-mgmt-resource-policy: ARM's statuses, validation, identities and lists."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.policy.models import PolicyAssignment, PolicyDefinition, PolicySetDefinition
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import EmulatorControl
from tests.emulator.access_support import (
    ALLOWED_LOCATIONS,
    CONTRIBUTOR,
    INHERIT_TAG,
    MG,
    MG_SCOPE,
    NAME_1,
    REQUIRE_TAG,
    SECURE_TRANSFER,
    SUB_SCOPE,
    baseline_initiative,
    builtin_policy,
    custom_definition,
    failure,
    group_scope,
    message,
    refusal,
    role_id,
    statuses,
)
from tests.emulator.conftest import OTHER_SUB, SUB

GROUP = group_scope("rg-p")
BASELINE = f"{MG_SCOPE}/providers/Microsoft.Authorization/policySetDefinitions/baseline"
ARM_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


@pytest.fixture(autouse=True)
def estate(control: EmulatorControl) -> None:
    control.seed_groups(SUB, {"rg-p": {}, "rg-q": {}})
    control.add_management_group(MG, subscriptions=[SUB])


def assignment(definition: str, parameters: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {"policyDefinitionId": definition, "displayName": "dpgov"}
    if parameters is not None:
        properties["parameters"] = {name: {"value": value} for name, value in parameters.items()}
    properties.update(extra.pop("properties", {}))
    return {**extra, "properties": properties}


def require_tag(**extra: Any) -> dict[str, Any]:
    return assignment(builtin_policy(REQUIRE_TAG), {"tagName": "CostCenter"}, **extra)


def with_identity(body: dict[str, Any], location: str | None = "westeurope") -> dict[str, Any]:
    body["identity"] = {"type": "SystemAssigned"}
    if location is not None:
        body["location"] = location
    return body


async def baseline(policy: PolicyClient) -> None:
    await policy.policy_set_definitions.create_or_update_at_management_group(
        MG, "baseline", PolicySetDefinition(baseline_initiative())
    )


# -- create, update, read, delete ------------------------------------------------------------------


async def test_create_answers_201_with_the_assignment_as_arm_renders_it(
    policy: PolicyClient, control: EmulatorControl
) -> None:
    created = (
        await policy.policy_assignments.create(
            GROUP, "dpgov-require-tag", PolicyAssignment(require_tag(properties={"metadata": {"managedBy": "dpgov"}}))
        )
    ).as_dict()

    assert statuses(control, "PUT", "dpgov-require-tag") == [201]
    assert created["id"] == f"{GROUP}/providers/Microsoft.Authorization/policyAssignments/dpgov-require-tag"
    assert (created["name"], created["type"]) == ("dpgov-require-tag", "Microsoft.Authorization/policyAssignments")
    properties = created["properties"]
    assert properties["scope"] == GROUP
    assert properties["policyDefinitionId"] == builtin_policy(REQUIRE_TAG)
    assert properties["parameters"] == {"tagName": {"value": "CostCenter"}}
    assert (properties["enforcementMode"], properties["notScopes"]) == ("Default", [])
    assert properties["definitionVersion"] == "1.*.*"
    assert uuid.UUID(properties["instanceId"])
    metadata = properties["metadata"]
    assert metadata["managedBy"] == "dpgov", "the caller's metadata stays"
    assert metadata["createdBy"] == control.identity().principal_id
    assert ARM_TIMESTAMP.match(metadata["createdOn"])
    assert (metadata["updatedBy"], metadata["updatedOn"]) == (None, None)
    assert "identity" not in created


async def test_an_update_answers_201_too_and_keeps_instance_and_creation(
    policy: PolicyClient, control: EmulatorControl
) -> None:
    first = (await policy.policy_assignments.create(GROUP, "a1", PolicyAssignment(require_tag()))).as_dict()
    second = (
        await policy.policy_assignments.create(
            GROUP, "a1", PolicyAssignment(require_tag(properties={"enforcementMode": "DoNotEnforce"}))
        )
    ).as_dict()

    assert statuses(control, "PUT", "policyAssignments/a1") == [201, 201]
    assert second["properties"]["enforcementMode"] == "DoNotEnforce"
    assert second["properties"]["instanceId"] == first["properties"]["instanceId"]
    assert second["properties"]["metadata"]["createdOn"] == first["properties"]["metadata"]["createdOn"]
    assert second["properties"]["metadata"]["updatedBy"] == control.identity().principal_id


async def test_get_of_a_missing_assignment_is_404_policy_assignment_not_found(policy: PolicyClient) -> None:
    error = await refusal(policy.policy_assignments.get(GROUP, "nope"))

    assert isinstance(error, ResourceNotFoundError)
    assert failure(error) == (404, "PolicyAssignmentNotFound")
    assert message(error) == "The policy assignment 'nope' is not found."


async def test_delete_answers_200_with_the_assignment_then_204(policy: PolicyClient, control: EmulatorControl) -> None:
    await policy.policy_assignments.create(GROUP, "a1", PolicyAssignment(require_tag()))

    deleted = await policy.policy_assignments.delete(GROUP, "a1")
    again = await policy.policy_assignments.delete(GROUP, "a1")

    assert deleted is not None
    assert deleted.as_dict()["name"] == "a1"
    assert again is None
    assert statuses(control, "DELETE", "policyAssignments/a1") == [200, 204]


async def test_an_assignment_at_a_subscription_is_served_too(policy: PolicyClient) -> None:
    created = (await policy.policy_assignments.create(SUB_SCOPE, "sub-wide", PolicyAssignment(require_tag()))).as_dict()

    assert created["properties"]["scope"] == SUB_SCOPE
    assert (await policy.policy_assignments.get(SUB_SCOPE, "sub-wide")).as_dict()["id"] == created["id"]


# -- what ARM refuses --------------------------------------------------------------------------------


async def test_a_missing_definition_is_400_policy_definition_not_found(policy: PolicyClient) -> None:
    missing = builtin_policy("00000000-0000-4000-8000-000000000009")

    error = await refusal(policy.policy_assignments.create(GROUP, "a1", PolicyAssignment(assignment(missing))))

    assert failure(error) == (400, "PolicyDefinitionNotFound")
    assert message(error) == (
        f"The policy assignment create request is invalid. The policy definition '{missing}' could not be found."
    )


async def test_a_missing_initiative_is_400_policy_set_definition_not_found(policy: PolicyClient) -> None:
    error = await refusal(policy.policy_assignments.create(GROUP, "a1", PolicyAssignment(assignment(BASELINE, {}))))

    assert failure(error) == (400, "PolicySetDefinitionNotFound")
    assert message(error) == (
        f"The policy assignment create request is invalid. The policy set definition '{BASELINE}' could not be found."
    )


async def test_a_definition_outside_the_assignments_ancestry_is_out_of_scope(
    policy: PolicyClient, control: EmulatorControl
) -> None:
    control.add_management_group("mg-other", subscriptions=[OTHER_SUB])
    await policy.policy_definitions.create_or_update_at_management_group(
        "mg-other", "elsewhere", PolicyDefinition(custom_definition())
    )
    elsewhere = "/providers/Microsoft.Management/managementGroups/mg-other/providers/Microsoft.Authorization/policyDefinitions/elsewhere"

    error = await refusal(policy.policy_assignments.create(GROUP, "a1", PolicyAssignment(assignment(elsewhere))))

    assert failure(error) == (400, "InvalidCreatePolicyAssignmentRequest")
    assert message(error) == (
        "The policy definition specified in policy assignment 'a1' is out of scope. Policy definitions should be "
        "specified only at or above the policy assignment scope."
    )


async def test_a_parameter_the_definition_does_not_declare_is_400_undefined_policy_parameter(
    policy: PolicyClient,
) -> None:
    body = assignment(builtin_policy(REQUIRE_TAG), {"tagName": "CostCenter", "effect": "Audit"})

    error = await refusal(policy.policy_assignments.create(GROUP, "a1", PolicyAssignment(body)))

    assert failure(error) == (400, "UndefinedPolicyParameter")
    assert message(error) == (
        f"The policy assignment 'a1' has the parameter(s) 'effect' which are not defined in the policy definition "
        f"'{REQUIRE_TAG}'."
    )


async def test_a_required_parameter_left_out_is_400_missing_policy_parameter(policy: PolicyClient) -> None:
    error = await refusal(
        policy.policy_assignments.create(
            GROUP, "a1", PolicyAssignment(assignment(builtin_policy(ALLOWED_LOCATIONS), {}))
        )
    )

    assert failure(error) == (400, "MissingPolicyParameter")
    assert message(error) == (
        f"The policy assignment 'a1' is missing the parameter(s) 'listOfAllowedLocations' as defined in the policy "
        f"definition '{ALLOWED_LOCATIONS}'."
    )


async def test_a_value_of_the_wrong_type_is_400_invalid_policy_parameters(policy: PolicyClient) -> None:
    body = assignment(builtin_policy(ALLOWED_LOCATIONS), {"listOfAllowedLocations": "westeurope"})

    error = await refusal(policy.policy_assignments.create(GROUP, "a1", PolicyAssignment(body)))

    assert failure(error) == (400, "InvalidPolicyParameters")


async def test_a_value_outside_the_allowed_values_is_400_and_compared_case_sensitively(policy: PolicyClient) -> None:
    error = await refusal(
        policy.policy_assignments.create(
            GROUP, "a1", PolicyAssignment(assignment(builtin_policy(SECURE_TRANSFER), {"effect": "deny"}))
        )
    )
    accepted = await policy.policy_assignments.create(
        GROUP, "a2", PolicyAssignment(assignment(builtin_policy(SECURE_TRANSFER), {"effect": "Deny"}))
    )

    assert failure(error) == (400, "PolicyParameterValueNotAllowed")
    assert message(error) == (
        f"The value 'deny' is not allowed for policy parameter 'effect' in policy definition '{SECURE_TRANSFER} "
        "version 2.0.0'. The allowed values are 'Audit, Deny, Disabled'."
    )
    assert accepted.as_dict()["properties"]["parameters"] == {"effect": {"value": "Deny"}}


async def test_an_initiative_value_a_member_does_not_allow_is_400_invalid_policy_parameters(
    policy: PolicyClient,
) -> None:
    body = baseline_initiative()
    body["properties"]["policyDefinitions"].append(
        {
            "policyDefinitionReferenceId": "secure-transfer",
            "policyDefinitionId": builtin_policy(SECURE_TRANSFER),
            "parameters": {"effect": {"value": "[parameters('transferEffect')]"}},
        }
    )
    body["properties"]["parameters"]["transferEffect"] = {"type": "String", "defaultValue": "Audit"}
    await policy.policy_set_definitions.create_or_update_at_management_group(MG, "baseline", PolicySetDefinition(body))

    error = await refusal(
        policy.policy_assignments.create(
            GROUP,
            "a1",
            PolicyAssignment(
                with_identity(assignment(BASELINE, {"allowedLocations": ["westeurope"], "transferEffect": "Modify"}))
            ),
        )
    )

    assert failure(error) == (400, "InvalidPolicyParameters")
    assert message(error).startswith("The policy set 'baseline' could not be parameterized")


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("a" * 65, "The policy assignment name length must not exceed '64' characters."),
        ("bad*name", "cannot contain the characters"),
        ("ends-with-a-period.", "cannot end with a period or a space"),
    ],
)
async def test_a_name_arm_refuses_is_400_invalid_policy_assignment_name(
    policy: PolicyClient, name: str, detail: str
) -> None:
    error = await refusal(policy.policy_assignments.create(GROUP, name, PolicyAssignment(require_tag())))

    assert failure(error) == (400, "InvalidPolicyAssignmentName")
    assert message(error).startswith(f"The policy assignment name '{name}' is invalid. ")
    assert detail in message(error)


async def test_a_body_without_a_definition_is_400_invalid_request_content(policy: PolicyClient) -> None:
    error = await refusal(
        policy.policy_assignments.create(GROUP, "a1", PolicyAssignment({"properties": {"displayName": "x"}}))
    )

    assert failure(error) == (400, "InvalidRequestContent")


async def test_an_enforcement_mode_arm_does_not_know_is_400(policy: PolicyClient) -> None:
    error = await refusal(
        policy.policy_assignments.create(
            GROUP, "a1", PolicyAssignment(require_tag(properties={"enforcementMode": "Audit"}))
        )
    )

    assert failure(error) == (400, "InvalidRequestContent")


async def test_not_scopes_must_lie_inside_the_assignment_scope(policy: PolicyClient) -> None:
    inside = f"{GROUP}/providers/Microsoft.Storage/storageAccounts/sa1"

    accepted = await policy.policy_assignments.create(
        GROUP, "a1", PolicyAssignment(require_tag(properties={"notScopes": [inside]}))
    )
    error = await refusal(
        policy.policy_assignments.create(
            GROUP, "a2", PolicyAssignment(require_tag(properties={"notScopes": [group_scope("rg-q")]}))
        )
    )

    assert accepted.as_dict()["properties"]["notScopes"] == [inside]
    assert failure(error) == (400, "InvalidCreatePolicyAssignmentRequest")


# -- managed identities ----------------------------------------------------------------------------------


async def test_a_modify_definition_without_identity_is_400_with_azures_message(policy: PolicyClient) -> None:
    error = await refusal(
        policy.policy_assignments.create(
            GROUP, "inherit", PolicyAssignment(assignment(builtin_policy(INHERIT_TAG), {"tagName": "CostCenter"}))
        )
    )

    assert failure(error) == (400, "InvalidCreatePolicyAssignmentRequest")
    assert message(error) == (
        "The policy assignment 'inherit' request is invalid. Policy assignments must include a 'managed identity' when "
        "assigning 'Modify' policy definitions. Please see https://aka.ms/azurepolicyremediation for usage information."
    )


async def test_an_initiative_with_a_modify_member_needs_an_identity(policy: PolicyClient) -> None:
    await baseline(policy)

    error = await refusal(
        policy.policy_assignments.create(
            GROUP, "a1", PolicyAssignment(assignment(BASELINE, {"allowedLocations": ["westeurope"]}))
        )
    )
    created = await policy.policy_assignments.create(
        GROUP, "a1", PolicyAssignment(with_identity(assignment(BASELINE, {"allowedLocations": ["westeurope"]})))
    )

    assert failure(error) == (400, "InvalidCreatePolicyAssignmentRequest")
    assert created.as_dict()["identity"]["type"] == "SystemAssigned"


async def test_the_effective_effect_decides_whether_an_identity_is_needed(policy: PolicyClient) -> None:
    await policy.policy_definitions.create_or_update("maybe-modify", PolicyDefinition(custom_definition()))
    definition = f"{SUB_SCOPE}/providers/Microsoft.Authorization/policyDefinitions/maybe-modify"

    by_default = await policy.policy_assignments.create(GROUP, "audit", PolicyAssignment(assignment(definition)))
    error = await refusal(
        policy.policy_assignments.create(
            GROUP, "modify", PolicyAssignment(assignment(definition, {"effect": "Modify"}))
        )
    )

    assert by_default.as_dict()["properties"]["policyDefinitionId"] == definition
    assert failure(error) == (400, "InvalidCreatePolicyAssignmentRequest")


async def test_an_identity_without_a_location_is_400(policy: PolicyClient) -> None:
    body = with_identity(assignment(builtin_policy(INHERIT_TAG), {"tagName": "CostCenter"}), location=None)

    error = await refusal(policy.policy_assignments.create(GROUP, "inherit", PolicyAssignment(body)))

    assert failure(error) == (400, "LocationRequired")
    assert message(error) == (
        f"The requested operation on resource '{GROUP}/providers/Microsoft.Authorization/policyAssignments/inherit' "
        "failed since identity is unavailable for location ''."
    )


async def test_a_system_assigned_identity_gets_a_stable_principal_in_the_directory(
    policy: PolicyClient, control: EmulatorControl
) -> None:
    body = with_identity(assignment(builtin_policy(INHERIT_TAG), {"tagName": "CostCenter"}), location="West Europe")

    first = (await policy.policy_assignments.create(GROUP, "inherit", PolicyAssignment(body))).as_dict()
    second = (await policy.policy_assignments.create(GROUP, "inherit", PolicyAssignment(body))).as_dict()

    identity = first["identity"]
    assert identity["type"] == "SystemAssigned"
    assert uuid.UUID(identity["principalId"])
    assert identity["tenantId"] == control.identity().tenant_id
    assert first["location"] == "westeurope"
    assert second["identity"]["principalId"] == identity["principalId"]
    [principal] = [p for p in control.principals() if p.id == identity["principalId"]]
    assert (principal.type, principal.source, principal.display_name, principal.visible) == (
        "ServicePrincipal",
        "policyAssignment",
        "inherit",
        True,
    )


async def test_the_identity_leaves_the_directory_with_its_assignment_and_a_new_one_differs(
    policy: PolicyClient, control: EmulatorControl
) -> None:
    body = with_identity(assignment(builtin_policy(INHERIT_TAG), {"tagName": "CostCenter"}))
    first = (await policy.policy_assignments.create(GROUP, "inherit", PolicyAssignment(body))).as_dict()["identity"][
        "principalId"
    ]

    await policy.policy_assignments.delete(GROUP, "inherit")
    gone = [p for p in control.principals() if p.id == first]
    again = (await policy.policy_assignments.create(GROUP, "inherit", PolicyAssignment(body))).as_dict()["identity"][
        "principalId"
    ]

    assert gone == []
    assert again != first


async def test_granting_the_identity_its_role_waits_for_replication(
    policy: PolicyClient, authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    control.set_principal_replication_delay(0.5)
    body = with_identity(assignment(builtin_policy(INHERIT_TAG), {"tagName": "CostCenter"}))
    principal = (await policy.policy_assignments.create(GROUP, "inherit", PolicyAssignment(body))).as_dict()[
        "identity"
    ]["principalId"]
    grant = RoleAssignmentCreateParameters(
        role_definition_id=role_id(CONTRIBUTOR), principal_id=principal, principal_type="ServicePrincipal"
    )

    early = await refusal(authorization.role_assignments.create(GROUP, NAME_1, grant))
    await asyncio.sleep(0.6)
    granted = await authorization.role_assignments.create(GROUP, NAME_1, grant)

    assert failure(early) == (400, "PrincipalNotFound")
    assert granted.principal_id == principal


# -- lists ----------------------------------------------------------------------------------------------


async def _spread(policy: PolicyClient) -> None:
    """One assignment at the subscription, one at rg-p, one at rg-q."""
    await policy.policy_assignments.create(SUB_SCOPE, "at-sub", PolicyAssignment(require_tag()))
    await policy.policy_assignments.create(
        GROUP, "at-p", PolicyAssignment(assignment(builtin_policy(SECURE_TRANSFER), {}))
    )
    await policy.policy_assignments.create(group_scope("rg-q"), "at-q", PolicyAssignment(require_tag()))


async def _names(pager: Any) -> list[str]:
    return sorted([item.as_dict()["name"] async for item in pager])


async def test_group_lists_follow_the_filters(policy: PolicyClient, control: EmulatorControl) -> None:
    await _spread(policy)
    control.clear_requests()

    unfiltered = await _names(policy.policy_assignments.list_for_resource_group("rg-p"))
    at_scope = await _names(policy.policy_assignments.list_for_resource_group("rg-p", filter="atScope()"))
    exact = await _names(policy.policy_assignments.list_for_resource_group("rg-p", filter="atExactScope()"))
    of_definition = await _names(
        policy.policy_assignments.list_for_resource_group(
            "rg-p", filter=f"policyDefinitionId eq '{builtin_policy(REQUIRE_TAG)}'"
        )
    )

    assert unfiltered == ["at-p", "at-sub"]
    assert at_scope == ["at-p", "at-sub"]
    assert exact == ["at-p"]
    assert of_definition == ["at-sub"]
    filters = [entry.query.get("$filter") for entry in control.requests_log() if entry.request_class == "read"]
    assert filters == [None, "atScope()", "atExactScope()", f"policyDefinitionId eq '{builtin_policy(REQUIRE_TAG)}'"]


async def test_a_subscription_list_includes_what_is_below_unless_at_scope(policy: PolicyClient) -> None:
    await _spread(policy)

    unfiltered = await _names(policy.policy_assignments.list())
    at_scope = await _names(policy.policy_assignments.list(filter="atScope()"))

    assert unfiltered == ["at-p", "at-q", "at-sub"]
    assert at_scope == ["at-sub"]


async def test_assignment_lists_page(policy: PolicyClient, control: EmulatorControl) -> None:
    await _spread(policy)
    control.set_page_size(1)
    control.clear_requests()

    names = await _names(policy.policy_assignments.list(filter="atExactScope()"))

    assert names == ["at-sub"]
    assert await _names(policy.policy_assignments.list()) == ["at-p", "at-q", "at-sub"]
    assert len([entry for entry in control.requests_log() if entry.request_class == "read"]) == 4


async def test_an_unsupported_filter_is_400(policy: PolicyClient) -> None:
    error = await refusal(anext(policy.policy_assignments.list(filter="atScope() and atExactScope()")))

    assert failure(error) == (400, "InvalidFilterInQueryString")


async def test_deleting_the_group_deletes_its_assignments_and_their_identities(
    policy: PolicyClient, arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    body = with_identity(assignment(builtin_policy(INHERIT_TAG), {"tagName": "CostCenter"}))
    principal = (await policy.policy_assignments.create(GROUP, "inherit", PolicyAssignment(body))).as_dict()[
        "identity"
    ]["principalId"]

    await (await arm.resource_groups.begin_delete("rg-p")).result()

    assert await _names(policy.policy_assignments.list()) == []
    assert [p for p in control.principals() if p.id == principal] == []
