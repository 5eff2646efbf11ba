"""``Microsoft.Authorization/roleDefinitions``: Azure's built-in roles, read at any scope.

A role definition is read by its GUID (``…/roleDefinitions/{guid}``) or listed with
``$filter=roleName eq '…'`` or ``type eq 'BuiltInRole'|'CustomRole'`` (``atScopeAndBelow()`` is
accepted and changes nothing: there are no custom roles). Built-in roles live at the tenant; read
under a subscription (or a group or resource in it) their ids carry that subscription, as ARM
renders them. Custom roles are not emulated: writes are refused with 405.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from ...calls import ArmCall, ArmResponse, method_not_allowed
from ...errors import ArmError
from ...listing import page_of
from ...paths import ArmTarget
from .builtin_roles import BUILTIN_ROLES
from .common import NAMESPACE, resolve

if TYPE_CHECKING:
    from ....state import EmulatorState

__all__ = ["API_VERSIONS", "find_role", "handle_role_definitions", "role_definition_not_found"]

# The api-versions ARM serves roleDefinitions at (azure-mgmt-authorization 4 sends 2022-04-01).
API_VERSIONS = ("2015-07-01", "2018-01-01-preview", "2022-04-01", "2022-05-01-preview")
READ = f"{NAMESPACE}/roleDefinitions/read"
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_CLAUSE = re.compile(r"^\s*(roleName|type)\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_AT_SCOPE_AND_BELOW = re.compile(r"^\s*atScopeAndBelow\(\s*\)\s*$", re.IGNORECASE)


def find_role(guid: str) -> dict[str, Any] | None:
    return BUILTIN_ROLES.get(guid.casefold())


def role_definition_not_found(guid: str) -> ArmError:
    return ArmError(
        404, "RoleDefinitionDoesNotExist", f"The specified role definition with ID '{guid}' does not exist."
    )


def role_definition_id(guid: str, subscription_id: str | None) -> str:
    """A built-in role's id as ARM renders it at a scope: subscription-prefixed inside a subscription."""
    prefix = f"/subscriptions/{subscription_id}" if subscription_id else ""
    return f"{prefix}/providers/{NAMESPACE}/roleDefinitions/{guid}"


def _render(role: dict[str, Any], subscription_id: str | None) -> dict[str, Any]:
    body = copy.deepcopy(role)
    body["id"] = role_definition_id(str(role["name"]), subscription_id)
    return body


def _matches(role: dict[str, Any], text: str | None) -> bool:
    if text is None or not text.strip():
        return True
    for clause in _AND.split(text.strip()):
        if _AT_SCOPE_AND_BELOW.match(clause):
            continue
        match = _CLAUSE.match(clause)
        if match is None:
            # Code as ARM's lists answer an unsupported filter; the provider's wording is not verified.
            raise ArmError(
                400,
                "InvalidFilterInQueryString",
                f"The filter '{text}' is invalid. Supported filters are roleName eq '{{name}}', "
                "type eq 'BuiltInRole'|'CustomRole' and atScopeAndBelow().",
            )
        field, value = match.group(1).casefold(), match.group(2).replace("''", "'")
        actual = role["properties"]["roleName"] if field == "rolename" else role["properties"]["type"]
        if str(actual).casefold() != value.casefold():
            return False
    return True


def handle_role_definitions(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if call.method != "GET":
        raise method_not_allowed(call, "GET")
    resolved = resolve(state, call, target.scope, READ)
    subscription_id = resolved.scope.subscription_id
    if target.is_collection:
        chosen = [role for role in BUILTIN_ROLES.values() if _matches(role, call.query.get("$filter"))]
        page = page_of(
            chosen,
            key=lambda role: str(role["name"]),
            render=lambda role: _render(role, subscription_id),
            query=call.query,
            page_size=state.settings.page_size,
            base_url=call.base_url,
            path=call.path,
        )
        return ArmResponse(200, page.to_json())
    role = find_role(target.name)
    if role is None:
        raise role_definition_not_found(target.name)
    return ArmResponse(200, _render(role, subscription_id))
