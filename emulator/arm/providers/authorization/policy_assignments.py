"""``Microsoft.Authorization/policyAssignments`` at a subscription or resource group.

ARM's rules, in the order the emulator applies them: the scope must exist; the name must be 1-64
characters without ``<>*%&:\\?+/`` or control characters and not end with a period or a space
(``InvalidPolicyAssignmentName``); ``properties.policyDefinitionId`` must name an existing definition
or initiative (400 ``PolicyDefinitionNotFound`` / ``PolicySetDefinitionNotFound``) at or above the
assignment's scope (``InvalidCreatePolicyAssignmentRequest``); the parameter values must fit its
declarations (``UndefinedPolicyParameter``, ``MissingPolicyParameter``, ``InvalidPolicyParameters``,
``PolicyParameterValueNotAllowed``); a definition — or an initiative member — whose effective effect
is ``modify`` or ``deployIfNotExists`` needs a managed identity (``InvalidCreatePolicyAssignmentRequest``)
and an identity needs a ``location``; ``notScopes`` must lie inside the assignment's scope;
``enforcementMode`` is ``Default`` or ``DoNotEnforce``.

PUT answers 201 for create *and* update (all the policy SDK accepts). A ``SystemAssigned`` identity
gets a principal id that stays the same across updates (a new one if the assignment is deleted and
made again) and the tenant id; that principal joins the directory, after the replication delay,
and leaves it with the assignment. ``metadata`` keeps the caller's keys and gains ARM's
``createdBy``/``createdOn``/``updatedBy``/``updatedOn``. DELETE answers 200 with the assignment, or 204.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from ...access.records import PolicyAssignment, PolicyDefinition
from ...calls import ArmCall, ArmResponse, method_not_allowed
from ...errors import ArmError, invalid_request_content
from ...listing import page_of
from ...paths import ArmTarget
from ...scopes import ResolvedScope, ancestry, extension_id, scope_of_id
from ...store import normalize_location, utc_now_iso
from ..tracked import missing_property
from .common import NAMESPACE, publish, resolve
from .filters import candidates, parse_policy_filter, relation_of
from .policy_catalog import find_definition, members_of, parse_definition_id
from .policy_parameters import check_values, value_not_allowed

if TYPE_CHECKING:
    from ....state import EmulatorState

__all__ = ["handle_policy_assignments"]

READ = f"{NAMESPACE}/policyAssignments/read"
WRITE = f"{NAMESPACE}/policyAssignments/write"
DELETE = f"{NAMESPACE}/policyAssignments/delete"
MAX_NAME_LENGTH = 64
FORBIDDEN_NAME_CHARACTERS = "<>*%&:\\?+/"
ENFORCEMENT_MODES = ("Default", "DoNotEnforce")
IDENTITY_TYPES = ("SystemAssigned", "UserAssigned", "None")
METADATA_KEYS = ("createdBy", "createdOn", "updatedBy", "updatedOn")
_PRINCIPALS = uuid.UUID("7a1f3c52-0d0e-4b7e-9f5a-a0b1c2d3e4f5")


def _not_found(name: str) -> ArmError:
    # Code as ARM answers; the wording is not verified.
    return ArmError(404, "PolicyAssignmentNotFound", f"The policy assignment '{name}' is not found.")


def _key(scope: ResolvedScope, name: str) -> str:
    return extension_id(scope.id, f"providers/{NAMESPACE}/policyAssignments/{name}").casefold()


def handle_policy_assignments(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if target.is_collection:
        return _list(state, call, target)
    if call.method == "GET":
        resolved = resolve(state, call, target.scope, READ)
        record = state.access.policy_assignments.get(_key(resolved, target.name))
        if record is None:
            raise _not_found(target.name)
        return ArmResponse(200, record.to_json())
    if call.method == "PUT":
        return _put(state, call, target)
    if call.method == "DELETE":
        resolved = resolve(state, call, target.scope, DELETE)
        record = state.access.policy_assignments.pop(_key(resolved, target.name), None)
        if record is None:
            return ArmResponse(204)
        publish(state, call, "delete", DELETE, update=True)
        return ArmResponse(200, record.to_json())
    raise method_not_allowed(call, "GET, PUT, DELETE")


def _check_name(name: str) -> None:
    def invalid(detail: str) -> ArmError:
        return ArmError(400, "InvalidPolicyAssignmentName", f"The policy assignment name '{name}' is invalid. {detail}")

    if len(name) > MAX_NAME_LENGTH:
        raise invalid(f"The policy assignment name length must not exceed '{MAX_NAME_LENGTH}' characters.")
    if any(character in FORBIDDEN_NAME_CHARACTERS or ord(character) < 32 for character in name) or name.endswith(
        (".", " ")
    ):
        # Wording not verified (the length message is ARM's).
        raise invalid(
            f"The policy assignment name cannot contain the characters '{FORBIDDEN_NAME_CHARACTERS}' or control "
            "characters, and cannot end with a period or a space."
        )


def _typed(properties: dict[str, Any], key: str, kind: type, label: str) -> Any:
    value = properties.get(key)
    if value is not None and not isinstance(value, kind):
        raise invalid_request_content(f"Error converting value to type '{label}'. Path 'properties.{key}'")
    return value


def _canonical(value: object, allowed: tuple[str, ...], label: str, path: str) -> str:
    found = {option.casefold(): option for option in allowed}.get(str(value).casefold())
    if not isinstance(value, str) or found is None:
        raise invalid_request_content(f"Error converting value \"{value}\" to type '{label}'. Path '{path}'")
    return found


def _definition(state: EmulatorState, definition_id: str, name: str, resolved: ResolvedScope) -> PolicyDefinition:
    ref = parse_definition_id(definition_id)
    definition = find_definition(state, ref) if ref is not None else None
    if definition is None:
        is_set = ref is not None and ref.kind == "policySetDefinitions"
        raise ArmError(
            400,
            "PolicySetDefinitionNotFound" if is_set else "PolicyDefinitionNotFound",
            f"The policy assignment create request is invalid. The policy {'set ' if is_set else ''}definition "
            f"'{definition_id}' could not be found.",
        )
    if definition.scope.key not in ancestry(resolved.scope, state.access.management_groups):
        raise ArmError(
            400,
            "InvalidCreatePolicyAssignmentRequest",
            f"The policy definition specified in policy assignment '{name}' is out of scope. Policy definitions "
            "should be specified only at or above the policy assignment scope.",
        )
    return definition


def _parameter_values(properties: dict[str, Any]) -> dict[str, Any]:
    given = _typed(properties, "parameters", dict, "Object") or {}
    values: dict[str, Any] = {}
    for key, wrapped in given.items():
        if not isinstance(wrapped, dict) or "value" not in wrapped:
            raise invalid_request_content(
                "Could not find member 'value' on object of type 'ParameterValuesValue'. "
                f"Path 'properties.parameters.{key}'"
            )
        values[key] = wrapped["value"]
    return values


def _check_parameters(state: EmulatorState, name: str, definition: PolicyDefinition, values: dict[str, Any]) -> None:
    check_values(
        definition.parameters,
        values,
        subject=f"The policy assignment '{name}'",
        definition=definition.name,
        version=definition.properties.get("version"),
    )
    if not definition.is_set:
        return
    for member in members_of(state, definition, values):
        for key, value in member.values.items():
            spec = member.definition.parameters.get(key)
            refused = value_not_allowed(key, value, spec, member.definition.name) if isinstance(spec, dict) else None
            if refused is not None:
                # Code as ARM answers; the wording follows its message for a set's default values.
                raise ArmError(
                    400,
                    "InvalidPolicyParameters",
                    f"The policy set '{definition.name}' could not be parameterized because the value of a policy set "
                    f"parameter referenced by policy definition {member.definition.name} was not valid for that policy "
                    f"definition. The inner exception '{refused.message}'.",
                )


def _needs_identity(
    state: EmulatorState, name: str, definition: PolicyDefinition, values: dict[str, Any]
) -> ArmError | None:
    effects = {member.effect.casefold() for member in members_of(state, definition, values) if member.remediable}
    if not effects:
        return None
    if "deployifnotexists" in effects:
        what = (
            "'DeployIfNotExists' policy definitions or policy definitions that contain a deployment in the effect "
            "details"
        )
    else:
        what = "'Modify' policy definitions"
    return ArmError(
        400,
        "InvalidCreatePolicyAssignmentRequest",
        f"The policy assignment '{name}' request is invalid. Policy assignments must include a 'managed identity' "
        f"when assigning {what}. Please see https://aka.ms/azurepolicyremediation for usage information.",
    )


def _not_scopes(properties: dict[str, Any], name: str, resolved: ResolvedScope, state: EmulatorState) -> list[str]:
    given = _typed(properties, "notScopes", list, "Array") or []
    for not_scope in given:
        scope = scope_of_id(not_scope) if isinstance(not_scope, str) else None
        inside = scope is not None and resolved.key in ancestry(scope, state.access.management_groups)
        if not inside:
            # Code as ARM answers an invalid assignment; the wording is not verified.
            raise ArmError(
                400,
                "InvalidCreatePolicyAssignmentRequest",
                f"The policy assignment '{name}' request is invalid. The not scope '{not_scope}' is not a scope "
                f"within the policy assignment scope '{resolved.id}'.",
            )
    return list(given)


def _messages(properties: dict[str, Any]) -> list[Any] | None:
    messages: list[Any] | None = _typed(properties, "nonComplianceMessages", list, "Array")
    for index, message in enumerate(messages or []):
        if not isinstance(message, dict) or not isinstance(message.get("message"), str) or not message["message"]:
            raise missing_property(f"properties.nonComplianceMessages[{index}].message")
    return messages


def _metadata(properties: dict[str, Any], existing: PolicyAssignment | None, caller: str) -> dict[str, Any]:
    given = _typed(properties, "metadata", dict, "Object") or {}
    metadata = {key: value for key, value in given.items() if key not in METADATA_KEYS}
    now = utc_now_iso()
    if existing is None:
        return {**metadata, "createdBy": caller, "createdOn": now, "updatedBy": None, "updatedOn": None}
    before = existing.properties.get("metadata") or {}
    return {
        **metadata,
        "createdBy": before.get("createdBy"),
        "createdOn": before.get("createdOn"),
        "updatedBy": caller,
        "updatedOn": now,
    }


def _put(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    resolved = resolve(state, call, target.scope, WRITE)
    name = target.name
    _check_name(name)
    body = call.json_body()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise missing_property("properties")
    definition_id = properties.get("policyDefinitionId")
    if not isinstance(definition_id, str) or not definition_id:
        raise missing_property("properties.policyDefinitionId")
    for key in ("displayName", "description"):
        _typed(properties, key, str, "String")
    definition = _definition(state, definition_id, name, resolved)
    values = _parameter_values(properties)
    _check_parameters(state, name, definition, values)
    identity = body.get("identity")
    if identity is not None and not isinstance(identity, dict):
        raise invalid_request_content("Error converting value to type 'Identity'. Path 'identity'")
    identity_type = _canonical(
        (identity or {}).get("type", "None"), IDENTITY_TYPES, "ResourceIdentityType", "identity.type"
    )
    if identity_type == "UserAssigned":
        raise invalid_request_content("user-assigned identities are not emulated; use 'SystemAssigned'")
    if identity_type == "None":
        missing_identity = _needs_identity(state, name, definition, values)
        if missing_identity is not None:
            raise missing_identity
    location = body.get("location")
    if location is not None and not isinstance(location, str):
        raise invalid_request_content("Error converting value to type 'String'. Path 'location'")
    key = _key(resolved, name)
    assignment_id = extension_id(resolved.id, f"providers/{NAMESPACE}/policyAssignments/{name}")
    if identity_type == "SystemAssigned" and not (location or "").strip():
        # Message as ARM's identity service answers; the code is the emulator's choice.
        raise ArmError(
            400,
            "LocationRequired",
            f"The requested operation on resource '{assignment_id}' failed since identity is unavailable for "
            "location ''.",
        )
    enforcement = _canonical(
        properties.get("enforcementMode", "Default"), ENFORCEMENT_MODES, "EnforcementMode", "properties.enforcementMode"
    )
    not_scopes = _not_scopes(properties, name, resolved, state)
    messages = _messages(properties)
    existing = state.access.policy_assignments.get(key)
    caller = call.context.caller.object_id
    instance_id = str(existing.properties.get("instanceId")) if existing is not None else str(uuid.uuid4())
    stored: dict[str, Any] = {}
    for optional in ("displayName", "description"):
        if properties.get(optional) is not None:
            stored[optional] = properties[optional]
    stored["metadata"] = _metadata(properties, existing, caller)
    stored["policyDefinitionId"] = definition_id
    version = properties.get("definitionVersion") or (
        f"{str(definition.properties['version']).split('.')[0]}.*.*" if definition.properties.get("version") else None
    )
    if version is not None:
        stored["definitionVersion"] = version
    if properties.get("parameters") is not None:
        stored["parameters"] = properties["parameters"]
    stored["enforcementMode"] = enforcement
    stored["notScopes"] = not_scopes
    if messages is not None:
        stored["nonComplianceMessages"] = messages
    for echoed in ("resourceSelectors", "overrides", "assignmentType"):
        if properties.get(echoed) is not None:
            stored[echoed] = properties[echoed]
    stored["scope"] = resolved.id
    stored["instanceId"] = instance_id
    record = PolicyAssignment(
        name=existing.name if existing is not None else name,
        scope=resolved,
        properties=stored,
        location=normalize_location(location) if location else None,
        identity=None,
    )
    if identity_type == "SystemAssigned":
        kept = existing.principal_id if existing is not None else None
        record.identity = {
            "type": "SystemAssigned",
            "principalId": kept or str(uuid.uuid5(_PRINCIPALS, f"{key}#{instance_id}")),
            "tenantId": call.context.tenant_id,
        }
        record.identity_visible_at = (
            existing.identity_visible_at
            if existing is not None and kept
            else time.monotonic() + state.settings.principal_replication_delay
        )
    elif identity is not None:
        record.identity = {"type": "None"}
    state.access.policy_assignments[key] = record
    publish(state, call, "write", WRITE, update=existing is not None)
    return ArmResponse(201, record.to_json())


def _list(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if call.method != "GET":
        raise method_not_allowed(call, "GET")
    resolved = resolve(state, call, target.scope, READ)
    wanted = parse_policy_filter(call.query.get("$filter"))
    groups = state.access.management_groups
    chosen = [
        record
        for record in candidates(state.access.policy_assignments, resolved, groups, wanted)
        if wanted.admits(relation_of(record.scope, resolved, groups))
        and (
            wanted.policy_definition_id is None
            or record.definition_id.casefold() == wanted.policy_definition_id.casefold()
        )
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
