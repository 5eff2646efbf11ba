"""Finding policy definitions and initiatives by id, and what an assignment of one asks for.

Definitions live at the tenant (Azure's built-ins), at a management group or at a subscription;
an id names exactly one of those places. For an assignment, :func:`remediable_members` resolves
every effective effect (through an initiative's own parameters down to its members) and returns
the members whose effect is ``modify`` or ``deployIfNotExists``: those need the assignment's
managed identity, and only those can be remediated.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ...access.records import DefinitionKind, PolicyDefinition
from ...paths import Scope, parse_arm_path
from ...scopes import Anchor, ResolvedScope, extension_id, scope_path
from .builtin_policies import BUILTIN_POLICY_DEFINITIONS
from .common import NAMESPACE
from .policy_parameters import REMEDIATING_EFFECTS, effect_of, parameter_reference, resolved_values

if TYPE_CHECKING:
    from ....state import EmulatorState

__all__ = [
    "KINDS",
    "DefinitionRef",
    "Member",
    "builtin_definitions",
    "find_definition",
    "members_of",
    "parse_definition_id",
    "remediable_members",
]

KINDS: tuple[DefinitionKind, ...] = ("policyDefinitions", "policySetDefinitions")
TENANT = ResolvedScope(Scope(), "/", Anchor())


def _builtin(body: Mapping[str, Any]) -> PolicyDefinition:
    return PolicyDefinition("policyDefinitions", str(body["name"]), TENANT, copy.deepcopy(dict(body["properties"])))


_BUILTINS = {key: _builtin(body) for key, body in BUILTIN_POLICY_DEFINITIONS.items()}


def builtin_definitions() -> list[PolicyDefinition]:
    return list(_BUILTINS.values())


@dataclass(frozen=True)
class DefinitionRef:
    """What a definition id names: its kind, its scope as spelled, its name, and its lookup key."""

    kind: DefinitionKind
    scope: Scope
    name: str

    @property
    def key(self) -> str:
        return extension_id(scope_path(self.scope), f"providers/{NAMESPACE}/{self.kind}/{self.name}").casefold()


def parse_definition_id(definition_id: str) -> DefinitionRef | None:
    """The definition or set definition an id names; ``None`` if it names neither."""
    target = parse_arm_path(definition_id)
    if target is None or target.is_collection or target.namespace.casefold() != NAMESPACE.casefold():
        return None
    kind = next((kind for kind in KINDS if kind.casefold() == target.type_path.casefold()), None)
    if kind is None or target.scope.kind not in {"tenant", "managementGroup", "subscription"}:
        return None
    return DefinitionRef(kind, target.scope, target.name)


def find_definition(state: EmulatorState, ref: DefinitionRef) -> PolicyDefinition | None:
    """The definition ``ref`` names, if it exists (built-ins at the tenant, custom ones in the store)."""
    if ref.scope.kind == "tenant":
        return _BUILTINS.get(ref.name.casefold()) if ref.kind == "policyDefinitions" else None
    state.access.prune(state.store)
    return state.access.policy_definitions.get(ref.key)


@dataclass(frozen=True)
class Member:
    """A definition as an assignment applies it: alone, or as one member of an initiative."""

    reference_id: str | None
    definition: PolicyDefinition
    values: dict[str, Any]

    @property
    def effect(self) -> str:
        return effect_of(self.definition.properties, self.values)

    @property
    def remediable(self) -> bool:
        return self.effect.casefold() in REMEDIATING_EFFECTS


def members_of(state: EmulatorState, assignable: PolicyDefinition, given: Mapping[str, Any]) -> list[Member]:
    """The definitions an assignment with these parameter values applies, with their effective values."""
    own_values = resolved_values(assignable.parameters, given)
    if not assignable.is_set:
        return [Member(None, assignable, own_values)]
    members: list[Member] = []
    for entry in assignable.properties.get("policyDefinitions") or []:
        ref = parse_definition_id(str(entry.get("policyDefinitionId", "")))
        definition = find_definition(state, ref) if ref is not None else None
        if definition is None:
            continue
        passed: dict[str, Any] = {}
        for name, wrapped in cast("dict[str, Any]", entry.get("parameters") or {}).items():
            value = wrapped.get("value") if isinstance(wrapped, dict) else None
            reference = parameter_reference(value)
            if reference is None:
                passed[name] = value
            else:
                found = [v for k, v in own_values.items() if k.casefold() == reference.casefold()]
                if found:
                    passed[name] = found[0]
        members.append(
            Member(
                str(entry.get("policyDefinitionReferenceId")),
                definition,
                resolved_values(definition.parameters, passed),
            )
        )
    return members


def remediable_members(state: EmulatorState, assignable: PolicyDefinition, given: Mapping[str, Any]) -> list[Member]:
    """The members whose effective effect is modify or deployIfNotExists."""
    return [member for member in members_of(state, assignable, given) if member.remediable]
