"""Policy definitions and initiatives through azure-mgmt-resource-policy: built-ins, custom ones at a
management group or subscription, and what ARM refuses in an initiative."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.policy.models import PolicyDefinition, PolicySetDefinition

from emulator.client import EmulatorControl
from tests.emulator.access_support import (
    ALLOWED_LOCATIONS,
    CONTRIBUTOR,
    INHERIT_TAG,
    MG,
    MG_SCOPE,
    REQUIRE_GROUP_TAG,
    REQUIRE_TAG,
    SECURE_TRANSFER,
    SUB_SCOPE,
    baseline_initiative,
    builtin_policy,
    custom_definition,
    failure,
    message,
    refusal,
    statuses,
)
from tests.emulator.conftest import OTHER_SUB, SUB

BUILTINS = {
    ALLOWED_LOCATIONS: ("Allowed locations", "Indexed", "[parameters('effect')]"),
    REQUIRE_TAG: ("Require a tag on resources", "Indexed", "deny"),
    INHERIT_TAG: ("Inherit a tag from the resource group", "Indexed", "modify"),
    SECURE_TRANSFER: ("Secure transfer to storage accounts should be enabled", "Indexed", "[parameters('effect')]"),
    REQUIRE_GROUP_TAG: ("Require a tag on resource groups", "All", "deny"),
}


@pytest.fixture(autouse=True)
def management_group(control: EmulatorControl) -> None:
    control.add_management_group(MG, subscriptions=[SUB])


# -- built-ins -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILTINS))
async def test_builtin_definitions_are_served_by_their_real_ids(policy: PolicyClient, name: str) -> None:
    body = (await policy.policy_definitions.get_built_in(name)).as_dict()

    display_name, mode, effect = BUILTINS[name]
    assert body["id"] == builtin_policy(name)
    assert body["name"] == name
    assert body["type"] == "Microsoft.Authorization/policyDefinitions"
    properties = body["properties"]
    assert (properties["displayName"], properties["mode"], properties["policyType"]) == (display_name, mode, "BuiltIn")
    assert properties["policyRule"]["then"]["effect"] == effect


async def test_inherit_a_tag_declares_contributor_for_its_identity(policy: PolicyClient) -> None:
    body = (await policy.policy_definitions.get_built_in(INHERIT_TAG)).as_dict()

    then = body["properties"]["policyRule"]["then"]
    assert then["details"]["roleDefinitionIds"] == [f"/providers/microsoft.authorization/roleDefinitions/{CONTRIBUTOR}"]
    assert body["properties"]["parameters"]["tagName"] == {
        "type": "String",
        "metadata": {"displayName": "Tag Name", "description": "Name of the tag, such as 'environment'"},
    }


async def test_allowed_locations_declares_its_parameters_as_azure_does(policy: PolicyClient) -> None:
    parameters = (await policy.policy_definitions.get_built_in(ALLOWED_LOCATIONS)).as_dict()["properties"]["parameters"]

    assert parameters["listOfAllowedLocations"]["type"] == "Array"
    assert "defaultValue" not in parameters["listOfAllowedLocations"]
    assert (parameters["effect"]["defaultValue"], parameters["effect"]["allowedValues"]) == (
        "Deny",
        ["Audit", "Deny", "Disabled"],
    )


async def test_an_unknown_builtin_is_404_policy_definition_not_found(policy: PolicyClient) -> None:
    error = await refusal(policy.policy_definitions.get_built_in("not-a-policy"))

    assert isinstance(error, ResourceNotFoundError)
    assert failure(error) == (404, "PolicyDefinitionNotFound")
    assert message(error) == "The policy definition 'not-a-policy' could not be found."


async def test_there_are_no_builtin_initiatives(policy: PolicyClient) -> None:
    error = await refusal(policy.policy_set_definitions.get_built_in("anything"))

    assert failure(error) == (404, "PolicySetDefinitionNotFound")


async def test_builtins_list_and_filter_by_policy_type(policy: PolicyClient) -> None:
    listed = [d.as_dict()["name"] async for d in policy.policy_definitions.list_built_in()]
    custom = [d async for d in policy.policy_definitions.list_built_in(filter="policyType eq 'Custom'")]

    assert sorted(listed) == sorted(BUILTINS)
    assert custom == []


# -- custom definitions ------------------------------------------------------------------------------


async def test_a_custom_definition_answers_201_on_create_and_on_update(
    policy: PolicyClient, control: EmulatorControl
) -> None:
    first = (
        await policy.policy_definitions.create_or_update("cost-centre", PolicyDefinition(custom_definition()))
    ).as_dict()
    second = (
        await policy.policy_definitions.create_or_update("cost-centre", PolicyDefinition(custom_definition()))
    ).as_dict()

    assert statuses(control, "PUT", "policyDefinitions/cost-centre") == [201, 201]
    assert first["id"] == f"{SUB_SCOPE}/providers/Microsoft.Authorization/policyDefinitions/cost-centre"
    assert first["properties"]["policyType"] == "Custom"
    caller = control.identity().principal_id
    assert first["properties"]["metadata"]["createdBy"] == caller
    assert first["properties"]["metadata"]["updatedBy"] is None
    assert second["properties"]["metadata"]["createdOn"] == first["properties"]["metadata"]["createdOn"]
    assert second["properties"]["metadata"]["updatedBy"] == caller
    assert (await policy.policy_definitions.get("cost-centre")).as_dict()["properties"]["mode"] == "Indexed"


async def test_a_definition_at_an_unknown_management_group_is_403_authorization_failed(
    policy: PolicyClient, control: EmulatorControl
) -> None:
    error = await refusal(
        policy.policy_definitions.create_or_update_at_management_group(
            "mg-nowhere", "d", PolicyDefinition(custom_definition())
        )
    )

    assert failure(error) == (403, "AuthorizationFailed")
    caller = control.identity().principal_id
    assert message(error) == (
        f"The client '{caller}' with object id '{caller}' does not have authorization to perform action "
        "'Microsoft.Authorization/policyDefinitions/write' over scope "
        "'/providers/Microsoft.Management/managementGroups/mg-nowhere' or the scope is invalid. If access was "
        "recently granted, please refresh your credentials."
    )


async def test_a_definition_without_a_rule_is_400_invalid_policy_rule(policy: PolicyClient) -> None:
    body = custom_definition()
    del body["properties"]["policyRule"]["then"]

    error = await refusal(policy.policy_definitions.create_or_update("broken", PolicyDefinition(body)))

    assert failure(error) == (400, "InvalidPolicyRule")


async def test_a_default_outside_the_allowed_values_is_400(policy: PolicyClient) -> None:
    body = custom_definition(effect={"type": "String", "defaultValue": "Deny", "allowedValues": ["Audit"]})

    error = await refusal(policy.policy_definitions.create_or_update("mismatch", PolicyDefinition(body)))

    assert failure(error) == (400, "PolicyParameterAllowedAndDefaultValuesMismatch")
    assert message(error) == (
        "The policy 'mismatch' defines parameter 'effect' with a default value 'Deny' and allowed values 'Audit'. "
        "The 'allowedValues' property must include the value of the 'defaultValue' property if both are present."
    )


async def test_a_definition_deletes_with_200_then_204(policy: PolicyClient, control: EmulatorControl) -> None:
    await policy.policy_definitions.create_or_update_at_management_group(
        MG, "d1", PolicyDefinition(custom_definition())
    )

    await policy.policy_definitions.delete_at_management_group(MG, "d1")
    await policy.policy_definitions.delete_at_management_group(MG, "d1")

    assert statuses(control, "DELETE", "policyDefinitions/d1") == [200, 204]
    error = await refusal(policy.policy_definitions.get_at_management_group(MG, "d1"))
    assert failure(error) == (404, "PolicyDefinitionNotFound")


async def test_a_subscription_lists_builtins_and_the_definitions_of_its_management_groups(
    policy: PolicyClient,
) -> None:
    await policy.policy_definitions.create_or_update_at_management_group(
        MG, "from-mg", PolicyDefinition(custom_definition())
    )
    await policy.policy_definitions.create_or_update("from-sub", PolicyDefinition(custom_definition()))

    custom = sorted([d.as_dict()["id"] async for d in policy.policy_definitions.list(filter="policyType eq 'Custom'")])

    assert custom == [
        f"{MG_SCOPE}/providers/Microsoft.Authorization/policyDefinitions/from-mg",
        f"{SUB_SCOPE}/providers/Microsoft.Authorization/policyDefinitions/from-sub",
    ]


# -- initiatives -----------------------------------------------------------------------------------


async def test_an_initiative_at_a_management_group_answers_201_then_200(
    policy: PolicyClient, control: EmulatorControl
) -> None:
    created = (
        await policy.policy_set_definitions.create_or_update_at_management_group(
            MG, "baseline", PolicySetDefinition(baseline_initiative())
        )
    ).as_dict()
    await policy.policy_set_definitions.create_or_update_at_management_group(
        MG, "baseline", PolicySetDefinition(baseline_initiative())
    )

    assert statuses(control, "PUT", "policySetDefinitions/baseline") == [201, 200]
    assert created["id"] == f"{MG_SCOPE}/providers/Microsoft.Authorization/policySetDefinitions/baseline"
    assert created["type"] == "Microsoft.Authorization/policySetDefinitions"
    members = created["properties"]["policyDefinitions"]
    assert [m["policyDefinitionReferenceId"] for m in members] == [
        "allowed-locations",
        "require-cost-center",
        "inherit-cost-center",
    ]
    read = (await policy.policy_set_definitions.get_at_management_group(MG, "BASELINE")).as_dict()
    assert read["name"] == "baseline"


async def test_a_member_without_a_reference_id_gets_one(policy: PolicyClient) -> None:
    body = baseline_initiative()
    for member in body["properties"]["policyDefinitions"]:
        del member["policyDefinitionReferenceId"]

    created = (
        await policy.policy_set_definitions.create_or_update_at_management_group(MG, "b", PolicySetDefinition(body))
    ).as_dict()

    references = [m["policyDefinitionReferenceId"] for m in created["properties"]["policyDefinitions"]]
    assert all(reference.isdigit() for reference in references)
    assert len(set(references)) == 3


def _with_member(change: dict[str, Any], index: int = 1) -> dict[str, Any]:
    body = copy.deepcopy(baseline_initiative())
    body["properties"]["policyDefinitions"][index].update(change)
    return body


async def test_a_missing_member_is_400_policy_definition_not_found(policy: PolicyClient) -> None:
    missing = builtin_policy("00000000-0000-4000-8000-000000000009")

    error = await refusal(
        policy.policy_set_definitions.create_or_update_at_management_group(
            MG, "b", PolicySetDefinition(_with_member({"policyDefinitionId": missing}))
        )
    )

    assert failure(error) == (400, "PolicyDefinitionNotFound")
    assert message(error) == (
        f"The policy set definition 'b' request is invalid. The policy definition '{missing}' could not be found."
    )


async def test_an_initiative_cannot_contain_an_initiative(policy: PolicyClient) -> None:
    await policy.policy_set_definitions.create_or_update_at_management_group(
        MG, "inner", PolicySetDefinition(baseline_initiative())
    )
    inner = f"{MG_SCOPE}/providers/Microsoft.Authorization/policySetDefinitions/inner"

    error = await refusal(
        policy.policy_set_definitions.create_or_update_at_management_group(
            MG, "outer", PolicySetDefinition(_with_member({"policyDefinitionId": inner, "parameters": {}}))
        )
    )

    assert failure(error) == (400, "InvalidCreatePolicySetDefinitionRequest")
    assert message(error) == (
        "The policy set definition 'outer' request is invalid. Referenced policy definitions must be of type "
        "'Microsoft.Authorization/policyDefinitions'."
    )


async def test_a_member_below_the_initiative_is_out_of_scope(policy: PolicyClient) -> None:
    await policy.policy_definitions.create_or_update("at-sub", PolicyDefinition(custom_definition()))
    member = {
        "policyDefinitionId": f"{SUB_SCOPE}/providers/Microsoft.Authorization/policyDefinitions/at-sub",
        "parameters": {},
    }

    error = await refusal(
        policy.policy_set_definitions.create_or_update_at_management_group(
            MG, "b", PolicySetDefinition(_with_member(member))
        )
    )

    assert failure(error) == (400, "InvalidCreatePolicySetDefinitionRequest")
    assert message(error) == (
        "The policy set definition 'b' request is invalid. Policy definitions should be specified only at or above "
        "the policy set definition's scope. The following policy definitions are invalid: 'at-sub'."
    )


async def test_a_member_reference_to_an_undeclared_initiative_parameter_is_400(policy: PolicyClient) -> None:
    error = await refusal(
        policy.policy_set_definitions.create_or_update_at_management_group(
            MG, "b", PolicySetDefinition(_with_member({"parameters": {"tagName": {"value": "[parameters('nope')]"}}}))
        )
    )

    assert failure(error) == (400, "InvalidPolicyParameters")
    assert "The policy set parameter 'nope' is not defined." in message(error)


async def test_a_parameter_the_member_does_not_declare_is_400_undefined_policy_parameter(
    policy: PolicyClient,
) -> None:
    change = {"parameters": {"tagName": {"value": "x"}, "effect": {"value": "Audit"}}}

    error = await refusal(
        policy.policy_set_definitions.create_or_update_at_management_group(
            MG, "b", PolicySetDefinition(_with_member(change))
        )
    )

    assert failure(error) == (400, "UndefinedPolicyParameter")
    assert message(error) == (
        f"The policy set definition 'b' is attempting to assign the parameter(s) 'effect' which are not defined in "
        f"the policy definition '{REQUIRE_TAG}'."
    )


async def test_a_required_member_parameter_left_out_is_400_missing_policy_parameter(policy: PolicyClient) -> None:
    error = await refusal(
        policy.policy_set_definitions.create_or_update_at_management_group(
            MG, "b", PolicySetDefinition(_with_member({"parameters": {}}))
        )
    )

    assert failure(error) == (400, "MissingPolicyParameter")


async def test_a_literal_the_member_does_not_allow_is_400_policy_parameter_value_not_allowed(
    policy: PolicyClient,
) -> None:
    change = {
        "policyDefinitionId": builtin_policy(SECURE_TRANSFER),
        "parameters": {"effect": {"value": "deny"}},
    }

    error = await refusal(
        policy.policy_set_definitions.create_or_update_at_management_group(
            MG, "b", PolicySetDefinition(_with_member(change))
        )
    )

    assert failure(error) == (400, "PolicyParameterValueNotAllowed")
    assert message(error) == (
        f"The value 'deny' is not allowed for policy parameter 'effect' in policy definition '{SECURE_TRANSFER} "
        "version 2.0.0'. The allowed values are 'Audit, Deny, Disabled'."
    )


async def test_an_initiative_default_the_member_does_not_allow_is_400_invalid_policy_parameters(
    policy: PolicyClient,
) -> None:
    body = _with_member(
        {
            "policyDefinitionId": builtin_policy(SECURE_TRANSFER),
            "parameters": {"effect": {"value": "[parameters('e')]"}},
        }
    )
    body["properties"]["parameters"]["e"] = {"type": "String", "defaultValue": "Modify"}

    error = await refusal(
        policy.policy_set_definitions.create_or_update_at_management_group(MG, "b", PolicySetDefinition(body))
    )

    assert failure(error) == (400, "InvalidPolicyParameters")
    assert message(error).startswith("The policy set 'b' could not be parameterized because the default value")


async def test_a_subscription_lists_its_initiatives_and_those_of_its_management_groups(
    policy: PolicyClient, control: EmulatorControl
) -> None:
    await policy.policy_set_definitions.create_or_update("local", PolicySetDefinition(baseline_initiative()))
    await policy.policy_set_definitions.create_or_update_at_management_group(
        MG, "shared", PolicySetDefinition(baseline_initiative())
    )
    control.add_management_group("mg-other", subscriptions=[OTHER_SUB])
    await policy.policy_set_definitions.create_or_update_at_management_group(
        "mg-other", "foreign", PolicySetDefinition(baseline_initiative())
    )

    here = sorted([s.as_dict()["name"] async for s in policy.policy_set_definitions.list()])
    error = await refusal(policy.policy_set_definitions.get("shared"))

    assert here == ["local", "shared"]
    assert failure(error) == (404, "PolicySetDefinitionNotFound"), "a subscription read names the subscription's own"
