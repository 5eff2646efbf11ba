"""azd postprovision hook: the app's identity gets its Microsoft Purview roles on the root collection.

Purview's collection roles are not Azure RBAC: they live in each collection's metadata policy, which
only a Collection Admin of that collection can change. So this runs as the person (or pipeline)
running azd, with ``DefaultAzureCredential``, after Bicep made the identity. It adds the app's
identity to the Collection Admin, Data Source Admin and Data Curator rules of the root collection
(``purview.root_collection`` in governance.yaml, else the account's root), under which the app
creates every collection it governs; Purview's roles are inherited down the collection tree. It
only ever adds, never removes, and does nothing when the Purview settings are empty.

Reads the azd environment: ``DPGOV_PURVIEW_RESOURCE_ID``, ``DPGOV_PURVIEW_ENDPOINT`` and
``DPGOV_IDENTITY_PRINCIPAL_ID`` (outputs of infra/main.bicep), and infra/governance.generated.json.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.purview.administration.metadatapolicies import PurviewMetadataPoliciesClient

from infra.scripts.governance_params import OUTPUT as GENERATED

COLLECTION_ADMIN = "purviewmetadatarole_builtin_collection-administrator"
DATA_SOURCE_ADMIN = "purviewmetadatarole_builtin_data-source-administrator"
DATA_CURATOR = "purviewmetadatarole_builtin_data-curator"
APP_ROLES = (COLLECTION_ADMIN, DATA_SOURCE_ADMIN, DATA_CURATOR)
PRINCIPAL_ATTRIBUTE = "principal.microsoft.id"  # users and service principals (managed identities)


def _rule(rules: list[dict[str, Any]], rule_id: str) -> dict[str, Any] | None:
    return next((rule for rule in rules if str(rule.get("id", "")).lower() == rule_id.lower()), None)


def with_principal(
    policy: Mapping[str, Any], collection: str, principal_id: str, roles: Iterable[str] = APP_ROLES
) -> dict[str, Any] | None:
    """The metadata policy with ``principal_id`` in each role's rule; None when it is there already.

    A role rule (``<role>:<collection>``) is a disjunction of conjunctions; the conjunction that
    names principals by ``principal.microsoft.id`` gets the id. A missing role rule is created and
    referenced from the collection's ``permission:<collection>`` rule. Everything else is kept.
    """
    document: dict[str, Any] = {**policy, "properties": dict(policy.get("properties") or {})}
    rules = [dict(rule) for rule in document["properties"].get("attributeRules") or []]
    wanted = principal_id.lower()
    changed = False
    for role in roles:
        rule_id = f"{role}:{collection}"
        rule = _rule(rules, rule_id)
        if rule is None:
            rule = {"kind": "attributerule", "id": rule_id, "name": rule_id, "dnfCondition": []}
            rules.append(rule)
            permission = _rule(rules, f"permission:{collection}")
            if permission is not None:
                reference = {
                    "fromRule": rule_id,
                    "attributeName": "derived.purview.permission",
                    "attributeValueIncludes": rule_id,
                }
                permission["dnfCondition"] = [*(permission.get("dnfCondition") or []), [reference]]
            changed = True
        clauses = [[dict(item) for item in clause] for clause in rule.get("dnfCondition") or []]
        clause = next((c for c in clauses if any(i.get("attributeName") == PRINCIPAL_ATTRIBUTE for i in c)), None)
        if clause is None:
            clause = [
                {"attributeName": PRINCIPAL_ATTRIBUTE, "attributeValueIncludedIn": []},
                {"fromRule": role, "attributeName": "derived.purview.role", "attributeValueIncludes": role},
            ]
            clauses.append(clause)
        condition = next(item for item in clause if item.get("attributeName") == PRINCIPAL_ATTRIBUTE)
        members = [str(member) for member in condition.get("attributeValueIncludedIn") or []]
        if wanted not in {member.lower() for member in members}:
            condition["attributeValueIncludedIn"] = [*members, principal_id]
            changed = True
        rule["dnfCondition"] = clauses
    if not changed:
        return None
    document["properties"]["attributeRules"] = rules
    return document


def root_collection(resource_id: str, generated: Mapping[str, Any]) -> str:
    """The configured root collection, else the account's root collection (named after the account)."""
    configured = generated.get("purviewRootCollection")
    return str(configured) if configured else resource_id.rstrip("/").rsplit("/", 1)[-1]


def main(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    resource_id = (env.get("DPGOV_PURVIEW_RESOURCE_ID") or "").strip()
    if not resource_id:
        print("Purview: DPGOV_PURVIEW_RESOURCE_ID is empty, so the Purview aspect is off; no roles to grant")
        return 0
    endpoint = (env.get("DPGOV_PURVIEW_ENDPOINT") or "").strip()
    principal_id = (env.get("DPGOV_IDENTITY_PRINCIPAL_ID") or "").strip()
    if not endpoint or not principal_id:
        print("Purview: DPGOV_PURVIEW_ENDPOINT or DPGOV_IDENTITY_PRINCIPAL_ID is missing: run azd provision first")
        return 1
    collection = root_collection(resource_id, json.loads(Path(GENERATED).read_text(encoding="utf-8")))

    client = PurviewMetadataPoliciesClient(endpoint=endpoint, credential=DefaultAzureCredential())
    try:
        policy = next(iter(client.metadata_policy.list_all(collection_name=collection)), None)
        if policy is None:
            print(f"Purview: collection {collection!r} has no metadata policy (does it exist?)", file=sys.stderr)
            return 1
        updated = with_principal(policy, collection, principal_id)
        if updated is None:
            print(f"Purview: the app's identity already holds its roles on collection {collection!r}")
            return 0
        client.metadata_policy.update(str(policy["id"]), body=updated)
    except HttpResponseError as error:
        print(
            f"Purview: could not update collection {collection!r} ({error.status_code}): only a Collection Admin "
            "of it can; grant the roles in the Purview portal or rerun `azd hooks run postprovision`",
            file=sys.stderr,
        )
        return 1
    finally:
        client.close()
    print(f"Purview: Collection Admin, Data Source Admin and Data Curator on {collection!r} for {principal_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
