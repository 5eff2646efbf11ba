"""Role assignments through azure-mgmt-authorization: ARM's statuses, codes and list semantics."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import EmulatorControl, SeedResource, SeedResourceGroup, SeedSubscription
from tests.emulator.access_support import (
    APP_PRINCIPAL,
    AZUREML_DATA_SCIENTIST,
    CONTRIBUTOR,
    GROUP_PRINCIPAL,
    NAME_1,
    NAME_2,
    NAME_3,
    READER,
    SUB_SCOPE,
    UNKNOWN_PRINCIPAL,
    USER_PRINCIPAL,
    add_principals,
    failure,
    group_scope,
    message,
    refusal,
    role_id,
    statuses,
)
from tests.emulator.conftest import SUB

GROUP = group_scope("rg-a")
OTHER_GROUP = group_scope("rg-b")
WORKSPACE_TYPE = "Microsoft.MachineLearningServices/workspaces"
WORKSPACE = f"{GROUP}/providers/{WORKSPACE_TYPE}/ws1"
ARM_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


@pytest.fixture(autouse=True)
def estate(control: EmulatorControl) -> None:
    control.seed(
        [
            SeedSubscription(
                SUB,
                resource_groups=[
                    SeedResourceGroup("rg-a", resources=[SeedResource(WORKSPACE_TYPE, "ws1")]),
                    SeedResourceGroup("rg-b"),
                ],
            )
        ]
    )
    add_principals(control)


def grant(role: str = READER, principal: str = GROUP_PRINCIPAL, kind: str = "Group", **extra: Any) -> Any:
    return RoleAssignmentCreateParameters(
        role_definition_id=role_id(role), principal_id=principal, principal_type=kind, **extra
    )


def raw(body: dict[str, Any]) -> io.BytesIO:
    """A body the SDK sends as is (its models would refuse to build some of these)."""
    return io.BytesIO(json.dumps(body).encode())


# -- create, update, read, delete ------------------------------------------------------------------


async def test_create_answers_201_with_the_assignment_as_arm_renders_it(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    created = await authorization.role_assignments.create(
        "/subscriptions/" + SUB + "/resourcegroups/RG-A", NAME_1, grant(description="dpgov: readers")
    )

    assert statuses(control, "PUT", NAME_1) == [201]
    assert created.id == f"{GROUP}/providers/Microsoft.Authorization/roleAssignments/{NAME_1}"
    assert created.name == NAME_1
    assert created.type == "Microsoft.Authorization/roleAssignments"
    assert created.scope == GROUP, "ids and scope use resourceGroups and the group's own casing"
    assert created.role_definition_id == role_id(READER)
    assert (created.principal_id, created.principal_type) == (GROUP_PRINCIPAL, "Group")
    assert created.description == "dpgov: readers"
    assert (created.condition, created.condition_version) == (None, None)
    identity = control.identity()
    assert created.created_by == identity.principal_id
    assert created.updated_by == identity.principal_id
    raw_body = control.state()["access"]["roleAssignments"][0]["properties"]
    assert ARM_TIMESTAMP.match(raw_body["createdOn"])
    assert raw_body["delegatedManagedIdentityResourceId"] is None


async def test_a_repeated_put_answers_200_and_changes_the_description_in_place(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    first = await authorization.role_assignments.create(GROUP, NAME_1, grant(description="one"))
    again = await authorization.role_assignments.create(GROUP, NAME_1, grant(description="two"))

    assert statuses(control, "PUT", NAME_1) == [201, 200]
    assert again.description == "two"
    assert again.created_on == first.created_on
    assert again.id == first.id
    assert (await authorization.role_assignments.get(GROUP, NAME_1)).description == "two"


async def test_a_condition_needs_version_2_and_updates_in_place(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    condition = "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})))"
    await authorization.role_assignments.create(GROUP, NAME_1, grant())

    unversioned = await refusal(authorization.role_assignments.create(GROUP, NAME_1, grant(condition=condition)))
    old = await refusal(
        authorization.role_assignments.create(GROUP, NAME_1, grant(condition=condition, condition_version="1.0"))
    )
    updated = await authorization.role_assignments.create(
        GROUP, NAME_1, grant(condition=condition, condition_version="2.0")
    )

    assert failure(unversioned) == (400, "InvalidRoleAssignmentCondition")
    assert message(unversioned) == "The given role assignment condition is invalid."
    assert failure(old) == (400, "InvalidRoleAssignmentCondition")
    assert (updated.condition, updated.condition_version) == (condition, "2.0")
    assert statuses(control, "PUT", NAME_1) == [201, 400, 400, 200]


async def test_get_of_a_missing_assignment_is_404_role_assignment_not_found(
    authorization: AuthorizationManagementClient,
) -> None:
    await authorization.role_assignments.create(GROUP, NAME_1, grant())

    missing = await refusal(authorization.role_assignments.get(GROUP, NAME_2))
    elsewhere = await refusal(authorization.role_assignments.get(OTHER_GROUP, NAME_1))

    assert isinstance(missing, ResourceNotFoundError)
    assert failure(missing) == (404, "RoleAssignmentNotFound")
    assert failure(elsewhere) == (404, "RoleAssignmentNotFound"), "an assignment is read at its own scope"


async def test_delete_answers_200_with_the_assignment_then_204(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    await authorization.role_assignments.create(GROUP, NAME_1, grant())

    deleted = await authorization.role_assignments.delete(GROUP, NAME_1)
    again = await authorization.role_assignments.delete(GROUP, NAME_1)

    assert deleted is not None
    assert deleted.principal_id == GROUP_PRINCIPAL
    assert again is None
    assert statuses(control, "DELETE", NAME_1) == [200, 204]
    assert [a async for a in authorization.role_assignments.list_for_scope(GROUP)] == []


# -- what ARM refuses ------------------------------------------------------------------------------


async def test_a_name_that_is_not_a_guid_is_400_invalid_role_assignment_id(
    authorization: AuthorizationManagementClient,
) -> None:
    error = await refusal(authorization.role_assignments.create(GROUP, "readers", grant()))

    assert failure(error) == (400, "InvalidRoleAssignmentId")
    assert message(error) == "The role assignment ID 'readers' is not valid. The role assignment ID must be a GUID."


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"properties": "x"},
        {"properties": {"principalId": GROUP_PRINCIPAL}},
        {"properties": {"roleDefinitionId": role_id(READER)}},
    ],
)
async def test_a_body_without_role_or_principal_is_400_invalid_request_content(
    authorization: AuthorizationManagementClient, body: dict[str, Any]
) -> None:
    error = await refusal(authorization.role_assignments.create(GROUP, NAME_1, raw(body)))

    assert failure(error) == (400, "InvalidRequestContent")


async def test_a_principal_id_that_is_not_a_guid_is_400_invalid_principal_id(
    authorization: AuthorizationManagementClient,
) -> None:
    error = await refusal(authorization.role_assignments.create(GROUP, NAME_1, grant(principal="data-scientists")))

    assert failure(error) == (400, "InvalidPrincipalId")
    assert message(error) == "A valid principal ID must be provided for role assignment."


@pytest.mark.parametrize(
    "role_definition",
    ["Reader", "/providers/Microsoft.Authorization/roleDefinitions/reader", f"/subscriptions/{SUB}/roles/{READER}"],
)
async def test_a_malformed_role_definition_id_is_400_invalid_role_definition_id(
    authorization: AuthorizationManagementClient, role_definition: str
) -> None:
    body = RoleAssignmentCreateParameters(
        role_definition_id=role_definition, principal_id=GROUP_PRINCIPAL, principal_type="Group"
    )

    error = await refusal(authorization.role_assignments.create(GROUP, NAME_1, body))

    assert failure(error) == (400, "InvalidRoleDefinitionId")
    assert message(error) == f"The role definition ID '{role_definition}' is not valid."


async def test_an_unknown_role_definition_is_400_role_definition_does_not_exist(
    authorization: AuthorizationManagementClient,
) -> None:
    missing = "00000000-0000-4000-8000-000000000001"

    error = await refusal(authorization.role_assignments.create(GROUP, NAME_1, grant(role=missing)))

    assert failure(error) == (400, "RoleDefinitionDoesNotExist")
    assert message(error) == f"The specified role definition with ID '{missing}' does not exist."


async def test_a_principal_not_in_the_directory_is_400_principal_not_found(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    error = await refusal(
        authorization.role_assignments.create(
            GROUP, NAME_1, grant(principal=UNKNOWN_PRINCIPAL, kind="ServicePrincipal")
        )
    )

    assert failure(error) == (400, "PrincipalNotFound")
    tenant = control.identity().tenant_id
    assert message(error) == (
        f"Principal {UNKNOWN_PRINCIPAL.replace('-', '')} does not exist in the directory {tenant}. Check that you "
        "have the correct principal ID. If you are creating this principal and then immediately assigning a role, "
        "this error might be related to a replication delay. In this case, set the role assignment principalType "
        "property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype"
    )


async def test_a_principal_type_other_than_the_directorys_is_400_unmatched_principal_type(
    authorization: AuthorizationManagementClient,
) -> None:
    error = await refusal(
        authorization.role_assignments.create(GROUP, NAME_1, grant(principal=APP_PRINCIPAL, kind="User"))
    )

    assert failure(error) == (400, "UnmatchedPrincipalType")
    assert "has type 'ServicePrincipal'" in message(error)
    assert "specified PrincipalType 'User'" in message(error)


async def test_a_principal_type_arm_does_not_know_is_400_invalid_request_content(
    authorization: AuthorizationManagementClient,
) -> None:
    body = {
        "properties": {"roleDefinitionId": role_id(READER), "principalId": GROUP_PRINCIPAL, "principalType": "Team"}
    }

    error = await refusal(authorization.role_assignments.create(GROUP, NAME_1, raw(body)))

    assert failure(error) == (400, "InvalidRequestContent")


async def test_without_a_principal_type_the_directorys_type_is_recorded(
    authorization: AuthorizationManagementClient,
) -> None:
    body = {"properties": {"roleDefinitionId": role_id(READER), "principalId": APP_PRINCIPAL}}

    created = await authorization.role_assignments.create(GROUP, NAME_1, raw(body))

    assert created.principal_type == "ServicePrincipal"


async def test_the_same_scope_principal_and_role_under_another_name_is_409_role_assignment_exists(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    await authorization.role_assignments.create(GROUP, NAME_1, grant())

    error = await refusal(authorization.role_assignments.create(GROUP, NAME_2, grant()))

    assert isinstance(error, ResourceExistsError)
    assert failure(error) == (409, "RoleAssignmentExists")
    assert message(error) == (
        f"The role assignment already exists. The ID of the existing role assignment is {NAME_1.replace('-', '')}."
    )
    assert [entry.method for entry in control.requests_log() if entry.status == 409] == ["PUT"]


@pytest.mark.parametrize(
    ("scope", "parameters"),
    [
        (GROUP, {"principal": USER_PRINCIPAL, "kind": "User"}),
        (GROUP, {"role": CONTRIBUTOR}),
        (OTHER_GROUP, {}),
    ],
)
async def test_the_same_name_with_another_principal_role_or_scope_is_400_update_not_permitted(
    authorization: AuthorizationManagementClient, scope: str, parameters: dict[str, str]
) -> None:
    await authorization.role_assignments.create(GROUP, NAME_1, grant())

    error = await refusal(authorization.role_assignments.create(scope, NAME_1, grant(**parameters)))

    assert failure(error) == (400, "RoleAssignmentUpdateNotPermitted")
    assert message(error) == "Tenant ID, application ID, principal ID, and scope are not allowed to be updated."


async def test_an_assignment_in_a_missing_group_is_404_resource_group_not_found(
    authorization: AuthorizationManagementClient,
) -> None:
    error = await refusal(authorization.role_assignments.create(group_scope("rg-none"), NAME_1, grant()))

    assert failure(error) == (404, "ResourceGroupNotFound")


async def test_an_assignment_on_a_missing_resource_is_404_resource_not_found(
    authorization: AuthorizationManagementClient,
) -> None:
    scope = f"{GROUP}/providers/{WORKSPACE_TYPE}/ws-none"

    error = await refusal(authorization.role_assignments.create(scope, NAME_1, grant()))

    assert failure(error) == (404, "ResourceNotFound")


# -- resource scope and the emulator's own identities ----------------------------------------------


async def test_an_assignment_on_a_resource_lists_for_that_resource(
    authorization: AuthorizationManagementClient,
) -> None:
    created = await authorization.role_assignments.create(WORKSPACE, NAME_1, grant(role=AZUREML_DATA_SCIENTIST))

    listed = [
        a.name
        async for a in authorization.role_assignments.list_for_resource(
            "rg-a", "Microsoft.MachineLearningServices", "workspaces", "ws1"
        )
    ]

    assert created.id == f"{WORKSPACE}/providers/Microsoft.Authorization/roleAssignments/{NAME_1}"
    assert created.scope == WORKSPACE
    assert listed == [NAME_1]


async def test_the_emulators_managed_identity_is_in_the_directory(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    identity = control.identity()

    created = await authorization.role_assignments.create(
        SUB_SCOPE, NAME_1, grant(principal=identity.principal_id, kind="ServicePrincipal")
    )

    assert created.principal_type == "ServicePrincipal"
    assert created.role_definition_id == role_id(READER)


# -- lists -------------------------------------------------------------------------------------------


async def _three_levels(authorization: AuthorizationManagementClient) -> None:
    """A subscription-, a group- and a resource-level assignment, plus one in another group."""
    await authorization.role_assignments.create(
        SUB_SCOPE, NAME_1, grant(principal=APP_PRINCIPAL, kind="ServicePrincipal")
    )
    await authorization.role_assignments.create(GROUP, NAME_2, grant())
    await authorization.role_assignments.create(WORKSPACE, NAME_3, grant(principal=USER_PRINCIPAL, kind="User"))
    await authorization.role_assignments.create(OTHER_GROUP, "b3b3b3b3-0000-4000-8000-000000000000", grant())


async def test_a_list_without_filter_shows_what_is_at_above_and_below_the_scope(
    authorization: AuthorizationManagementClient,
) -> None:
    await _three_levels(authorization)

    at_group = sorted([a.name async for a in authorization.role_assignments.list_for_resource_group("rg-a")])
    at_subscription = [a async for a in authorization.role_assignments.list_for_subscription()]

    assert at_group == sorted([NAME_1, NAME_2, NAME_3])
    assert len(at_subscription) == 4


async def test_at_scope_drops_what_is_below(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    await _three_levels(authorization)
    control.clear_requests()

    found = sorted([a.name async for a in authorization.role_assignments.list_for_scope(GROUP, filter="atScope()")])

    assert found == sorted([NAME_1, NAME_2])
    [listed] = [entry for entry in control.requests_log() if entry.request_class == "read"]
    assert listed.query["$filter"] == "atScope()"


async def test_principal_id_filter_keeps_that_principal_at_above_and_below(
    authorization: AuthorizationManagementClient,
) -> None:
    await _three_levels(authorization)

    found = [
        a.name
        async for a in authorization.role_assignments.list_for_scope(GROUP, filter=f"principalId eq '{USER_PRINCIPAL}'")
    ]
    above_only = [
        a.name
        async for a in authorization.role_assignments.list_for_scope(
            GROUP, filter=f"atScope() and principalId eq '{USER_PRINCIPAL}'"
        )
    ]

    assert found == [NAME_3]
    assert above_only == []


async def test_assigned_to_includes_the_groups_a_user_is_in(authorization: AuthorizationManagementClient) -> None:
    await _three_levels(authorization)

    found = sorted(
        [
            a.name
            async for a in authorization.role_assignments.list_for_scope(
                GROUP, filter=f"atScope() and assignedTo('{USER_PRINCIPAL}')"
            )
        ]
    )

    assert found == [NAME_2], "the user's group holds Reader on the group; the user's own grant is below it"


async def test_lists_page_with_the_filter_kept_on_the_next_link(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    await _three_levels(authorization)
    control.set_page_size(1)
    control.clear_requests()

    found = sorted([a.name async for a in authorization.role_assignments.list_for_scope(GROUP, filter="atScope()")])

    assert found == sorted([NAME_1, NAME_2])
    pages = [entry for entry in control.requests_log() if entry.request_class == "read"]
    assert [entry.query.get("$filter") for entry in pages] == ["atScope()", "atScope()"]
    assert "$skiptoken" in pages[1].query


async def test_an_unsupported_filter_is_400(authorization: AuthorizationManagementClient) -> None:
    error = await refusal(anext(authorization.role_assignments.list_for_scope(GROUP, filter="roleName eq 'Reader'")))

    assert failure(error) == (400, "InvalidFilterInQueryString")


# -- assignments go with their scope ------------------------------------------------------------------


async def test_deleting_a_group_deletes_its_assignments_and_those_on_its_resources(
    authorization: AuthorizationManagementClient, arm: ResourceManagementClient
) -> None:
    await _three_levels(authorization)

    await (await arm.resource_groups.begin_delete("rg-a")).result()
    await arm.resource_groups.create_or_update("rg-a", {"location": "westeurope"})

    remaining = sorted([a.name async for a in authorization.role_assignments.list_for_subscription()])
    assert remaining == sorted([NAME_1, "b3b3b3b3-0000-4000-8000-000000000000"])
    in_new_group = [a.name async for a in authorization.role_assignments.list_for_resource_group("rg-a")]
    assert in_new_group == [NAME_1], "a group made again under the same name starts with only what it inherits"


async def test_deleting_a_resource_deletes_the_assignments_on_it(
    authorization: AuthorizationManagementClient, arm: ResourceManagementClient
) -> None:
    await _three_levels(authorization)

    await (await arm.resources.begin_delete_by_id(WORKSPACE, api_version="2024-04-01")).result()

    names = sorted([a.name async for a in authorization.role_assignments.list_for_resource_group("rg-a")])
    assert names == sorted([NAME_1, NAME_2])
    with pytest.raises(ResourceNotFoundError):
        await authorization.role_assignments.get(WORKSPACE, NAME_3)
