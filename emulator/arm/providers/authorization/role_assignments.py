"""``Microsoft.Authorization/roleAssignments``: who holds which role at which scope.

An assignment lives at a subscription, a resource group or a resource, under a caller-chosen GUID
name that is unique in the whole tenant. ARM's rules, in the order the emulator applies them: the
scope must exist; the name must be a GUID (``InvalidRoleAssignmentId``); the body must carry
``properties.roleDefinitionId`` and ``properties.principalId`` (``InvalidRequestContent``); the role
definition id must be one (``InvalidRoleDefinitionId``) of a role that exists (400
``RoleDefinitionDoesNotExist``); the principal id must be a GUID (``InvalidPrincipalId``); a
``principalType`` must be one of ARM's and match the directory's (``UnmatchedPrincipalType``); a
``condition`` needs ``conditionVersion`` 2.0; the principal must be in the directory and replicated
to ARM (``PrincipalNotFound``) — the emulator checks this even when ``principalType`` is sent, where
ARM may skip the lookup, so that callers' handling of the error can be tested. The same name with
another scope, principal or role is 400 ``RoleAssignmentUpdateNotPermitted``; the same scope,
principal and role under another name is 409 ``RoleAssignmentExists``. Only ``description`` and the
condition change in place. PUT answers 201 on create and 200 on update; DELETE 200 with the deleted
assignment, or 204 if there was none. Writes and deletes raise the subscription events Azure raises.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...access.records import RoleAssignment
from ...calls import ArmCall, ArmResponse, method_not_allowed
from ...errors import ArmError, invalid_request_content
from ...listing import page_of
from ...paths import ArmTarget
from ...scopes import ResolvedScope
from ...store import utc_now_iso
from ..tracked import missing_property
from .common import NAMESPACE, is_guid, publish, resolve
from .filters import candidates, parse_role_filter, relation_of
from .role_definitions import find_role, role_definition_id

if TYPE_CHECKING:
    from ....state import EmulatorState

__all__ = ["API_VERSIONS", "handle_role_assignments"]

# The api-versions ARM serves roleAssignments at (azure-mgmt-authorization 4 sends 2022-04-01).
API_VERSIONS = (
    "2015-07-01",
    "2017-10-01-preview",
    "2018-01-01-preview",
    "2018-09-01-preview",
    "2020-03-01-preview",
    "2020-04-01-preview",
    "2020-08-01-preview",
    "2020-10-01-preview",
    "2022-01-01-preview",
    "2022-04-01",
)
READ = f"{NAMESPACE}/roleAssignments/read"
WRITE = f"{NAMESPACE}/roleAssignments/write"
DELETE = f"{NAMESPACE}/roleAssignments/delete"
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
CONDITION_VERSION = "2.0"
_ROLE_DEFINITION_ID = re.compile(
    r"^(?:/subscriptions/([^/]+))?/providers/Microsoft\.Authorization/roleDefinitions/([^/]+)/?$", re.IGNORECASE
)


def _not_found(name: str) -> ArmError:
    # Code as ARM answers; the message wording is not verified.
    return ArmError(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")


def _principal_not_found(principal_id: str, tenant_id: str) -> ArmError:
    return ArmError(
        400,
        "PrincipalNotFound",
        f"Principal {principal_id.replace('-', '')} does not exist in the directory {tenant_id}. Check that you have "
        "the correct principal ID. If you are creating this principal and then immediately assigning a role, this "
        "error might be related to a replication delay. In this case, set the role assignment principalType "
        "property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype",
    )


def _at(state: EmulatorState, name: str, scope: ResolvedScope) -> RoleAssignment | None:
    record = state.access.role_assignments.get(name.casefold())
    return record if record is not None and record.scope.key == scope.key else None


def handle_role_assignments(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if target.is_collection:
        return _list(state, call, target)
    if call.method == "GET":
        resolved = resolve(state, call, target.scope, READ)
        record = _at(state, target.name, resolved)
        if record is None:
            raise _not_found(target.name)
        return ArmResponse(200, record.to_json())
    if call.method == "PUT":
        return _put(state, call, target)
    if call.method == "DELETE":
        resolved = resolve(state, call, target.scope, DELETE)
        record = _at(state, target.name, resolved)
        if record is None:
            return ArmResponse(204)
        del state.access.role_assignments[record.name.casefold()]
        publish(state, call, "delete", DELETE, update=True)
        return ArmResponse(200, record.to_json())
    raise method_not_allowed(call, "GET, PUT, DELETE")


def _optional_string(properties: dict[str, Any], key: str) -> str | None:
    value = properties.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid_request_content(f"Error converting value to type 'String'. Path 'properties.{key}'")
    return value


def _principal_type(properties: dict[str, Any]) -> str | None:
    given = properties.get("principalType")
    if given is None:
        return None
    canonical = {kind.casefold(): kind for kind in PRINCIPAL_TYPES}.get(str(given).casefold())
    if not isinstance(given, str) or canonical is None:
        raise invalid_request_content(
            f"Error converting value \"{given}\" to type 'PrincipalType'. Path 'properties.principalType'"
        )
    return canonical


def _put(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    resolved = resolve(state, call, target.scope, WRITE)
    name = target.name
    if not is_guid(name):
        raise ArmError(
            400,
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    body = call.json_body()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise missing_property("properties")
    given_role, principal_id = properties.get("roleDefinitionId"), properties.get("principalId")
    if not isinstance(given_role, str) or not given_role:
        raise missing_property("properties.roleDefinitionId")
    if not isinstance(principal_id, str) or not principal_id:
        raise missing_property("properties.principalId")
    match = _ROLE_DEFINITION_ID.match(given_role)
    if match is None or not is_guid(match.group(2)) or (match.group(1) is not None and not is_guid(match.group(1))):
        raise ArmError(400, "InvalidRoleDefinitionId", f"The role definition ID '{given_role}' is not valid.")
    role_guid = match.group(2)
    if not is_guid(principal_id):
        raise ArmError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.")
    if find_role(role_guid) is None:
        raise ArmError(
            400, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{role_guid}' does not exist."
        )
    principal_type = _principal_type(properties)
    description = _optional_string(properties, "description")
    condition = _optional_string(properties, "condition")
    condition_version = _optional_string(properties, "conditionVersion")
    if condition and condition_version != CONDITION_VERSION:
        # Message as documented; the error code is the emulator's choice (ARM's is not documented).
        raise ArmError(400, "InvalidRoleAssignmentCondition", "The given role assignment condition is invalid.")
    principal = state.access.find_principal(principal_id, state.store)
    if principal is None or not principal.visible():
        raise _principal_not_found(principal_id, call.context.tenant_id)
    if principal_type is not None and principal_type != principal.type:
        raise ArmError(
            400,
            "UnmatchedPrincipalType",
            f"The PrincipalId '{principal_id.replace('-', '')}' has type '{principal.type}' , which is different from "
            f"specified PrincipalType '{principal_type}'.",
        )
    now, caller = utc_now_iso(), call.context.caller.object_id
    existing = state.access.role_assignments.get(name.casefold())
    if existing is not None:
        same = (
            existing.scope.key == resolved.key
            and existing.principal_id.casefold() == principal_id.casefold()
            and existing.role_guid == role_guid.casefold()
        )
        if not same:
            raise ArmError(
                400,
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        existing.description = description
        existing.condition = condition or None
        existing.condition_version = condition_version if condition else None
        existing.updated_on, existing.updated_by = now, caller
        publish(state, call, "write", WRITE, update=True)
        return ArmResponse(200, existing.to_json())
    for other in state.access.role_assignments.at(resolved.key):
        if (
            other.scope.key == resolved.key
            and other.principal_id.casefold() == principal_id.casefold()
            and other.role_guid == role_guid.casefold()
        ):
            raise ArmError(
                409,
                "RoleAssignmentExists",
                f"The role assignment already exists. The ID of the existing role assignment is "
                f"{other.name.replace('-', '').casefold()}.",
            )
    record = RoleAssignment(
        name=name,
        scope=resolved,
        role_definition_id=role_definition_id(role_guid.casefold(), resolved.scope.subscription_id),
        principal_id=principal_id,
        principal_type=principal_type or principal.type,
        created_on=now,
        created_by=caller,
        updated_on=now,
        updated_by=caller,
        description=description,
        condition=condition or None,
        condition_version=condition_version if condition else None,
        delegated_managed_identity_resource_id=_optional_string(properties, "delegatedManagedIdentityResourceId"),
    )
    state.access.role_assignments[name.casefold()] = record
    publish(state, call, "write", WRITE, update=False)
    return ArmResponse(201, record.to_json())


def _principals_for(state: EmulatorState, object_id: str) -> set[str]:
    """The object id and every group it belongs to, directly or through other groups (``assignedTo()``)."""
    directory = {principal.id: principal for principal in state.access.directory(state.store)}
    found = {object_id.casefold()}
    frontier = [object_id.casefold()]
    while frontier:
        principal = directory.get(frontier.pop())
        for group in principal.member_of if principal is not None else ():
            if group not in found:
                found.add(group)
                frontier.append(group)
    return found


def _list(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if call.method != "GET":
        raise method_not_allowed(call, "GET")
    resolved = resolve(state, call, target.scope, READ)
    wanted = parse_role_filter(call.query.get("$filter"))
    principals: set[str] | None = None
    if wanted.principal_id is not None:
        principals = {wanted.principal_id.casefold()}
    if wanted.assigned_to is not None:
        transitive = _principals_for(state, wanted.assigned_to)
        principals = transitive if principals is None else principals & transitive
    groups = state.access.management_groups
    chosen = [
        record
        for record in candidates(state.access.role_assignments, resolved, groups, wanted)
        if wanted.admits(relation_of(record.scope, resolved, groups))
        and (principals is None or record.principal_id.casefold() in principals)
    ]
    page = page_of(
        chosen,
        key=lambda record: record.id.casefold(),
        render=lambda record: record.to_json(),
        query=call.query,
        page_size=state.settings.page_size,
        base_url=call.base_url,
        path=call.path,
    )
    return ArmResponse(200, page.to_json())
