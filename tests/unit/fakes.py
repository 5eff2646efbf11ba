"""In-memory implementations of the engine's own ports, for unit tests of the pure control loop.

They implement ``shared.reads.Inventory``, the tags writer and ``shared.ledger.Ledger`` — the
interfaces the engine defines — not any Azure wire protocol. The real adapters are tested through
the official SDKs against the emulator and Azurite (tests/integration).
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Mapping

from azure.core.exceptions import HttpResponseError, ODataV4Format

from shared.ledger import LedgerConflict, LedgerRecord
from shared.model import DataProduct, GroupRef, ObservedAssignment, ObservedGroup, ObservedResource, frozen_tags

EMEA = "11111111-1111-1111-1111-111111111111"
AMER = "22222222-2222-2222-2222-222222222222"


def arm_error(status: int, code: str, message: str = "") -> HttpResponseError:
    """An SDK error as azure-core raises it for ARM's ``{"error": {"code", "message"}}`` body."""
    error = HttpResponseError(message=f"({code}) {message or code}")
    error.status_code = status
    error.error = ODataV4Format({"error": {"code": code, "message": message or code}})
    return error


class MemoryInventory:
    """Groups, their tags and resources in memory; failures injected per operation."""

    def __init__(self, groups: Mapping[str, Mapping[str, Mapping[str, str]]]) -> None:
        self.groups = {
            GroupRef(sub, name): dict(tags) for sub, by_name in groups.items() for name, tags in by_name.items()
        }
        self.resources: dict[GroupRef, list[ObservedResource]] = {}
        self.deleting: set[GroupRef] = set()
        self.assignments: list[ObservedAssignment] = []
        self.fail_get: Exception | None = None
        self.fail_list: dict[str, Exception] = {}
        self.fail_merge: Exception | None = None
        self.merges: list[tuple[GroupRef, dict[str, str]]] = []
        self.gets = 0
        self.lists = 0

    def _observed(self, ref: GroupRef) -> ObservedGroup:
        state = "Deleting" if ref in self.deleting else "Succeeded"
        return ObservedGroup(ref, "westeurope", frozen_tags(self.groups[ref]), state)

    async def get_group(self, ref: GroupRef) -> ObservedGroup | None:
        self.gets += 1
        if self.fail_get is not None:
            raise self.fail_get
        return self._observed(ref) if ref in self.groups else None

    async def list_groups(self, subscription_id: str) -> AsyncIterator[ObservedGroup]:
        self.lists += 1
        for ref in [r for r in self.groups if r.subscription_id == subscription_id]:
            yield self._observed(ref)
        if subscription_id in self.fail_list:
            raise self.fail_list[subscription_id]

    async def list_group_resources(self, ref: GroupRef) -> tuple[ObservedResource, ...]:
        return tuple(self.resources.get(ref, ()))

    async def list_resources(self, subscription_id: str) -> AsyncIterator[ObservedResource]:
        for ref, resources in self.resources.items():
            if ref.subscription_id == subscription_id:
                for resource in resources:
                    yield resource

    async def create_group(self, ref: GroupRef, *, location: str, tags: Mapping[str, str]) -> ObservedGroup:
        self.groups[ref] = dict(tags)
        return self._observed(ref)

    async def list_role_assignments_at(self, scope: str) -> tuple[ObservedAssignment, ...]:
        return tuple(a for a in self.assignments if a.scope.lower().startswith(scope.lower()))

    async def list_role_assignments(self, subscription_id: str) -> AsyncIterator[ObservedAssignment]:
        for assignment in self.assignments:
            if assignment.scope.lower().startswith(f"/subscriptions/{subscription_id.lower()}"):
                yield assignment

    async def merge_tags(self, ref: GroupRef, tags: Mapping[str, str]) -> None:
        if self.fail_merge is not None:
            raise self.fail_merge
        self.merges.append((ref, dict(tags)))
        current = self.groups[ref]
        by_lower = {name.lower(): name for name in current}
        for name, value in tags.items():
            current[by_lower.get(name.lower(), name)] = value


class MemoryLedger:
    """The ledger port in memory, with optimistic concurrency like the Table adapter's."""

    def __init__(self) -> None:
        self.records: dict[GroupRef, LedgerRecord] = {}
        self.creates = 0
        self.lists = 0
        self.fail: Exception | None = None
        self.race_with: LedgerRecord | None = None  # inserted by "another instance" just before create

    def pin(self, ref: GroupRef, product: DataProduct) -> None:
        self.records[ref] = LedgerRecord(ref, product, "tags", datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))

    async def get(self, ref: GroupRef) -> LedgerRecord | None:
        if self.fail is not None:
            raise self.fail
        return self.records.get(ref)

    async def list(self, subscription_id: str) -> Mapping[GroupRef, LedgerRecord]:
        self.lists += 1
        if self.fail is not None:
            raise self.fail
        return {ref: record for ref, record in self.records.items() if ref.subscription_id == subscription_id}

    async def create(self, record: LedgerRecord) -> LedgerRecord:
        if self.race_with is not None:
            self.records[self.race_with.ref] = self.race_with
            self.race_with = None
        if record.ref in self.records:
            raise LedgerConflict(str(record.ref))
        self.creates += 1
        self.records[record.ref] = record
        return record

    async def replace(self, record: LedgerRecord) -> LedgerRecord:
        self.records[record.ref] = record
        return record

    async def delete(self, ref: GroupRef) -> bool:
        return self.records.pop(ref, None) is not None
