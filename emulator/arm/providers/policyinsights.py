"""``Microsoft.PolicyInsights``: remediation tasks in a resource group.

A remediation names a policy assignment at or above its group (``properties.policyAssignmentId``)
and, when that assignment is of an initiative, the member to remediate
(``policyDefinitionReferenceId``, required then: 400 ``InvalidCreateRemediationRequest`` with ARM's
message). Only a definition whose effective effect is ``modify`` or ``deployIfNotExists`` can be
remediated. PUT answers 201 on create and 200 on update, synchronously with ``provisioningState``
``Accepted``; each GET then moves it along — ``Evaluating`` for as many GETs as the
``remediationPolls`` setting says, then ``Succeeded`` — with ``deploymentStatus`` counting one
deployment per resource in the group when it was created. Writes and deletes raise the
subscription events Azure raises. ``cancel`` and ``listDeployments`` are not emulated.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ..access.records import Remediation
from ..calls import ArmCall, ArmResponse, method_not_allowed
from ..errors import ArmError, invalid_request_content
from ..listing import page_of
from ..paths import ArmTarget, parse_arm_path
from ..registry import ResourceProvider, ResourceType
from ..scopes import ResolvedScope, ancestry, extension_id, scope_path
from ..store import utc_now_iso
from .authorization.common import publish, resolve
from .authorization.policy_catalog import find_definition, members_of, parse_definition_id
from .tracked import missing_property

if TYPE_CHECKING:
    from ...state import EmulatorState

__all__ = ["API_VERSIONS", "PROVIDER", "provisioning_state"]

NAMESPACE = "Microsoft.PolicyInsights"
# azure-mgmt-policyinsights 1.0.1 sends 2019-07-01; its 1.1 betas send 2024-10-01.
API_VERSIONS = ("2018-07-01-preview", "2019-07-01", "2021-10-01", "2024-10-01")
WRITE = f"{NAMESPACE}/remediations/write"
DELETE = f"{NAMESPACE}/remediations/delete"
READ = f"{NAMESPACE}/remediations/read"
DISCOVERY_MODES = ("ExistingNonCompliant", "ReEvaluateCompliance")


def provisioning_state(remediation: Remediation, polls: int) -> str:
    """``Accepted`` until first read, ``Evaluating`` for ``polls`` reads, then ``Succeeded``."""
    if remediation.gets == 0:
        return "Accepted"
    return "Evaluating" if remediation.gets <= polls else "Succeeded"


def _key(scope: ResolvedScope, name: str) -> str:
    return extension_id(scope.id, f"providers/{NAMESPACE}/remediations/{name}").casefold()


def _invalid(name: str, detail: str) -> ArmError:
    return ArmError(
        400, "InvalidCreateRemediationRequest", f"The request to create remediation '{name}' is invalid. {detail}"
    )


def _handle(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if target.is_collection:
        return _list(state, call, target)
    polls = state.settings.remediation_polls
    if call.method == "GET":
        resolved = resolve(state, call, target.scope, READ)
        remediation = state.access.remediations.get(_key(resolved, target.name))
        if remediation is None:
            # Code as ARM answers a missing resource; the wording is not verified for this provider.
            raise ArmError(404, "RemediationNotFound", f"The remediation '{target.name}' could not be found.")
        remediation.gets += 1
        return ArmResponse(200, remediation.to_json(provisioning_state(remediation, polls)))
    if call.method == "PUT":
        return _put(state, call, target)
    if call.method == "DELETE":
        resolved = resolve(state, call, target.scope, DELETE)
        remediation = state.access.remediations.pop(_key(resolved, target.name), None)
        if remediation is None:
            return ArmResponse(204)
        publish(state, call, "delete", DELETE, update=True)
        return ArmResponse(200, remediation.to_json(provisioning_state(remediation, polls)))
    raise method_not_allowed(call, "GET, PUT, DELETE")


def _assignment_key(assignment_id: str) -> str | None:
    target = parse_arm_path(assignment_id)
    if target is None or target.is_collection or target.type.casefold() != "microsoft.authorization/policyassignments":
        return None
    return extension_id(
        scope_path(target.scope), f"providers/Microsoft.Authorization/policyAssignments/{target.name}"
    ).casefold()


def _put(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    resolved = resolve(state, call, target.scope, WRITE)
    name = target.name
    body = call.json_body()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise missing_property("properties")
    assignment_id = properties.get("policyAssignmentId")
    if not isinstance(assignment_id, str) or not assignment_id:
        raise missing_property("properties.policyAssignmentId")
    reference_id = properties.get("policyDefinitionReferenceId")
    if reference_id is not None and not isinstance(reference_id, str):
        raise invalid_request_content(
            "Error converting value to type 'String'. Path 'properties.policyDefinitionReferenceId'"
        )
    mode = properties.get("resourceDiscoveryMode", "ExistingNonCompliant")
    canonical_mode = {option.casefold(): option for option in DISCOVERY_MODES}.get(str(mode).casefold())
    if not isinstance(mode, str) or canonical_mode is None:
        raise invalid_request_content(
            f"Error converting value \"{mode}\" to type 'ResourceDiscoveryMode'. "
            "Path 'properties.resourceDiscoveryMode'"
        )
    key = _assignment_key(assignment_id)
    assignment = state.access.policy_assignments.get(key) if key is not None else None
    # Wording of these two refusals is not verified; the code is ARM's for an invalid remediation.
    if assignment is None:
        raise _invalid(name, f"The policy assignment '{assignment_id}' could not be found.")
    if assignment.scope.key not in ancestry(resolved.scope, state.access.management_groups):
        raise _invalid(
            name, f"The policy assignment '{assignment_id}' does not apply to the remediation scope '{resolved.id}'."
        )
    ref = parse_definition_id(assignment.definition_id)
    definition = find_definition(state, ref) if ref is not None else None
    if definition is None:
        raise _invalid(name, f"The policy definition '{assignment.definition_id}' could not be found.")
    members = members_of(state, definition, assignment.parameter_values)
    if definition.is_set:
        if not reference_id:
            raise _invalid(
                name,
                f"The policy assignment '{assignment_id.casefold()}' assigns a policy set definition. "
                "Remediations must specify a single policy definition reference ID within the policy set definition.",
            )
        chosen = next((m for m in members if (m.reference_id or "").casefold() == reference_id.casefold()), None)
        if chosen is None:
            raise _invalid(
                name,
                f"The policy definition reference ID '{reference_id}' does not exist in the policy set definition "
                f"'{definition.id}'.",
            )
    else:
        if reference_id:
            raise _invalid(
                name,
                f"The policy assignment '{assignment_id}' does not assign a policy set definition, so no policy "
                "definition reference ID may be given.",
            )
        chosen = members[0]
    if not chosen.remediable:
        raise _invalid(
            name,
            f"The policy definition '{chosen.definition.id}' has the effect '{chosen.effect}'. Only policies with a "
            "'deployIfNotExists' or 'modify' effect can be remediated.",
        )
    existing = state.access.remediations.get(_key(resolved, name))
    now = utc_now_iso()
    stored: dict[str, Any] = {"policyAssignmentId": assignment_id}
    if reference_id:
        stored["policyDefinitionReferenceId"] = reference_id
    stored["resourceDiscoveryMode"] = canonical_mode
    stored["createdOn"] = existing.properties["createdOn"] if existing is not None else now
    stored["lastUpdatedOn"] = now
    if isinstance(properties.get("filters"), dict):
        stored["filters"] = properties["filters"]
    stored["correlationId"] = existing.properties["correlationId"] if existing is not None else str(uuid.uuid4())
    group = resolved.anchor.group
    if existing is not None:
        existing.properties = stored
        remediation = existing
    else:
        remediation = Remediation(name, resolved, stored, len(group.resources) if group is not None else 0)
        state.access.remediations[_key(resolved, name)] = remediation
    publish(state, call, "write", WRITE, update=existing is not None)
    state_now = provisioning_state(remediation, state.settings.remediation_polls)
    return ArmResponse(200 if existing is not None else 201, remediation.to_json(state_now))


def _list(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if call.method != "GET":
        raise method_not_allowed(call, "GET")
    resolved = resolve(state, call, target.scope, READ)
    if call.query.get("$filter", "").strip():
        raise ArmError(400, "InvalidFilterInQueryString", "Filtering remediations is not supported by the emulator.")
    polls = state.settings.remediation_polls
    chosen = [r for r in state.access.remediations.at(resolved.key) if r.scope.key == resolved.key]
    page = page_of(
        chosen,
        key=lambda remediation: remediation.id.casefold(),
        render=lambda remediation: remediation.to_json(provisioning_state(remediation, polls)),
        query=call.query,
        page_size=state.settings.page_size,
        base_url=call.base_url,
        path=call.path,
    )
    return ArmResponse(200, page.to_json())


PROVIDER = ResourceProvider(
    namespace=NAMESPACE,
    types=(
        ResourceType(
            name="remediations",
            api_versions=API_VERSIONS,
            handler=_handle,
            item_scopes=frozenset({"resourceGroup"}),
            operations={
                "GET": "Remediations_GetAtResourceGroup",
                "PUT": "Remediations_CreateOrUpdateAtResourceGroup",
                "DELETE": "Remediations_DeleteAtResourceGroup",
            },
            list_operations={"resourceGroup": "Remediations_ListForResourceGroup"},
        ),
    ),
)
