"""Read the deployment's Bicep the way checkov does (pycep, its Bicep parser), for tests to assert on.

pycep turns a template into dictionaries: ``parameters``, ``variables``, ``resources``, ``modules``,
``outputs``. A literal and a reference to a parameter or variable both come out as a plain string;
expressions come out as ``{"function": …}`` or ``{"operator": …}`` trees. The helpers here resolve
the few shapes the templates use for role definition ids and principals.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"

# Built-in role definition ids (the same in every tenant), by name.
ROLE_IDS: Mapping[str, str] = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "Tag Contributor": "4a9ae827-6dc8-4573-8ac7-8239d42aa03f",
    "Resource Policy Contributor": "36243c78-bf99-498c-9df9-86d9f8d28608",
    "Role Based Access Control Administrator": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "Storage Table Data Contributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    "Storage Queue Data Contributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "Monitoring Metrics Publisher": "3913510d-42f4-4e42-8a64-420c390055eb",
    "EventGrid Data Sender": "d5a91429-5739-47e2-a06b-3470a27159e7",
}
ROLE_NAMES: Mapping[str, str] = {role_id: name for name, role_id in ROLE_IDS.items()}


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


def relative(path: Path) -> str:
    return path.relative_to(INFRA).as_posix()


@functools.cache
def parser() -> BicepParser:
    return BicepParser()  # builds its grammar: a quarter of a second


@functools.cache
def template(name: str) -> dict[str, Any]:
    """The parsed template ``infra/<name>`` (e.g. ``app/events.bicep``)."""
    parsed: Any = parser().parse(text=(INFRA / name).read_text(encoding="utf-8"))
    return dict(parsed)


def variable(name: str, variable_name: str) -> Any:
    return template(name)["variables"][variable_name]["value"]


def parameter(name: str, parameter_name: str) -> dict[str, Any]:
    found: dict[str, Any] = template(name)["parameters"][parameter_name]
    return found


def resource(name: str, symbol: str) -> dict[str, Any]:
    """A resource's body (``name``, ``properties``, …) by its symbolic name."""
    config: dict[str, Any] = template(name)["resources"][symbol]["config"]
    return config.get("config", config) if "loop_type" in config or "condition" in config else config


def module_params(name: str, symbol: str) -> dict[str, Any]:
    config: dict[str, Any] = template(name)["modules"][symbol]["config"]
    body: dict[str, Any] = config.get("config", config) if "loop_type" in config or "condition" in config else config
    params: dict[str, Any] = body.get("params", {})
    return params


def accessor(expression: Any) -> list[str]:
    """``a.b.c`` as ``["a", "b", "c"]``; [] for anything that is not a property access chain."""
    if isinstance(expression, str):
        return [expression]
    operator = expression.get("operator", {}) if isinstance(expression, dict) else {}
    if operator.get("type") != "property_accessor":
        return []
    operands = operator["operands"]
    return [*accessor(operands["operand_1"]), *accessor(operands["operand_2"])]


def function(expression: Any) -> dict[str, Any] | None:
    if isinstance(expression, dict) and "function" in expression:
        found: dict[str, Any] = expression["function"]
        return found
    return None


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    file: str
    symbol: str
    role: str  # a built-in role's name, its id if unknown, or "custom:<symbol>" for a role defined here
    principal: str  # the principalId expression: a parameter name
    scope: str | None  # the symbolic name of the scoped resource; None: the deployment's scope
    properties: Mapping[str, Any]


def _role(name: str, expression: Any) -> str:
    call = function(expression)
    if call is not None and call["type"] == "subscription_resource_id":
        argument = call["parameters"]["resource_name_1"]
        chain = accessor(argument)
        if len(chain) == 2:  # roles.reader
            role_id = str(variable(name, chain[0])[chain[1]])
        elif chain and chain[0] in template(name).get("variables", {}):  # a variable holding the id
            role_id = str(variable(name, chain[0]))
        else:
            role_id = str(argument)
        return ROLE_NAMES.get(role_id.lower(), role_id)
    chain = accessor(expression)
    resources = template(name).get("resources", {})
    if (
        len(chain) == 2
        and chain[1] == "id"
        and resources[chain[0]]["type"] == "Microsoft.Authorization/roleDefinitions"
    ):
        return f"custom:{chain[0]}"
    raise AssertionError(f"{name}: cannot read the role of {expression!r}")


def role_assignments() -> Iterator[RoleAssignment]:
    """Every role assignment the templates create."""
    for path in bicep_files():
        name = relative(path)
        for symbol, declared in template(name).get("resources", {}).items():
            if declared["type"] != "Microsoft.Authorization/roleAssignments" or declared["existing"]:
                continue
            body = resource(name, symbol)
            properties = body["properties"]
            scope = body.get("scope")
            yield RoleAssignment(
                file=name,
                symbol=symbol,
                role=_role(name, properties["roleDefinitionId"]),
                principal=str(properties["principalId"]),
                scope=str(scope) if scope is not None else None,
                properties=properties,
            )


def app_identity_parameters() -> set[tuple[str, str]]:
    """(module file, parameter) pairs that main.bicep fills with the app's identity (its principal id)."""
    found = set()
    for symbol, module in template("main.bicep")["modules"].items():
        path = module["detail"]["path"]
        if module["type"] != "local":
            continue
        for parameter_name, value in module_params("main.bicep", symbol).items():
            if accessor(value) == ["identity", "outputs", "principalId"]:
                found.add((path, parameter_name))
    return found


def load_json(name: str) -> Any:
    return json.loads((INFRA / name).read_text(encoding="utf-8"))
