"""The directory of principals, management groups and the new settings, through the control client."""

from __future__ import annotations

import asyncio

import pytest
from azure.identity.aio import ManagedIdentityCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.policy.models import PolicyDefinition

from emulator.client import EmulatorControl, EmulatorControlError
from emulator.process import EmulatorEndpoints
from emulator.state import DEFAULT_PRINCIPAL_REPLICATION_DELAY, DEFAULT_REMEDIATION_POLLS
from tests.emulator.access_support import (
    APP_PRINCIPAL,
    GROUP_PRINCIPAL,
    MG,
    NAME_1,
    NAME_2,
    READER,
    SUB_SCOPE,
    USER_PRINCIPAL,
    custom_definition,
    failure,
    refusal,
    role_id,
)
from tests.emulator.conftest import ARM_SCOPE, OTHER_SUB, SUB, client_options

TEAM_CLIENT_ID = "0b0e7a11-7ea4-4a11-9e11-00000000feed"


def reader_for(principal: str, kind: str = "ServicePrincipal") -> RoleAssignmentCreateParameters:
    return RoleAssignmentCreateParameters(
        role_definition_id=role_id(READER), principal_id=principal, principal_type=kind
    )


def test_added_principals_are_listed_with_the_emulators_identity(control: EmulatorControl) -> None:
    added = control.add_principal(
        USER_PRINCIPAL, principal_type="User", display_name="ada", member_of=[GROUP_PRINCIPAL]
    )

    listed = {principal.id: principal for principal in control.principals()}

    assert (added.id, added.type, added.display_name, added.member_of, added.source, added.visible) == (
        USER_PRINCIPAL,
        "User",
        "ada",
        (GROUP_PRINCIPAL,),
        "control",
        True,
    )
    identity = control.identity()
    assert listed[identity.principal_id].source == "managedIdentity"
    assert listed[identity.principal_id].type == "ServicePrincipal"
    assert listed[USER_PRINCIPAL] == added


def test_a_removed_principal_is_gone_and_removing_it_again_is_404(control: EmulatorControl) -> None:
    control.add_principal(APP_PRINCIPAL, principal_type="ServicePrincipal")

    control.remove_principal(APP_PRINCIPAL)

    assert APP_PRINCIPAL not in {principal.id for principal in control.principals()}
    with pytest.raises(EmulatorControlError) as raised:
        control.remove_principal(APP_PRINCIPAL)
    assert raised.value.status == 404


@pytest.mark.parametrize(
    ("principal_id", "principal_type"),
    [("not-a-guid", "User"), (USER_PRINCIPAL, "Robot"), (USER_PRINCIPAL, "ForeignGroup")],
)
def test_the_directory_refuses_what_is_no_principal(
    control: EmulatorControl, principal_id: str, principal_type: str
) -> None:
    with pytest.raises(EmulatorControlError) as raised:
        control.add_principal(principal_id, principal_type=principal_type)

    assert raised.value.status == 400


async def test_a_new_principal_is_principal_not_found_until_the_replication_delay_passes(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    control.set_principal_replication_delay(0.4)
    added = control.add_principal(APP_PRINCIPAL, principal_type="ServicePrincipal")

    early = await refusal(authorization.role_assignments.create(SUB_SCOPE, NAME_1, reader_for(APP_PRINCIPAL)))
    await asyncio.sleep(0.5)
    granted = await authorization.role_assignments.create(SUB_SCOPE, NAME_1, reader_for(APP_PRINCIPAL))

    assert added.visible is False
    assert failure(early) == (400, "PrincipalNotFound")
    assert granted.principal_id == APP_PRINCIPAL


async def test_a_principal_added_before_the_delay_was_set_stays_visible(
    authorization: AuthorizationManagementClient, control: EmulatorControl
) -> None:
    control.add_principal(APP_PRINCIPAL, principal_type="ServicePrincipal")
    control.set_principal_replication_delay(30)
    control.add_principal(APP_PRINCIPAL, principal_type="ServicePrincipal", display_name="renamed")

    granted = await authorization.role_assignments.create(SUB_SCOPE, NAME_1, reader_for(APP_PRINCIPAL))

    assert granted.principal_id == APP_PRINCIPAL


async def test_a_user_assigned_identity_that_got_a_token_is_in_the_directory(
    emulator: EmulatorEndpoints,
    control: EmulatorControl,
    identity_env: None,
    authorization: AuthorizationManagementClient,
) -> None:
    async with ManagedIdentityCredential(client_id=TEAM_CLIENT_ID) as team:
        await team.get_token(ARM_SCOPE)
        async with AuthorizationManagementClient(team, SUB, **client_options(emulator)) as as_team:
            created = await as_team.role_assignments.create(
                SUB_SCOPE, NAME_2, reader_for(control.identity().principal_id)
            )
    team_principal = next(
        p for p in control.principals() if p.display_name == f"user-assigned identity {TEAM_CLIENT_ID}"
    )

    granted = await authorization.role_assignments.create(SUB_SCOPE, NAME_1, reader_for(team_principal.id))

    assert created.created_by == team_principal.id, "createdBy is the caller's object id"
    assert granted.principal_type == "ServicePrincipal"


def test_management_groups_hold_subscriptions_and_a_subscription_moves_between_them(control: EmulatorControl) -> None:
    control.add_management_group("root", display_name="Tenant root")
    first = control.add_management_group(MG, subscriptions=[SUB, OTHER_SUB], parent="root")
    control.add_management_group("mg-b", subscriptions=[OTHER_SUB], parent="root")

    groups = {group.name: group for group in control.management_groups()}

    assert first.id == f"/providers/Microsoft.Management/managementGroups/{MG}"
    assert groups[MG].subscriptions == (SUB,)
    assert groups["mg-b"].subscriptions == (OTHER_SUB,)
    assert (groups[MG].parent, groups["root"].display_name) == ("root", "Tenant root")
    with pytest.raises(EmulatorControlError):
        control.remove_management_group("root")
    control.remove_management_group("mg-b")
    assert sorted(group.name for group in control.management_groups()) == [MG, "root"]


@pytest.mark.parametrize(
    "arguments",
    [
        {"subscriptions": ["99999999-9999-9999-9999-999999999999"]},
        {"parent": "no-such-group"},
    ],
)
def test_a_management_group_with_unknown_members_or_parent_is_refused(
    control: EmulatorControl, arguments: dict[str, object]
) -> None:
    with pytest.raises(EmulatorControlError) as raised:
        control.add_management_group(MG, **arguments)  # type: ignore[arg-type]

    assert raised.value.status == 400


@pytest.mark.parametrize("settings", [{"principalReplicationDelay": -1}, {"remediationPolls": 1.5}])
def test_the_new_settings_refuse_nonsense(control: EmulatorControl, settings: dict[str, object]) -> None:
    with pytest.raises(EmulatorControlError) as raised:
        control._call("PUT", "/settings", settings)

    assert raised.value.status == 400


async def test_reset_forgets_rbac_and_policy_but_keeps_the_builtins(
    authorization: AuthorizationManagementClient, policy: PolicyClient, control: EmulatorControl
) -> None:
    control.add_management_group(MG, subscriptions=[SUB])
    control.add_principal(APP_PRINCIPAL, principal_type="ServicePrincipal")
    control.set_principal_replication_delay(5)
    control.set_remediation_polls(4)
    await authorization.role_assignments.create(SUB_SCOPE, NAME_1, reader_for(control.identity().principal_id))
    await policy.policy_definitions.create_or_update_at_management_group(MG, "d", PolicyDefinition(custom_definition()))

    control.reset()
    control.add_subscription(SUB)

    state = control.state()
    assert state["access"] == {
        "managementGroups": [],
        "roleAssignments": [],
        "policyDefinitions": [],
        "policyAssignments": [],
        "remediations": [],
    }
    assert state["settings"]["principalReplicationDelay"] == DEFAULT_PRINCIPAL_REPLICATION_DELAY
    assert state["settings"]["remediationPolls"] == DEFAULT_REMEDIATION_POLLS
    assert APP_PRINCIPAL not in {principal.id for principal in control.principals()}
    assert (await authorization.role_definitions.get(SUB_SCOPE, READER)).role_name == "Reader"
    assert [d async for d in policy.policy_definitions.list_built_in()] != []
