"""What a policy definition or initiative asks of an assignment. Pure: parsed JSON in, facts out.

An assignment of a definition (or an initiative: a policy set definition) whose effective effect is
``modify`` or ``deployIfNotExists`` can change resources, so Azure requires it to carry a managed
identity and a location, and that identity needs the roles the definition declares in
``then.details.roleDefinitionIds`` to do its work. The effect is often a parameter
(``"[parameters('effect')]"``), and an initiative passes its own parameters down to its members, so
the effective effect depends on the assignment's parameter values: resolved here the way Azure
resolves them (the assignment's value, else the parameter's default).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

REMEDIATING_EFFECTS = frozenset({"modify", "deployifnotexists"})
_PARAMETER = re.compile(r"^\[parameters\('([^']+)'\)\]$", re.IGNORECASE)

DefinitionKind = Literal["definition", "set"]


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    type: str
    default: Any = None
    has_default: bool = False
    allowed: tuple[Any, ...] | None = None


@dataclass(frozen=True, slots=True)
class Definition:
    """A policy definition: its parameters, its effect expression and the roles a remediation needs."""

    id: str
    parameters: Mapping[str, Parameter]
    effect: str  # a literal effect, or a parameter expression
    role_ids: tuple[str, ...]  # role definition GUIDs, lower-cased


@dataclass(frozen=True, slots=True)
class Member:
    """One definition inside an initiative, with the parameter values the initiative passes it."""

    reference_id: str
    definition: Definition
    parameters: Mapping[str, Any]  # literal values or "[parameters('x')]" of the initiative


@dataclass(frozen=True, slots=True)
class PolicySet:
    id: str
    parameters: Mapping[str, Parameter]
    members: tuple[Member, ...]


Assignable = Definition | PolicySet


@dataclass(frozen=True, slots=True)
class Remediable:
    """A member (or the definition itself) whose effective effect changes resources."""

    reference_id: str | None  # the initiative's policyDefinitionReferenceId; None for a definition
    effect: str
    role_ids: tuple[str, ...]


def parse_parameters(raw: Mapping[str, Any] | None) -> dict[str, Parameter]:
    parameters: dict[str, Parameter] = {}
    for name, given in (raw or {}).items():
        spec = given if isinstance(given, Mapping) else {}
        allowed = spec.get("allowedValues")
        parameters[name] = Parameter(
            name,
            str(spec.get("type", "String")),
            spec.get("defaultValue"),
            "defaultValue" in spec,
            tuple(allowed) if isinstance(allowed, list) else None,
        )
    return parameters


def parse_definition(body: Mapping[str, Any]) -> Definition:
    """A ``Microsoft.Authorization/policyDefinitions`` resource as ARM returns it."""
    properties = body.get("properties") or {}
    rule = properties.get("policyRule") or {}
    then = rule.get("then") or {}
    raw_details = then.get("details")
    details: Mapping[str, Any] = raw_details if isinstance(raw_details, Mapping) else {}
    roles = tuple(str(role).rstrip("/").rsplit("/", 1)[-1].lower() for role in details.get("roleDefinitionIds") or [])
    return Definition(
        str(body.get("id", "")), parse_parameters(properties.get("parameters")), str(then.get("effect", "")), roles
    )


def parse_set(body: Mapping[str, Any], definitions: Mapping[str, Definition]) -> PolicySet:
    """A ``policySetDefinitions`` resource, its members looked up (by id, lower-cased) in ``definitions``."""
    properties = body.get("properties") or {}
    members = []
    for member in properties.get("policyDefinitions") or []:
        definition_id = str(member.get("policyDefinitionId", ""))
        values = {name: (value or {}).get("value") for name, value in (member.get("parameters") or {}).items()}
        members.append(
            Member(str(member.get("policyDefinitionReferenceId", "")), definitions[definition_id.lower()], values)
        )
    return PolicySet(str(body.get("id", "")), parse_parameters(properties.get("parameters")), tuple(members))


def member_ids(body: Mapping[str, Any]) -> list[str]:
    properties = body.get("properties") or {}
    return [str(member.get("policyDefinitionId", "")) for member in properties.get("policyDefinitions") or []]


def _resolve(value: Any, parameters: Mapping[str, Parameter], given: Mapping[str, Any]) -> Any:
    """A value as Azure evaluates it: ``[parameters('x')]`` → the assigned value, else the default."""
    if isinstance(value, str):
        match = _PARAMETER.fullmatch(value.strip())
        if match:
            name = match.group(1)
            if name in given:
                return given[name]
            parameter = parameters.get(name)
            return parameter.default if parameter is not None else None
    return value


def remediable(assignable: Assignable, assigned: Mapping[str, Any]) -> tuple[Remediable, ...]:
    """The definitions in an assignment whose effective effect is modify or deployIfNotExists."""
    if isinstance(assignable, Definition):
        effect = str(_resolve(assignable.effect, assignable.parameters, assigned) or "")
        if effect.lower() in REMEDIATING_EFFECTS:
            return (Remediable(None, effect, assignable.role_ids),)
        return ()
    found = []
    for member in assignable.members:
        passed = {name: _resolve(value, assignable.parameters, assigned) for name, value in member.parameters.items()}
        effect = str(_resolve(member.definition.effect, member.definition.parameters, passed) or "")
        if effect.lower() in REMEDIATING_EFFECTS:
            found.append(Remediable(member.reference_id, effect, member.definition.role_ids))
    return tuple(found)


def missing_parameters(assignable: Assignable, assigned: Mapping[str, Any]) -> list[str]:
    """Parameters without a default that the assignment does not set (Azure refuses those)."""
    return sorted(name for name, spec in assignable.parameters.items() if not spec.has_default and name not in assigned)


def undefined_parameters(assignable: Assignable, assigned: Mapping[str, Any]) -> list[str]:
    return sorted(name for name in assigned if name not in assignable.parameters)
