"""``Microsoft.Purview``: Purview accounts, whose data plane the emulator serves on its own listener.

The ARM resource carries what callers read from it: a system-assigned identity whose ``principalId``
is the account's stable identity (:func:`emulator.purview.identity.account_principal_id`, the same
the data plane and a principal directory use), and ``properties.endpoints`` (``catalog``, ``scan``,
``guardian``) pointing at the emulated data plane. Account names are 3-63 letters, digits and
single hyphens. An account that is not the emulated one still gets endpoints, which reach the one
emulated data plane.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...purview.account import HOME_LOCATION, HOME_RESOURCE_GROUP, HOME_SUBSCRIPTION_ID
from ...purview.identity import AccountPrincipal, account_principal, account_principal_id
from ..calls import ArmCall, ArmResponse
from ..errors import ArmError
from ..paths import ArmTarget
from ..registry import ResourceProvider
from ..store import Resource, ResourceGroup, normalize_location
from .tracked import ResourceWrite, TrackedRules, crud_operations, tracked_type

if TYPE_CHECKING:
    from ...state import EmulatorState

__all__ = [
    "API_VERSIONS",
    "PROVIDER",
    "account_principals",
    "account_resource",
    "complete_account",
    "place_home_account",
]

API_VERSIONS = ("2020-12-01-preview", "2021-07-01", "2021-12-01", "2023-05-01-preview", "2024-04-01-preview")
_NAME = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$")
_IDENTITY_TYPES = frozenset({"systemassigned", "userassigned", "systemassigned,userassigned", "none"})


def _validate(write: ResourceWrite) -> None:
    if not 3 <= len(write.name) <= 63 or not _NAME.match(write.name):
        # Code and wording not verified against the Purview resource provider.
        raise ArmError(
            400,
            "InvalidAccountName",
            f"The account name '{write.name}' is invalid: use 3-63 letters, digits and single hyphens, "
            "starting and ending with a letter or digit.",
        )
    identity = write.body.get("identity")
    kind = str(identity.get("type", "")) if isinstance(identity, Mapping) else "SystemAssigned"
    if kind.replace(" ", "").casefold() not in _IDENTITY_TYPES:
        raise ArmError(400, "InvalidIdentityType", f"The identity type '{kind}' is not supported.")


def _derive(resource: Resource) -> Mapping[str, Any]:
    name = resource.names[-1]
    return {
        "friendlyName": resource.properties.get("friendlyName") or name,
        "createdAt": resource.created_time,
        "managedResourceGroupName": resource.properties.get("managedResourceGroupName") or f"managed-rg-{name}",
        "publicNetworkAccess": resource.properties.get("publicNetworkAccess") or "Enabled",
        "cloudConnectors": resource.properties.get("cloudConnectors") or {},
    }


def complete_account(state: EmulatorState, resource: Resource, creator: str | None) -> None:
    """Fill in what only the running emulator knows: the stable identity and the data-plane endpoints."""
    name = resource.names[-1]
    identity = resource.identity or {"type": "SystemAssigned"}
    if "systemassigned" in str(identity.get("type", "")).casefold():
        identity = {**identity, "principalId": account_principal_id(state.tenant_id, name), "tenantId": state.tenant_id}
    resource.identity = identity
    endpoint = state.purview.endpoint if state.purview is not None and state.purview.endpoint else None
    base = endpoint or f"https://{name.lower()}.purview.azure.com"
    resource.properties["endpoints"] = {"catalog": base, "scan": base, "guardian": base}
    if creator is not None:
        resource.properties.setdefault("createdBy", creator)
        resource.properties.setdefault("createdByObjectId", creator)


_TRACKED = tracked_type(
    "accounts",
    api_versions=API_VERSIONS,
    operations=crud_operations(
        get="Accounts_Get", put="Accounts_CreateOrUpdate", patch="Accounts_Update", delete="Accounts_Delete"
    ),
    list_operations={"resourceGroup": "Accounts_ListByResourceGroup", "subscription": "Accounts_ListBySubscription"},
    rules=TrackedRules(validate=_validate, derive=_derive),
)


def _with_default_identity(call: ArmCall) -> ArmCall:
    """A Purview account always has a managed identity: system-assigned unless the body says otherwise."""
    try:
        body = json.loads(call.body) if call.body.strip() else None
    except ValueError:
        return call
    if not isinstance(body, dict) or "identity" in body:
        return call
    return dataclasses.replace(call, body=json.dumps({**body, "identity": {"type": "SystemAssigned"}}).encode())


def _handle(state: EmulatorState, call: ArmCall, target: ArmTarget) -> ArmResponse:
    if target.is_collection or call.method not in {"PUT", "PATCH"}:
        return _TRACKED.handler(state, call, target)
    response = _TRACKED.handler(state, _with_default_identity(call) if call.method == "PUT" else call, target)
    group = state.store.group(target.subscription_id or "", target.group or "")
    resource = group.resources[target.ref().key]
    complete_account(state, resource, call.context.caller.object_id)
    return ArmResponse(response.status, resource.to_json(), response.headers)


def account_resource(state: EmulatorState, group: ResourceGroup, location: str) -> Resource:
    """The emulated account placed in ``group`` without ARM traffic (control API seeding)."""
    if state.purview is None:
        raise ValueError("this emulator serves no Purview account")
    resource = Resource(
        subscription_id=group.subscription_id,
        group_name=group.name,
        namespace="Microsoft.Purview",
        types=("accounts",),
        names=(state.purview.name,),
        location=normalize_location(location),
        identity={"type": "SystemAssigned"},
        sku={"name": "Standard", "capacity": 1},
    )
    resource.properties.update(_derive(resource))
    complete_account(state, resource, state.issuer.system_identity.principal_id)
    if resource.key in group.resources:
        state.store.note_removal(group.subscription_id, group.name)
    group.resources[resource.key] = resource
    return resource


def place_home_account(state: EmulatorState) -> Resource | None:
    """Put the emulated account's ARM resource in its home group (a platform subscription of its own).

    Done once the data plane's URL is known and again after every reset, silently (no events, not
    logged), so the resource the ready file's ``DPGOV_PURVIEW_RESOURCE_ID`` names always exists.
    """
    if state.purview is None or state.purview.endpoint is None:
        return None
    subscription = state.store.ensure_subscription(HOME_SUBSCRIPTION_ID, display_name="Platform (Purview)")
    group = subscription.groups.get(HOME_RESOURCE_GROUP.casefold())
    if group is None:
        group = ResourceGroup(subscription.subscription_id, HOME_RESOURCE_GROUP, HOME_LOCATION)
        subscription.groups[group.name.casefold()] = group
    return account_resource(state, group, HOME_LOCATION)


def account_principals(state: EmulatorState) -> list[AccountPrincipal]:
    """Every Purview account identity a principal directory should list (one per account name).

    The emulated account's, whether or not its ARM resource exists, and that of every
    ``Microsoft.Purview/accounts`` resource with a system-assigned identity in the store.
    """
    found: dict[str, AccountPrincipal] = {}
    if state.purview is not None:
        found[state.purview.name.casefold()] = state.purview.principal
    for resource in state.store.resources():
        identity = resource.identity or {}
        is_account = resource.type.casefold() == "microsoft.purview/accounts"
        if is_account and "systemassigned" in str(identity.get("type", "")).casefold():
            found.setdefault(resource.names[-1].casefold(), account_principal(state.tenant_id, resource.names[-1]))
    return list(found.values())


PROVIDER = ResourceProvider(namespace="Microsoft.Purview", types=(dataclasses.replace(_TRACKED, handler=_handle),))
