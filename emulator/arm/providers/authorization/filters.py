"""``$filter`` of role- and policy-assignment lists, and which assignments a list at a scope shows.

Role assignments: ``atScope()``, ``principalId eq '{id}'``, ``assignedTo('{id}')``, joined with
``and``. Policy assignments: ``atScope()``, ``atExactScope()`` or ``policyDefinitionId eq '{id}'``.
Without a filter a list shows what is at, above *and below* the scope; ``atScope()`` drops what is
below; ``atExactScope()`` keeps only what is exactly at it.

The authorization SDK sends its filter without percent-encoding (quotes and parentheses raw) and the
policy SDK encodes it; the gateway hands handlers the decoded value either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from ...access.index import ScopedRecords
from ...access.records import PolicyAssignment, RoleAssignment
from ...errors import ArmError
from ...management_groups import ManagementGroups
from ...scopes import ResolvedScope, ancestry

__all__ = ["AssignmentFilter", "Relation", "candidates", "parse_policy_filter", "parse_role_filter", "relation_of"]

A = TypeVar("A", RoleAssignment, PolicyAssignment)

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_FUNCTION = re.compile(r"^\s*(atScope|atExactScope)\(\s*\)\s*$", re.IGNORECASE)
_ASSIGNED_TO = re.compile(r"^\s*assignedTo\(\s*'((?:[^']|'')*)'\s*\)\s*$", re.IGNORECASE)
_EQUALS = re.compile(r"^\s*([A-Za-z]+)\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Relation:
    """Where an assignment sits relative to the listed scope."""

    at: bool
    above: bool
    below: bool


@dataclass(frozen=True)
class AssignmentFilter:
    at_scope: bool = False
    at_exact_scope: bool = False
    principal_id: str | None = None
    assigned_to: str | None = None
    policy_definition_id: str | None = None

    def admits(self, relation: Relation) -> bool:
        """Whether the scope filter keeps an assignment in this relation to the listed scope."""
        if self.at_exact_scope:
            return relation.at
        if self.at_scope or self.policy_definition_id is not None:
            return relation.at or relation.above
        return relation.at or relation.above or relation.below


def _invalid(text: str, supported: str) -> ArmError:
    # Code as ARM's resource lists answer a filter they do not support; the authorization and
    # policy providers' own wording is not verified.
    return ArmError(
        400, "InvalidFilterInQueryString", f"The filter '{text}' is invalid. Supported filters are {supported}."
    )


def parse_role_filter(text: str | None) -> AssignmentFilter:
    """A role-assignment list's ``$filter``; ARM's 400 for anything else."""
    if text is None or not text.strip():
        return AssignmentFilter()
    supported = "atScope(), principalId eq '{id}' and assignedTo('{id}'), joined with 'and'"
    at_scope, principal, assigned = False, None, None
    for clause in _AND.split(text.strip()):
        function, assigned_match, equals = _FUNCTION.match(clause), _ASSIGNED_TO.match(clause), _EQUALS.match(clause)
        if function is not None and function.group(1).casefold() == "atscope":
            at_scope = True
        elif assigned_match is not None and assigned is None:
            assigned = assigned_match.group(1).replace("''", "'")
        elif equals is not None and equals.group(1).casefold() == "principalid" and principal is None:
            principal = equals.group(2).replace("''", "'")
        else:
            raise _invalid(text, supported)
    return AssignmentFilter(at_scope=at_scope, principal_id=principal, assigned_to=assigned)


def parse_policy_filter(text: str | None) -> AssignmentFilter:
    """A policy-assignment list's ``$filter``: exactly one of the three forms the API documents."""
    if text is None or not text.strip():
        return AssignmentFilter()
    function, equals = _FUNCTION.match(text), _EQUALS.match(text)
    if function is not None:
        exact = function.group(1).casefold() == "atexactscope"
        return AssignmentFilter(at_scope=not exact, at_exact_scope=exact)
    if equals is not None and equals.group(1).casefold() == "policydefinitionid":
        return AssignmentFilter(policy_definition_id=equals.group(2).replace("''", "'"))
    raise _invalid(text, "atScope(), atExactScope() or policyDefinitionId eq '{id}'")


def relation_of(record: ResolvedScope, listed: ResolvedScope, groups: ManagementGroups) -> Relation:
    """Whether ``record`` is at, above or below the ``listed`` scope (management groups as they are now)."""
    above_listed = ancestry(listed.scope, groups)
    above_record = ancestry(record.scope, groups)
    at = record.key == listed.key
    return Relation(at=at, above=not at and record.key in above_listed, below=not at and listed.key in above_record)


def candidates(
    records: ScopedRecords[A], listed: ResolvedScope, groups: ManagementGroups, wanted: AssignmentFilter
) -> list[A]:
    """The assignments a list at ``listed`` may show, in their store's order: those at or above it and,
    when the filter admits them, those that may be below it (a superset; :func:`relation_of` decides)."""
    above = {*ancestry(listed.scope, groups), listed.key}
    if not wanted.admits(Relation(at=False, above=False, below=True)):
        return records.at_any(above)
    return records.near(above, subscription_id=listed.scope.subscription_id, group=listed.scope.group)
