"""Principals of the emulated tenant, and the replication delay before ARM can see a new one.

ARM checks a role assignment's ``principalId`` against the tenant's directory and answers
``PrincipalNotFound`` for one it does not know — also, for a few seconds, for one that was just
created, because the directory replicates to ARM with a delay. The emulator keeps the principals a
test adds here, each with the moment it becomes visible (added + the delay set then), so the app's
handling of a principal that is not there *yet* can be exercised deterministically.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["PRINCIPAL_TYPES", "Principal", "PrincipalSource", "PrincipalType", "Principals"]

PrincipalType = Literal["User", "Group", "ServicePrincipal"]
PrincipalSource = Literal["control", "managedIdentity", "policyAssignment"]
PRINCIPAL_TYPES: tuple[PrincipalType, ...] = ("User", "Group", "ServicePrincipal")


@dataclass(frozen=True)
class Principal:
    """One directory object: its object id (lower-case), type, name, groups, and when ARM sees it.

    ``visible_at`` is on the monotonic clock; ``member_of`` lists the groups it belongs to (for
    ``assignedTo()`` filters).
    """

    id: str
    type: PrincipalType
    display_name: str
    member_of: tuple[str, ...] = ()
    visible_at: float = 0.0
    source: PrincipalSource = "control"

    def visible(self, now: float | None = None) -> bool:
        return (time.monotonic() if now is None else now) >= self.visible_at


class Principals:
    """The principals added through the control API, by object id (case-insensitive)."""

    def __init__(self) -> None:
        self._principals: dict[str, Principal] = {}

    def __iter__(self) -> Iterator[Principal]:
        return iter(self._principals.values())

    def get(self, principal_id: str) -> Principal | None:
        return self._principals.get(principal_id.casefold())

    def put(
        self,
        principal_id: str,
        principal_type: PrincipalType,
        display_name: str,
        member_of: Iterable[str],
        *,
        delay: float,
    ) -> tuple[Principal, bool]:
        """Add or replace a principal; returns it and whether it is new.

        A replaced principal keeps the moment it became visible: it already exists in the directory.
        """
        key = principal_id.casefold()
        existing = self._principals.get(key)
        visible_at = existing.visible_at if existing is not None else time.monotonic() + max(delay, 0.0)
        principal = Principal(
            key, principal_type, display_name, tuple(m.casefold() for m in member_of), visible_at, "control"
        )
        self._principals[key] = principal
        return principal, existing is None

    def remove(self, principal_id: str) -> bool:
        return self._principals.pop(principal_id.casefold(), None) is not None
