"""The protocol every governed aspect implements, and the values it exchanges with the reconciler.

An aspect is one governed concern (cross-charging tags, policy, RBAC, Purview, …) behind one small
protocol, like one controller per kind over a shared cache:

- ``desire(subject)``: what the config wants for this data product (pure);
- ``observe(target, reads)`` / ``observe_zone(zone, reads)``: what Azure holds now, for one group or
  for a whole landing zone in bulk (paged lists indexed by scope, never a call per group);
- ``diff(desired, observed)``: the actions that close the gap, plus findings (pure);
- ``execute(action, outputs)``: one action through the aspect's own adapter;
- ``interpret(action, error)``: what a failure of *that* action means (a 404 of a tag write is the
  group gone; a 404 of a policy assignment may be a missing definition; a 409 of a role assignment
  may mean "someone already granted it");
- ``retire(record)``: what to undo outside Azure's view of the group once the group is gone, from the
  artefacts the ledger holds for it (pure; most aspects have nothing there: ARM deleted it all).

The reconciler knows no aspect by name. Each aspect's ``execute`` dispatches on its own action
union with ``typing.assert_never`` in the default branch, so an action type without an executor is
a type error under ``mypy --strict`` and, should one slip through at run time, an exception — never
an action reported done without its I/O.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from shared.config import LandingZone
from shared.identity import Identity
from shared.ledger import Artifact, LedgerRecord
from shared.model import (
    DataProduct,
    GroupRef,
    ObservedAssignment,
    ObservedGroup,
    ObservedPolicyAssignment,
    ObservedResource,
)
from shared.reads import PolicyAtGroup, PolicyListing


class Action(Protocol):
    """What every planned action offers the reconciler: identity, ordering and a printable form."""

    @property
    def aspect(self) -> str: ...

    @property
    def key(self) -> str:
        """Stable and unique within a plan; other actions name it in ``depends_on``."""
        ...

    @property
    def depends_on(self) -> frozenset[str]: ...

    def describe(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


class Disposition(StrEnum):
    """What a failed action (or read) means for the control loop."""

    DONE = "done"  # the error itself says the desired state holds (e.g. an equal grant exists)
    TRANSIENT = "transient"  # a later attempt can succeed: raise so the trigger retries
    TERMINAL = "terminal"  # repeating cannot help: report it, do not retry
    GROUP_GONE = "group_gone"  # the resource group no longer exists
    GROUP_DELETING = "group_deleting"  # ARM is deleting the resource group


class FindingKind(StrEnum):
    """Something an aspect noticed while diffing, beyond the actions it plans."""

    BLOCKED = "blocked"  # the config wants something the app must not or cannot do alone
    CONFLICT = "conflict"  # Azure disagrees with something the app pinned or owns
    NOTICE = "notice"  # worth reporting, changes no status (a foreign assignment, an orphan)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    reason: str  # CamelCase, stable, for machines (e.g. ``RetaggedIdentity``)
    message: str  # one sentence for people

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind.value, "reason": self.reason, "message": self.message}


ActionT = TypeVar("ActionT", bound=Action)
ActionT_co = TypeVar("ActionT_co", bound=Action, covariant=True)
DesiredT = TypeVar("DesiredT")
ObservedT = TypeVar("ObservedT")
ObservedT_co = TypeVar("ObservedT_co", covariant=True)
SharedT = TypeVar("SharedT")


@dataclass(frozen=True, slots=True)
class AspectPlan(Generic[ActionT_co]):
    """One aspect's share of a group's plan."""

    actions: tuple[ActionT_co, ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Target:
    """A group about to be observed: known by landing zone and name, not yet classified.

    Aspects observe before the group is classified, in the same round trip as the group read. One
    whose reads depend on the product's identity (which Purview collection?) awaits ``subject()``:
    the reconciler resolves it as soon as the group is classified, or cancels the observation when
    it is not a data product.
    """

    zone: LandingZone
    ref: GroupRef
    identified: asyncio.Future[Subject] | None = field(default=None, compare=False, repr=False)

    async def subject(self) -> Subject:
        if self.identified is None:
            raise RuntimeError(f"{self.ref}: the reconciler resolves the subject of every observed target")
        return await asyncio.shield(self.identified)


@dataclass(frozen=True, slots=True)
class Subject:
    """A classified data-product group: what every aspect's ``desire`` is computed from.

    ``record`` is the product's ledger row as read at the start of the reconcile (None before the
    first one): the artefacts the app made for it outside Azure's view of the group, and what it
    already did once (a remediation task started after a new policy assignment).
    """

    zone: LandingZone
    group: ObservedGroup
    identity: Identity
    record: LedgerRecord | None = None

    @property
    def ref(self) -> GroupRef:
        return self.group.ref

    @property
    def product(self) -> DataProduct:
        return self.identity.product


class Reads(Protocol):
    """ARM reads shared by all aspects of one reconcile (a cache in front of the resource API).

    For one group, each read is made once however many aspects ask (single flight); in bulk mode
    the answers come from one paged list per subscription.
    """

    async def group(self, ref: GroupRef) -> ObservedGroup | None: ...

    async def resources(self, ref: GroupRef) -> tuple[ObservedResource, ...]: ...

    async def role_assignments(self, scope: str) -> tuple[ObservedAssignment, ...]:
        """Assignments at the scope and below it (RBAC, policy and Purview grants share this read)."""
        ...

    async def policy_assignments(
        self, ref: GroupRef, listing: PolicyListing, at_group: PolicyAtGroup
    ) -> tuple[ObservedPolicyAssignment, ...]:
        """Policy assignments made exactly at the group. For one group, ``at_group(ref)``; in bulk,
        one ``listing`` of the subscription's (or the run's Resource Graph snapshot), indexed by scope.
        The policy aspect passes its store's reads: it owns them, the shared reads only cache them."""
        ...

    async def once(self, key: str, load: Callable[[], Coroutine[Any, Any, SharedT]]) -> SharedT:
        """A read that is the same for every group and landing zone (an account-wide Purview list):
        made once per reconcile, or once per bulk run across all its landing zones."""
        ...


class ZoneView(Protocol[ObservedT_co]):
    """An aspect's bulk observation of one landing zone, answering for each group in it."""

    async def get(self, target: Target) -> ObservedT_co: ...


Outputs = Mapping[str, object]
"""What earlier actions of the same plan returned, by action key (e.g. a created identity's id)."""


@dataclass(frozen=True, slots=True)
class Remember:
    """An action's output the ledger must keep: artefacts it created, or retired.

    The reconciler merges these into the product's ledger row after the plan ran (one optimistic
    write), so an aspect never writes the ledger itself.
    """

    added: tuple[Artifact, ...] = ()
    removed: tuple[Artifact, ...] = ()


class Aspect(Protocol[DesiredT, ObservedT, ActionT]):
    """One governed aspect. See the module docstring for the contract of each method."""

    @property
    def name(self) -> str: ...

    def desire(self, subject: Subject) -> DesiredT: ...

    async def observe(self, target: Target, reads: Reads) -> ObservedT: ...

    async def observe_zone(self, zone: LandingZone, reads: Reads) -> ZoneView[ObservedT]: ...

    def diff(self, desired: DesiredT, observed: ObservedT) -> AspectPlan[ActionT]: ...

    async def execute(self, action: ActionT, outputs: Outputs) -> object: ...

    def interpret(self, action: ActionT, error: BaseException) -> Disposition: ...

    def retire(self, record: LedgerRecord) -> AspectPlan[ActionT]: ...


AnyAspect = Aspect[Any, Any, Any]


@runtime_checkable
class Summarized(Protocol):
    """A desire that says what it wants in a few lines for people (``dpgov explain``).

    Optional: the desire of an aspect without it is explained by its fields alone.
    """

    def summary(self) -> tuple[str, ...]: ...
