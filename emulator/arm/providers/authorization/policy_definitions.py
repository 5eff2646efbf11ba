"""``policyDefinitions`` and ``policySetDefinitions`` (initiatives): built-in at the tenant, custom at a
management group or subscription.

Built-ins are read-only (``GET /providers/Microsoft.Authorization/policyDefinitions/{name}``); Azure's
ids and content are kept verbatim. Custom definitions are written where the platform team puts
them. A definition PUT answers 201 for create *and* update (the only status the policy SDK
accepts); a set definition PUT answers 201 then 200. A management group that does not exist is
403 ``AuthorizationFailed``, as ARM answers a caller it cannot authorize at a scope.

A set definition is checked as ARM checks it: its members must exist (400
``PolicyDefinitionNotFound``), be policy definitions and sit at or above the set's scope
(``InvalidCreatePolicySetDefinitionRequest``); the values it passes a member must be declared by the
member (``UndefinedPolicyParameter``), complete (``MissingPolicyParameter``), allowed
(``PolicyParameterValueNotAllowed``), and each ``[parameters('x')]`` must name a parameter of the set
whose default the member accepts (``InvalidPolicyParameters``).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from ...access.records import DefinitionKind, PolicyDefinition
from ...calls import ArmCall, ArmResponse, method_not_allowed
from ...errors import ArmError, invalid_request_content
from ...listing import page_of
from ...paths import ArmTarget
from ...registry import Handler
from ...scopes import ResolvedScope, ancestry
from ...store import utc_now_iso
from ..tracked import missing_property
from .common import NAMESPACE, publish, resolve
from .policy_catalog import DefinitionRef, builtin_definitions, find_definition, parse_definition_id
from .policy_parameters import (
    check_declarations,
    parameter_reference,
    type_matches,
    value_not_allowed,
)

if TYPE_CHECKING:
    from ....state import EmulatorState

__all__ = ["API_VERSIONS", "SET_API_VERSIONS", "definition_not_found", "handle_policy_definitions"]

# The api-versions of the Microsoft.Authorization policy API (azure-mgmt-resource-policy 1.0 sends 2026-06-01).
API_VERSIONS = (
    "2015-10-01-preview",
    "2015-11-01",
    "2016-04-01",
    "2016-12-01",
    "2017-06-01-preview",
    "2018-03-01",
    "2018-05-01",
    "2019-01-01",
    "2019-06-01",
    "2019-09-01",
    "2020-09-01",
    "2021-06-01",
    "2023-04-01",
    "2024-04-01",
    "2025-01-01",
    "2025-03-01",
    "2025-11-01",
    "2026-06-01",
)
# Initiatives arrived with 2017-06-01-preview.
SET_API_VERSIONS = tuple(version for version in API_VERSIONS if version >= "2017-06-01")
METADATA_KEYS = ("createdBy", "createdOn", "updatedBy", "updatedOn")
_FILTER = re.compile(r"^\s*(policyType|category)\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_LABEL: dict[DefinitionKind, str] = {
    "policyDefinitions": "policy definition",
    "policySetDefinitions": "policy set definition",
}
_NOT_FOUND_CODE: dict[DefinitionKind, str] = {
    "policyDefinitions": "PolicyDefinitionNotFound",
    "policySetDefinitions": "PolicySetDefinitionNotFound",
}


def definition_not_found(kind: DefinitionKind, name: str) -> ArmError:
    return ArmError(404, _NOT_FOUND_CODE[kind], f"The {_LABEL[kind]} '{name}' could not be found.")


def handle_policy_definitions(kind: DefinitionKind) -> Handler:
    """The handler of one of the two definition types."""

    def handle(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
        return _serve(kind, state, call, target)

    return handle


def _serve(kind: DefinitionKind, state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if target.is_collection:
        if call.method != "GET":
            raise method_not_allowed(call, "GET")
        return _list(kind, state, call, target)
    verb = {"GET": "read", "PUT": "write", "DELETE": "delete"}.get(call.method)
    if verb is None or (target.scope.kind == "tenant" and verb != "read"):
        # Built-ins cannot be written; Azure's own answer to a tenant-level write is not modelled.
        raise method_not_allowed(call, "GET" if target.scope.kind == "tenant" else "GET, PUT, DELETE")
    resolved = resolve(state, call, target.scope, f"{NAMESPACE}/{kind}/{verb}")
    ref = DefinitionRef(kind, resolved.scope, target.name)
    existing = find_definition(state, ref)
    if call.method == "GET":
        if existing is None:
            raise definition_not_found(kind, target.name)
        return ArmResponse(200, existing.to_json())
    if call.method == "DELETE":
        if existing is None:
            return ArmResponse(204)
        del state.access.policy_definitions[ref.key]
        publish(state, call, "delete", f"{NAMESPACE}/{kind}/delete", update=True)
        return ArmResponse(200)
    return _put(kind, state, call, resolved, name=target.name, existing=existing)


def _string(properties: dict[str, Any], key: str) -> str | None:
    value = properties.get(key)
    if value is not None and not isinstance(value, str):
        raise invalid_request_content(f"Error converting value to type 'String'. Path 'properties.{key}'")
    return value


def _metadata(properties: dict[str, Any], existing: PolicyDefinition | None, caller: str) -> dict[str, Any]:
    """The caller's metadata with ARM's four audit keys (kept from the first write, updated on later ones)."""
    given = properties.get("metadata")
    if given is not None and not isinstance(given, dict):
        raise invalid_request_content("Error converting value to type 'Object'. Path 'properties.metadata'")
    metadata = {key: value for key, value in (given or {}).items() if key not in METADATA_KEYS}
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


def _put(
    kind: DefinitionKind,
    state: EmulatorState,
    call: ArmCall,
    resolved: ResolvedScope,
    *,
    name: str,
    existing: PolicyDefinition | None,
) -> ArmResponse:
    body = call.json_body()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise missing_property("properties")
    parameters = check_declarations(properties.get("parameters"), owner=name)
    stored: dict[str, Any] = {}
    for key in ("displayName", "description"):
        value = _string(properties, key)
        if value is not None:
            stored[key] = value
    stored["policyType"] = "Custom"
    if kind == "policyDefinitions":
        stored["mode"] = _string(properties, "mode") or "Indexed"
        stored["metadata"] = _metadata(properties, existing, call.context.caller.object_id)
        stored["parameters"] = parameters
        stored["policyRule"] = _policy_rule(properties)
    else:
        stored["metadata"] = _metadata(properties, existing, call.context.caller.object_id)
        stored["parameters"] = parameters
        stored["policyDefinitions"] = _members(state, name, resolved, properties, parameters)
        groups = properties.get("policyDefinitionGroups")
        if groups is not None:
            if not isinstance(groups, list):
                raise invalid_request_content(
                    "Error converting value to type 'Array'. Path 'properties.policyDefinitionGroups'"
                )
            stored["policyDefinitionGroups"] = groups
    record = PolicyDefinition(kind, existing.name if existing else name, resolved, stored)
    state.access.policy_definitions[DefinitionRef(kind, resolved.scope, name).key] = record
    publish(state, call, "write", f"{NAMESPACE}/{kind}/write", update=existing is not None)
    # The policy SDK accepts only 201 for a definition PUT, also when it updates; initiatives answer 200/201.
    status = 201 if kind == "policyDefinitions" or existing is None else 200
    return ArmResponse(status, record.to_json())


def _policy_rule(properties: dict[str, Any]) -> dict[str, Any]:
    rule = properties.get("policyRule")
    then = rule.get("then") if isinstance(rule, dict) else None
    if not isinstance(rule, dict) or not isinstance(rule.get("if"), dict) or not isinstance(then, dict):
        # Code as ARM answers a rule it cannot parse; the wording is not verified.
        raise ArmError(
            400, "InvalidPolicyRule", "Failed to parse policy rule: the rule must have an 'if' and a 'then' object."
        )
    if not isinstance(then.get("effect"), str) or not then["effect"]:
        raise ArmError(400, "InvalidPolicyRule", "Failed to parse policy rule: 'then' must name an 'effect'.")
    return rule


def _reference_id(definition_id: str, index: int) -> str:
    """A reference id for a member given none: ARM generates a numeric one, stable here per member."""
    digest = hashlib.sha256(f"{definition_id.casefold()}#{index}".encode()).hexdigest()
    return str(int(digest[:16], 16))


def _set_invalid(name: str, detail: str) -> ArmError:
    return ArmError(
        400,
        "InvalidCreatePolicySetDefinitionRequest",
        f"The policy set definition '{name}' request is invalid. {detail}",
    )


def _members(
    state: EmulatorState, name: str, resolved: ResolvedScope, properties: dict[str, Any], parameters: dict[str, Any]
) -> list[dict[str, Any]]:
    entries = properties.get("policyDefinitions")
    if not isinstance(entries, list) or not entries:
        raise _set_invalid(name, "At least one policy definition must be referenced.")  # wording not verified
    above = ancestry(resolved.scope, state.access.management_groups)
    members: list[dict[str, Any]] = []
    out_of_scope: list[str] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("policyDefinitionId"), str):
            raise missing_property(f"properties.policyDefinitions[{index}].policyDefinitionId")
        definition_id = str(entry["policyDefinitionId"])
        ref = parse_definition_id(definition_id)
        if ref is not None and ref.kind == "policySetDefinitions":
            raise _set_invalid(
                name, "Referenced policy definitions must be of type 'Microsoft.Authorization/policyDefinitions'."
            )
        definition = find_definition(state, ref) if ref is not None else None
        if definition is None:
            # Code as ARM answers; the wording is adapted from its assignment message and not verified.
            raise ArmError(
                400,
                "PolicyDefinitionNotFound",
                f"The policy set definition '{name}' request is invalid. The policy definition '{definition_id}' "
                "could not be found.",
            )
        if definition.scope.key not in above:
            out_of_scope.append(definition.name)
        reference_id = entry.get("policyDefinitionReferenceId") or _reference_id(definition_id, index)
        if not isinstance(reference_id, str):
            raise invalid_request_content("Error converting value to type 'String'. Path 'policyDefinitionReferenceId'")
        if reference_id.casefold() in seen:
            raise _set_invalid(name, f"The policy definition reference ID '{reference_id}' is used more than once.")
        seen.add(reference_id.casefold())
        passed = _member_parameters(name, definition, entry.get("parameters"), parameters)
        member = {**entry, "policyDefinitionReferenceId": reference_id, "parameters": passed}
        member.setdefault("groupNames", [])
        members.append(member)
    if out_of_scope:
        raise _set_invalid(
            name,
            "Policy definitions should be specified only at or above the policy set definition's scope. The "
            f"following policy definitions are invalid: '{','.join(out_of_scope)}'.",
        )
    return members


def _member_parameters(
    name: str, definition: PolicyDefinition, given: object, set_parameters: dict[str, Any]
) -> dict[str, Any]:
    """The values a set passes one member, checked against the member's declarations."""
    if given is None:
        given = {}
    if not isinstance(given, dict) or not all(isinstance(v, dict) and "value" in v for v in given.values()):
        raise invalid_request_content("Could not find member 'value' on object of type 'ParameterValuesValue'")
    declared = definition.parameters
    declared_names = {key.casefold(): key for key in declared}
    undefined = [key for key in given if key.casefold() not in declared_names]
    if undefined:
        raise ArmError(
            400,
            "UndefinedPolicyParameter",
            f"The policy set definition '{name}' is attempting to assign the parameter(s) '{', '.join(undefined)}' "
            f"which are not defined in the policy definition '{definition.name}'.",
        )
    given_names = {key.casefold() for key in given}
    missing = [
        key for key, spec in declared.items() if "defaultValue" not in spec and key.casefold() not in given_names
    ]
    if missing:
        # Code as ARM answers; the wording is adapted from its assignment message and not verified.
        raise ArmError(
            400,
            "MissingPolicyParameter",
            f"The policy set definition '{name}' is missing the parameter(s) '{', '.join(missing)}' as defined in the "
            f"policy definition '{definition.name}'.",
        )
    version = definition.properties.get("version")
    shown = f"{definition.name} version {version}" if version else definition.name
    set_names = {key.casefold(): key for key in set_parameters}
    for key, wrapped in given.items():
        spec = declared[declared_names[key.casefold()]]
        value = wrapped["value"]
        reference = parameter_reference(value)
        if reference is None:
            if not type_matches(str(spec.get("type", "String")), value):
                raise _unparameterizable(
                    name, definition.name, f"The value of parameter '{key}' is not of type '{spec.get('type')}'."
                )
            refused = value_not_allowed(declared_names[key.casefold()], value, spec, shown)
            if refused is not None:
                raise refused
            continue
        if reference.casefold() not in set_names:
            raise ArmError(
                400,
                "InvalidPolicyParameters",
                f"A function or parameter in policy set '{name}' associated with the policy definition "
                f"'{definition.name}' could not be validated. If using template functions, try following the tips "
                f"in: https://aka.ms/policy-avoiding-template-failures. The inner exception 'The policy set parameter "
                f"'{reference}' is not defined.'.",
            )
        set_spec = set_parameters[set_names[reference.casefold()]]
        if isinstance(set_spec, dict) and "defaultValue" in set_spec:
            refused = value_not_allowed(declared_names[key.casefold()], set_spec["defaultValue"], spec, definition.name)
            if refused is not None:
                raise ArmError(
                    400,
                    "InvalidPolicyParameters",
                    f"The policy set '{name}' could not be parameterized because the default value of a policy set "
                    f"parameter referenced by policy definition {definition.name} was not valid for that policy "
                    "definition. Please verify that the default values of all policy set parameters are valid in the "
                    f"context of the policy definitions referencing them. The inner exception '{refused.message}'.",
                )
    return dict(given)


def _unparameterizable(name: str, member: str, inner: str) -> ArmError:
    return ArmError(
        400,
        "InvalidPolicyParameters",
        f"The policy set '{name}' could not be parameterized for policy definition {member}. The inner exception "
        f"'{inner}'.",  # wording not verified
    )


def _visible(kind: DefinitionKind, state: EmulatorState, resolved: ResolvedScope) -> list[PolicyDefinition]:
    """What a list at a scope shows: built-ins, and custom definitions at the scope or above it."""
    above = set(ancestry(resolved.scope, state.access.management_groups))
    custom = [d for d in state.access.policy_definitions.values() if d.kind == kind and d.scope.key in above]
    return (builtin_definitions() if kind == "policyDefinitions" else []) + custom


def _matches(definition: PolicyDefinition, text: str | None) -> bool:
    if text is None or not text.strip():
        return True
    match = _FILTER.match(text)
    if match is None:
        # Code as ARM's lists answer an unsupported filter; the provider's wording is not verified.
        raise ArmError(
            400,
            "InvalidFilterInQueryString",
            f"The filter '{text}' is invalid. Supported filters are policyType eq '{{value}}' and category eq "
            "'{value}'.",
        )
    field, value = match.group(1).casefold(), match.group(2).replace("''", "'")
    if field == "policytype":
        return str(definition.properties.get("policyType", "")).casefold() == value.casefold()
    metadata = definition.properties.get("metadata") or {}
    return str(metadata.get("category", "")).casefold() == value.casefold()


def _list(kind: DefinitionKind, state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    resolved = resolve(state, call, target.scope, f"{NAMESPACE}/{kind}/read")
    chosen = [d for d in _visible(kind, state, resolved) if _matches(d, call.query.get("$filter"))]
    page = page_of(
        chosen,
        key=lambda definition: definition.id.casefold(),
        render=lambda definition: definition.to_json(),
        query=call.query,
        page_size=state.settings.page_size,
        base_url=call.base_url,
        path=call.path,
    )
    return ArmResponse(200, page.to_json())
