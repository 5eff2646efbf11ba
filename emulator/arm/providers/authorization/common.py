"""What the ``Microsoft.Authorization`` handlers share: GUID checks, scope resolution, events."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from ....eventgrid.events import resource_event
from ...calls import ArmCall
from ...paths import Scope
from ...scopes import ResolvedScope, resolve_scope

if TYPE_CHECKING:
    from ....state import EmulatorState

__all__ = ["NAMESPACE", "is_guid", "publish", "resolve"]

NAMESPACE = "Microsoft.Authorization"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value: object) -> bool:
    return isinstance(value, str) and _GUID.match(value) is not None


def resolve(state: EmulatorState, call: ArmCall, scope: Scope, action: str) -> ResolvedScope:
    """The addressed scope if it exists (ARM's 404 or 403 otherwise); drops records of deleted scopes."""
    state.access.prune(state.store)
    return resolve_scope(
        state.store,
        state.access.management_groups,
        scope,
        caller_object_id=call.context.caller.object_id,
        action=action,
    )


def publish(
    state: EmulatorState, call: ArmCall, kind: Literal["write", "delete"], operation: str, *, update: bool
) -> None:
    """The subscription event Azure raises for a successful write or delete.

    Writes above subscriptions (the tenant, management groups) have no subscription topic to go to.
    """
    if not call.context.subscription_id:
        return
    state.publisher.publish(
        resource_event(
            call.context, kind=kind, subject=call.path, operation_name=operation, include_http_request=update
        )
    )
