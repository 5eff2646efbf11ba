"""Policy parameters as ARM checks them, and effects as Azure Policy resolves them. Pure functions.

A definition declares parameters (``type``, optional ``defaultValue`` and ``allowedValues``); an
assignment, or an initiative for its members, passes values. ARM refuses a value for a parameter the
definition does not declare (``UndefinedPolicyParameter``), a missing value for one without a
default (``MissingPolicyParameter``), a value of the wrong JSON type (``InvalidPolicyParameters``)
and a value outside ``allowedValues`` (``PolicyParameterValueNotAllowed``; compared case-sensitively,
as Azure does: ``deny`` is not ``Deny``). An effect is often ``[parameters('effect')]``: its value is
the assigned one, else the default — and inside an initiative, a member's parameter may itself be
``[parameters('x')]`` of the initiative.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from typing import Any

from ...errors import ArmError

__all__ = [
    "PARAMETER_TYPES",
    "REMEDIATING_EFFECTS",
    "check_declarations",
    "check_values",
    "effect_of",
    "parameter_reference",
    "resolved_values",
    "role_definition_ids",
    "type_matches",
    "value_not_allowed",
]

PARAMETER_TYPES = ("String", "Array", "Object", "Boolean", "Integer", "Float", "DateTime")
REMEDIATING_EFFECTS = frozenset({"modify", "deployifnotexists"})
_REFERENCE = re.compile(r"^\[\s*parameters\(\s*'([^']+)'\s*\)\s*\]$", re.IGNORECASE)


def parameter_reference(value: object) -> str | None:
    """``x`` for ``"[parameters('x')]"``, else ``None``."""
    if not isinstance(value, str):
        return None
    match = _REFERENCE.match(value.strip())
    return match.group(1) if match else None


def _expression(value: object) -> bool:
    return isinstance(value, str) and value.startswith("[") and value.endswith("]") and not value.startswith("[[")


def type_matches(declared_type: str, value: object) -> bool:
    """Whether a JSON value fits a policy parameter type (a template expression fits any type)."""
    kind = declared_type.casefold()
    if _expression(value):
        return True
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "datetime":
        if not isinstance(value, str):
            return False
        try:
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return False
        return True
    return False


def _shown(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _names(names: list[str]) -> str:
    return ", ".join(names)


def _spec(declared: Mapping[str, Any], name: str) -> tuple[str, dict[str, Any]] | None:
    """The declared parameter ``name`` (parameter names are case-insensitive), with its declared name."""
    for key, spec in declared.items():
        if key.casefold() == name.casefold() and isinstance(spec, dict):
            return key, spec
    return None


def value_not_allowed(name: str, value: object, spec: Mapping[str, Any], definition: str) -> ArmError | None:
    """``PolicyParameterValueNotAllowed`` if ``value`` (each element, for an array) is not allowed."""
    allowed = spec.get("allowedValues")
    if not isinstance(allowed, list) or _expression(value):
        return None
    candidates = value if isinstance(value, list) and str(spec.get("type", "")).casefold() == "array" else [value]
    for candidate in candidates:
        if candidate not in allowed and not (isinstance(value, list) and value in allowed):
            return ArmError(
                400,
                "PolicyParameterValueNotAllowed",
                f"The value '{_shown(candidate)}' is not allowed for policy parameter '{name}' in policy definition "
                f"'{definition}'. The allowed values are '{', '.join(_shown(item) for item in allowed)}'.",
            )
    return None


def _wrong_type(name: str, value: object, declared_type: str, definition: str) -> ArmError:
    # Code as ARM answers; the wording is not verified.
    return ArmError(
        400,
        "InvalidPolicyParameters",
        f"The policy parameters are invalid: the value '{_shown(value)}' of parameter '{name}' is not of type "
        f"'{declared_type}' as declared in the policy definition '{definition}'.",
    )


def check_values(
    declared: Mapping[str, Any], given: Mapping[str, Any], *, subject: str, definition: str, version: str | None
) -> None:
    """Check an assignment's (or an initiative member's) values against the declared parameters.

    ``subject`` opens the messages (``The policy assignment 'x'``); ``definition`` is the definition's
    name. Raises the first of ARM's errors that applies, in ARM's order.
    """
    undefined = [name for name in given if _spec(declared, name) is None]
    if undefined:
        raise ArmError(
            400,
            "UndefinedPolicyParameter",
            f"{subject} has the parameter(s) '{_names(undefined)}' which are not defined in the policy definition "
            f"'{definition}'.",
        )
    given_names = {name.casefold() for name in given}
    missing = [
        name
        for name, spec in declared.items()
        if isinstance(spec, dict) and "defaultValue" not in spec and name.casefold() not in given_names
    ]
    if missing:
        raise ArmError(
            400,
            "MissingPolicyParameter",
            f"{subject} is missing the parameter(s) '{_names(missing)}' as defined in the policy definition "
            f"'{definition}'.",
        )
    shown_definition = f"{definition} version {version}" if version else definition
    for name, value in given.items():
        found = _spec(declared, name)
        assert found is not None  # every name was found above
        declared_name, spec = found
        declared_type = str(spec.get("type", "String"))
        if not type_matches(declared_type, value):
            raise _wrong_type(declared_name, value, declared_type, definition)
        refused = value_not_allowed(declared_name, value, spec, shown_definition)
        if refused is not None:
            raise refused


def check_declarations(parameters: object, *, owner: str) -> dict[str, Any]:
    """A definition's (or initiative's) ``parameters`` declarations, checked as ARM checks them."""
    if parameters is None:
        return {}
    if not isinstance(parameters, dict):
        raise _content("properties.parameters", "an object of parameter definitions")
    for name, spec in parameters.items():
        if not isinstance(spec, dict):
            raise _content(f"properties.parameters.{name}", "a parameter definition object")
        declared_type = spec.get("type")
        if not isinstance(declared_type, str) or declared_type.casefold() not in {
            t.casefold() for t in PARAMETER_TYPES
        }:
            raise _content(f"properties.parameters.{name}.type", f"one of {', '.join(PARAMETER_TYPES)}")
        allowed = spec.get("allowedValues")
        if allowed is not None and not isinstance(allowed, list):
            raise _content(f"properties.parameters.{name}.allowedValues", "an array")
        if "defaultValue" in spec and isinstance(allowed, list):
            default = spec["defaultValue"]
            values = default if isinstance(default, list) and declared_type.casefold() == "array" else [default]
            if not all(value in allowed for value in values) and default not in allowed:
                raise ArmError(
                    400,
                    "PolicyParameterAllowedAndDefaultValuesMismatch",
                    f"The policy '{owner}' defines parameter '{name}' with a default value '{_shown(default)}' and "
                    f"allowed values '{','.join(_shown(item) for item in allowed)}'. The 'allowedValues' property "
                    "must include the value of the 'defaultValue' property if both are present.",
                )
    return dict(parameters)


def _content(path: str, expected: str) -> ArmError:
    return ArmError(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: '{path}' must be {expected}.",
    )


def resolved_values(declared: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared parameter's effective value: the given one, else the default (absent if neither)."""
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        supplied = next((value for key, value in given.items() if key.casefold() == name.casefold()), None)
        has_supplied = any(key.casefold() == name.casefold() for key in given)
        if has_supplied:
            values[name] = supplied
        elif isinstance(spec, dict) and "defaultValue" in spec:
            values[name] = spec["defaultValue"]
    return values


def effect_of(properties: Mapping[str, Any], values: Mapping[str, Any]) -> str:
    """A definition's effective effect for these parameter values (``[parameters('effect')]`` resolved)."""
    rule = properties.get("policyRule")
    then = rule.get("then") if isinstance(rule, dict) else None
    effect = then.get("effect") if isinstance(then, dict) else None
    reference = parameter_reference(effect)
    if reference is not None:
        effect = next((value for key, value in values.items() if key.casefold() == reference.casefold()), None)
    return str(effect or "")


def role_definition_ids(properties: Mapping[str, Any]) -> list[str]:
    """The roles a modify or deployIfNotExists effect's managed identity needs (``then.details``)."""
    rule = properties.get("policyRule")
    then = rule.get("then") if isinstance(rule, dict) else None
    details = then.get("details") if isinstance(then, dict) else None
    roles = details.get("roleDefinitionIds") if isinstance(details, dict) else None
    return [str(role) for role in roles] if isinstance(roles, list) else []
