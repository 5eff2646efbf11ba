"""Metadata policies and roles (the policy store, ``/policyStore``, api-version ``2021-07-01-preview``).

Purview grants its data-plane roles through one metadata policy per collection, ``policy_<name>``,
created with the collection: an attribute rule per role (``purviewmetadatarole_builtin_<role>:<c>``)
listing principals and inheriting the parent's rule, and a ``permission:<c>`` rule that ORs them and
inherits the parent's permission. The root policy has a rule for each of the four collection roles;
a child policy starts with the collection-administrator rule only (its creator) and callers add
others. Updating means PUTting the whole document back: unknown fields (``fromRule`` …) are kept
verbatim, every PUT increments ``version``, and a PUT based on an older version is refused with 409.
Lists answer under ``values`` (plural), which the SDK reads.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .calls import PurviewCall, PurviewResponse
from .errors import PurviewError, bad_body

if TYPE_CHECKING:
    from .account import PurviewAccount

__all__ = [
    "BUILTIN_ROLES",
    "PolicyStore",
    "get_collection_policy",
    "get_policy",
    "list_metadata_roles",
    "list_policies",
    "update_policy",
]

ROLE_PREFIX = "purviewmetadatarole_builtin_"
DATA_ACTION_PREFIX = "Microsoft.Purview/accounts/"
# role name → (friendly name, data actions without the prefix); the four collection roles come first.
BUILTIN_ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "collection-administrator": ("Collection Administrator", ("collection/read", "collection/write")),
    "data-source-administrator": ("Data Source Administrator", ("scan/read", "scan/write", "collection/read")),
    "data-curator": ("Data Curator", ("data/read", "data/write", "collection/read")),
    "purview-reader": ("Purview Reader", ("data/read", "collection/read")),
    "data-share-contributor": ("Data Share Contributor", ("share/read", "share/write")),
}
ROOT_ROLES = ("collection-administrator", "data-source-administrator", "data-curator", "purview-reader")
_PRINCIPAL_ATTRIBUTES = frozenset({"principal.microsoft.id", "principal.microsoft.groups"})
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _role_rule_id(role: str, collection: str) -> str:
    return f"{ROLE_PREFIX}{role}:{collection}"


def _permission_clause(rule_id: str) -> dict[str, Any]:
    return {"fromRule": rule_id, "attributeName": "derived.purview.permission", "attributeValueIncludes": rule_id}


def _role_rule(role: str, collection: str, parent: str | None, principals: Sequence[str]) -> dict[str, Any]:
    rule_id = _role_rule_id(role, collection)
    dnf: list[list[dict[str, Any]]] = [
        [
            {"attributeName": "principal.microsoft.id", "attributeValueIncludedIn": list(principals)},
            {
                "fromRule": f"{ROLE_PREFIX}{role}",
                "attributeName": "derived.purview.role",
                "attributeValueIncludes": f"{ROLE_PREFIX}{role}",
            },
        ]
    ]
    if parent is not None:
        dnf.append([_permission_clause(_role_rule_id(role, parent))])
    return {"kind": "attributerule", "id": rule_id, "name": rule_id, "dnfCondition": dnf}


def new_policy(collection: str, parent: str | None, admins: Sequence[str]) -> dict[str, Any]:
    """The policy Purview creates with a collection (the root's names all four roles)."""
    roles = ROOT_ROLES if parent is None else ("collection-administrator",)
    rules = [
        _role_rule(role, collection, parent, admins if role == "collection-administrator" else ()) for role in roles
    ]
    permission: list[list[dict[str, Any]]] = [[_permission_clause(rule["id"])] for rule in rules]
    if parent is not None:
        permission.append([_permission_clause(f"permission:{parent}")])
    rules.append(
        {
            "kind": "attributerule",
            "id": f"permission:{collection}",
            "name": f"permission:{collection}",
            "dnfCondition": permission,
        }
    )
    properties: dict[str, Any] = {
        "description": "",
        "decisionRules": [
            {
                "kind": "decisionrule",
                "effect": "Permit",
                "dnfCondition": [
                    [
                        {"attributeName": "resource.purview.collection", "attributeValueIncludes": collection},
                        _permission_clause(f"permission:{collection}"),
                    ]
                ],
            }
        ],
        "attributeRules": rules,
        "collection": {"type": "CollectionReference", "referenceName": collection},
    }
    if parent is not None:
        properties["parentCollectionName"] = parent
    return {"name": f"policy_{collection}", "id": str(uuid.uuid4()), "version": 0, "properties": properties}


@dataclass
class PolicyStore:
    """The account's metadata policies, one per collection (keyed by the lower-cased collection name)."""

    by_collection: dict[str, dict[str, Any]]

    @classmethod
    def empty(cls) -> PolicyStore:
        return cls({})

    def create(self, collection: str, parent: str | None, admins: Sequence[str]) -> None:
        self.by_collection[collection.casefold()] = new_policy(collection, parent, admins)

    def remove(self, collection: str) -> None:
        self.by_collection.pop(collection.casefold(), None)

    def for_collection(self, collection: str) -> dict[str, Any] | None:
        return self.by_collection.get(collection.casefold())

    def by_id(self, policy_id: str) -> dict[str, Any] | None:
        return next((p for p in self.by_collection.values() if str(p["id"]).casefold() == policy_id.casefold()), None)

    def reparent(self, collection: str, parent: str) -> None:
        """A moved collection's policy names its new parent and inherits from it."""
        policy = self.for_collection(collection)
        if policy is None:
            return
        old_parent = policy["properties"].get("parentCollectionName")
        policy["properties"]["parentCollectionName"] = parent
        if old_parent:
            _rename_inherited(policy, f":{old_parent}", f":{parent}")


def _rename_inherited(node: Any, old_suffix: str, new_suffix: str) -> None:
    if isinstance(node, dict):
        for key in ("fromRule", "attributeValueIncludes"):
            value = node.get(key)
            if (
                isinstance(value, str)
                and value.endswith(old_suffix)
                and node.get("attributeName") == "derived.purview.permission"
            ):
                node[key] = value[: -len(old_suffix)] + new_suffix
        for child in node.values():
            _rename_inherited(child, old_suffix, new_suffix)
    elif isinstance(node, list):
        for child in node:
            _rename_inherited(child, old_suffix, new_suffix)


def _role_json(role: str) -> dict[str, Any]:
    friendly, actions = BUILTIN_ROLES[role]
    return {
        "id": f"{ROLE_PREFIX}{role}",
        "name": role,
        "type": "Microsoft.Purview/role",
        "properties": {
            "provisioningState": "Provisioned",
            "roleType": "BuiltIn",
            "friendlyName": friendly,
            "cnfCondition": [
                [
                    {
                        "attributeName": "request.azure.dataAction",
                        "attributeValueIncludedIn": [DATA_ACTION_PREFIX + action for action in actions],
                    }
                ]
            ],
            "version": 1,
        },
    }


def list_metadata_roles(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    del account, call
    return PurviewResponse(200, {"values": [_role_json(role) for role in BUILTIN_ROLES]})


def policy_not_found(what: str) -> PurviewError:
    return PurviewError(404, "PolicyNotFound", f"Metadata policy {what} was not found.")


def list_policies(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    name = call.arg("collectionName")
    if name:
        if name.casefold() not in account.collections:
            raise PurviewError(404, "CollectionNotFound", f"Collection '{name.lower()}' was not found.")
        found = account.policies.for_collection(name)
        policies = [found] if found is not None else []
    else:
        policies = sorted(account.policies.by_collection.values(), key=lambda p: str(p["name"]))
    return PurviewResponse(200, {"values": copy.deepcopy(policies)})


def get_policy(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    policy_id = call.params["policy"]
    policy = account.policies.by_id(policy_id)
    if policy is None:
        raise policy_not_found(f"'{policy_id}'")
    return PurviewResponse(200, copy.deepcopy(policy))


def get_collection_policy(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """The GA route ``/policystore/collections/{c}/metadataPolicy``."""
    name = call.params["collection"]
    if name.casefold() not in account.collections:
        raise PurviewError(404, "CollectionNotFound", f"Collection '{name.lower()}' was not found.")
    policy = account.policies.for_collection(name)
    if policy is None:
        raise policy_not_found(f"of collection '{name.lower()}'")
    return PurviewResponse(200, copy.deepcopy(policy))


def _invalid(message: str) -> PurviewError:
    return PurviewError(400, "InvalidMetadataPolicy", message)


def update_policy(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """Replace the document; keep what the caller sent (unknown fields too), bump ``version``."""
    policy_id = call.params["policy"]
    current = account.policies.by_id(policy_id)
    if current is None:
        raise policy_not_found(f"'{policy_id}'")
    body = call.json_object()
    collection = current["properties"]["collection"]["referenceName"]
    _validate_document(body, current, collection)
    if body.get("version") != current["version"]:
        raise PurviewError(
            409,
            "PolicyVersionConflict",
            f"The metadata policy '{current['name']}' is at version {current['version']}, but the request is based on "
            f"version {body.get('version')}. Read the policy again, apply the change and retry.",
        )
    replaced = copy.deepcopy(body)
    replaced["id"] = current["id"]
    replaced["name"] = current["name"]
    replaced["version"] = int(current["version"]) + 1
    account.policies.by_collection[collection.casefold()] = replaced
    return PurviewResponse(200, copy.deepcopy(replaced))


def _validate_document(body: dict[str, Any], current: dict[str, Any], collection: str) -> None:
    """What the policy store checks: identity, collection, rule shapes, roles and principals."""
    if body.get("name") not in (None, current["name"]):
        raise _invalid(f"The policy name '{body.get('name')}' does not match '{current['name']}'.")
    if body.get("id") not in (None, current["id"]):
        raise _invalid(f"The policy id '{body.get('id')}' does not match '{current['id']}'.")
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise bad_body("'properties' must be an object")
    reference = properties.get("collection")
    given = reference.get("referenceName") if isinstance(reference, dict) else None
    if not isinstance(given, str) or given.casefold() != collection.casefold():
        raise _invalid(f"The policy belongs to collection '{collection}', not '{given}'.")
    for key in ("attributeRules", "decisionRules"):
        rules = properties.get(key, [])
        if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
            raise bad_body(f"'properties.{key}' must be an array of objects")
    for rule in properties.get("attributeRules", []):
        _validate_attribute_rule(rule, collection)
    for rule in properties.get("decisionRules", []):
        _validate_clauses(rule.get("dnfCondition"), str(rule.get("kind")))


def _validate_attribute_rule(rule: dict[str, Any], collection: str) -> None:
    rule_id = rule.get("id")
    if not isinstance(rule_id, str):
        raise _invalid("Every attribute rule needs a string 'id'.")
    if rule_id != f"permission:{collection}":
        role, _, rule_collection = rule_id.removeprefix(ROLE_PREFIX).rpartition(":")
        if not rule_id.startswith(ROLE_PREFIX) or role not in BUILTIN_ROLES:
            raise _invalid(f"The attribute rule '{rule_id}' does not name a built-in metadata role.")
        if rule_collection.casefold() != collection.casefold():
            raise _invalid(f"The attribute rule '{rule_id}' is not for collection '{collection}'.")
    _validate_clauses(rule.get("dnfCondition"), rule_id)


def _validate_clauses(dnf: Any, rule_id: str) -> None:
    if not isinstance(dnf, list) or not all(isinstance(clauses, list) for clauses in dnf):
        raise _invalid(f"The rule '{rule_id}' needs 'dnfCondition' as an array of arrays.")
    for clauses in dnf:
        for clause in clauses:
            if not isinstance(clause, dict) or not isinstance(clause.get("attributeName"), str):
                raise _invalid(f"Every condition of rule '{rule_id}' needs an 'attributeName'.")
            if clause["attributeName"] == "derived.purview.role":
                role = str(clause.get("attributeValueIncludes", "")).removeprefix(ROLE_PREFIX)
                if role not in BUILTIN_ROLES:
                    raise _invalid(
                        f"The rule '{rule_id}' references the unknown role '{clause.get('attributeValueIncludes')}'."
                    )
            if clause["attributeName"] in _PRINCIPAL_ATTRIBUTES:
                principals = clause.get("attributeValueIncludedIn", [])
                if not isinstance(principals, list) or not all(
                    isinstance(p, str) and _GUID.match(p) for p in principals
                ):
                    raise _invalid(f"The rule '{rule_id}' lists principals that are not object ids (GUIDs).")
