"""The control loop's outcome rules, with an in-memory ARM port.

The integration tests drive the real adapter against the emulator; these pin the branches that are
awkward to provoke there: which Azure failures are raised, which are reported, and that one landing
zone's trouble never stops another's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceResponseError

from shared.config import GovernanceConfig
from shared.model import GroupRef, ObservedGroup, frozen_tags
from shared.reconciler import Reconciler, TransientFailure
from shared.report import Outcome

EMEA = "11111111-1111-1111-1111-111111111111"
AMER = "22222222-2222-2222-2222-222222222222"


def forbidden() -> HttpResponseError:
    error = HttpResponseError(message="AuthorizationFailed")
    error.status_code = 403
    return error


class MemoryGroups:
    """Groups and tags in memory; failures injected per operation and subscription."""

    def __init__(self, groups: Mapping[str, Mapping[str, Mapping[str, str]]]) -> None:
        self.groups = {
            GroupRef(sub, name): dict(tags) for sub, by_name in groups.items() for name, tags in by_name.items()
        }
        self.fail_get: Exception | None = None
        self.fail_list: dict[str, Exception] = {}
        self.fail_merge: Exception | None = None
        self.merges: list[GroupRef] = []

    def _observed(self, ref: GroupRef) -> ObservedGroup:
        return ObservedGroup(ref, "westeurope", frozen_tags(self.groups[ref]))

    async def get(self, ref: GroupRef) -> ObservedGroup | None:
        if self.fail_get is not None:
            raise self.fail_get
        return self._observed(ref) if ref in self.groups else None

    async def list(self, subscription_id: str) -> AsyncIterator[ObservedGroup]:
        for ref in [r for r in self.groups if r.subscription_id == subscription_id]:
            yield self._observed(ref)
        if subscription_id in self.fail_list:
            raise self.fail_list[subscription_id]

    async def merge_tags(self, ref: GroupRef, tags: Mapping[str, str]) -> None:
        if self.fail_merge is not None:
            raise self.fail_merge
        self.merges.append(ref)
        self.groups[ref].update(tags)


async def test_a_terminal_read_failure_is_reported_not_raised(config: GovernanceConfig) -> None:
    store = MemoryGroups({EMEA: {"dp-sales-orders-rg": {}}})
    store.fail_get = forbidden()

    report = await Reconciler(config, store).reconcile_group(GroupRef(EMEA, "dp-sales-orders-rg"))

    assert report.outcome is Outcome.FAILED
    assert report.reason is not None
    assert report.reason.startswith("reading the resource group failed: HTTP 403")
    assert not report.transient_failure


async def test_a_transient_read_failure_is_raised_for_a_retry(config: GovernanceConfig) -> None:
    store = MemoryGroups({EMEA: {"dp-sales-orders-rg": {}}})
    store.fail_get = ServiceResponseError("connection reset")

    with pytest.raises(ServiceResponseError):
        await Reconciler(config, store).reconcile_group(GroupRef(EMEA, "dp-sales-orders-rg"))


async def test_a_transient_write_failure_raises_with_the_report(config: GovernanceConfig) -> None:
    store = MemoryGroups({EMEA: {"dp-sales-orders-rg": {}}})
    error = HttpResponseError(message="busy")
    error.status_code = 503
    store.fail_merge = error

    with pytest.raises(TransientFailure) as raised:
        await Reconciler(config, store).reconcile_group(GroupRef(EMEA, "dp-sales-orders-rg"))

    assert raised.value.reports[0].outcome is Outcome.FAILED


async def test_a_group_deleted_between_read_and_write_is_not_found_not_failed(config: GovernanceConfig) -> None:
    store = MemoryGroups({EMEA: {"dp-sales-orders-rg": {}}})
    store.fail_merge = ResourceNotFoundError("ResourceGroupNotFound")

    report = await Reconciler(config, store).reconcile_group(GroupRef(EMEA, "dp-sales-orders-rg"))

    assert report.outcome is Outcome.NOT_FOUND
    assert report.failed == ()


async def test_one_landing_zone_failing_does_not_stop_the_other(config: GovernanceConfig) -> None:
    store = MemoryGroups({EMEA: {"dp-sales-orders-rg": {}}, AMER: {"dp-finance-ledger-rg": {}}})
    store.fail_list[EMEA] = forbidden()

    report = await Reconciler(config, store).reconcile_all()

    outcomes = {(r.group.subscription_id, r.group.name): r.outcome for r in report.groups}
    assert outcomes[(AMER, "dp-finance-ledger-rg")] is Outcome.CHANGED
    assert outcomes[(EMEA, "dp-sales-orders-rg")] is Outcome.CHANGED, "groups listed before the failure still run"
    assert outcomes[(EMEA, "*")] is Outcome.FAILED
    assert report.transient_failures == (), "a 403 is terminal"


async def test_a_transient_listing_failure_marks_the_estate_for_retry(config: GovernanceConfig) -> None:
    store = MemoryGroups({EMEA: {}, AMER: {"dp-finance-ledger-rg": {}}})
    store.fail_list[EMEA] = ServiceResponseError("timeout")

    report = await Reconciler(config, store).reconcile_all()

    assert [r.group.name for r in report.transient_failures] == ["*"]
    assert store.merges == [GroupRef(AMER, "dp-finance-ledger-rg")]


async def test_a_bug_is_never_reported_as_an_azure_outcome(config: GovernanceConfig) -> None:
    store = MemoryGroups({EMEA: {"dp-sales-orders-rg": {}}})
    store.fail_merge = KeyError("bug")

    with pytest.raises(KeyError):
        await Reconciler(config, store).reconcile_group(GroupRef(EMEA, "dp-sales-orders-rg"))
    with pytest.raises(ExceptionGroup):
        await Reconciler(config, store).reconcile_all()


async def test_dry_run_plans_and_writes_nothing(config: GovernanceConfig) -> None:
    store = MemoryGroups({EMEA: {"dp-sales-orders-rg": {}, "misc-rg": {}}})

    report = await Reconciler(config, store).reconcile_all(dry_run=True)

    assert report.counts["planned"] == 1
    assert report.counts["unclassified"] == 1
    assert store.merges == []
