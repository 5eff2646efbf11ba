"""The control loop's rules, over in-memory ports and the real tags aspect.

The integration tests drive the real adapters against the emulator and Azurite; these pin the
branches that are awkward to provoke there: which failures are raised and which reported, conditions
per aspect, the pin written before anything else, and that one aspect's, group's or landing zone's
trouble never stops the others.
"""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import dataclass, field
from typing import Any, assert_never

import pytest
from azure.core.exceptions import ServiceResponseError

from shared.aspects.base import AspectPlan, Disposition, Outputs, Reads, Subject, Target
from shared.aspects.tags import TagsAspect
from shared.aspects.views import ViaReads
from shared.config import GovernanceConfig, LandingZone
from shared.correlation import client_request_id
from shared.errors import disposition
from shared.ledger import LedgerRecord
from shared.model import DataProduct, GroupRef
from shared.reconciler import Reconciler, TransientFailure
from shared.report import Outcome, Status
from tests.unit.fakes import AMER, EMEA, MemoryInventory, MemoryLedger, arm_error

ORDERS = GroupRef(EMEA, "dp-sales-orders-rg")
JANUARY = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
CHURN = GroupRef(EMEA, "churn-analytics")


def reconciler(config: GovernanceConfig, inventory: MemoryInventory, ledger: MemoryLedger, *extra: Any) -> Reconciler:
    return Reconciler(config, inventory, ledger, [TagsAspect(config, inventory), *extra])


# -- a dummy aspect, in a few lines of protocol ---------------------------------------------------


@dataclass(frozen=True)
class Stamp:
    """The dummy aspect's one action: stamp the group, after its tags were written."""

    group: GroupRef
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = "stamp"

    @property
    def key(self) -> str:
        return f"stamp:{self.group.key}"

    def describe(self) -> str:
        return f"stamp {self.group.name}"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": "stamp", "aspect": self.aspect}


@dataclass(frozen=True)
class Unstamp:
    """An action the dummy aspect plans but (deliberately) has no executor for."""

    group: GroupRef
    depends_on: frozenset[str] = field(default_factory=frozenset)
    aspect: str = "stamp"

    @property
    def key(self) -> str:
        return f"unstamp:{self.group.key}"

    def describe(self) -> str:
        return f"unstamp {self.group.name}"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": "unstamp", "aspect": self.aspect}


StampAction = Stamp | Unstamp


class StampAspect:
    name = "stamp"

    def __init__(self, *, fail_with: Exception | None = None, plan_unknown: bool = False) -> None:
        self.stamped: dict[GroupRef, str | None] = {}
        self.landed = asyncio.Event()
        self.fail_with = fail_with
        self.plan_unknown = plan_unknown

    def desire(self, subject: Subject) -> GroupRef:
        return subject.ref

    async def observe(self, target: Target, reads: Reads) -> bool:
        del reads
        return target.ref in self.stamped

    async def observe_zone(self, zone: LandingZone, reads: Reads) -> ViaReads[bool]:
        del zone
        return ViaReads(self.observe, reads)

    def diff(self, desired: GroupRef, observed: bool) -> AspectPlan[StampAction]:
        if observed:
            return AspectPlan()
        after_tags = frozenset({f"tags:{desired.scope.lower()}"})
        action: StampAction = Unstamp(desired, after_tags) if self.plan_unknown else Stamp(desired, after_tags)
        return AspectPlan((action,))

    async def execute(self, action: StampAction, outputs: Outputs) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        match action:
            case Stamp(group=group):
                assert f"tags:{group.scope.lower()}" in outputs, "runs after the tags it depends on"
                self.stamped[group] = client_request_id.get()
                self.landed.set()
            case _:
                # Unstamp has no case, on purpose: mypy --strict rejects this line (see
                # tests/typing), and at run time assert_never raises instead of reporting it done.
                assert_never(action)  # type: ignore[arg-type]

    def retire(self, record: LedgerRecord) -> AspectPlan[StampAction]:
        del record
        return AspectPlan()

    def interpret(self, action: StampAction, error: BaseException) -> Disposition:
        del action
        if getattr(getattr(error, "error", None), "code", None) == "StampExists":
            return Disposition.DONE
        return disposition(error)


# -- reading ------------------------------------------------------------------------------------


async def test_a_terminal_read_failure_is_reported_not_raised(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    inventory.fail_get = arm_error(403, "AuthorizationFailed", "no")

    report = await reconciler(config, inventory, MemoryLedger()).reconcile_group(ORDERS)

    assert report.outcome is Outcome.FAILED
    assert report.reason == "reading the resource group failed: HTTP 403 AuthorizationFailed: no"
    assert not report.transient_failure


async def test_a_transient_read_failure_is_raised_for_a_retry(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    inventory.fail_get = ServiceResponseError("connection reset")

    with pytest.raises(ServiceResponseError):
        await reconciler(config, inventory, MemoryLedger()).reconcile_group(ORDERS)


async def test_a_transient_ledger_failure_is_raised_for_a_retry(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    ledger = MemoryLedger()
    ledger.fail = arm_error(503, "ServerBusy")

    with pytest.raises(Exception, match="ServerBusy"):
        await reconciler(config, inventory, ledger).reconcile_group(ORDERS)
    assert inventory.merges == []


async def test_a_group_being_deleted_is_left_alone(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    inventory.deleting.add(ORDERS)

    report = await reconciler(config, inventory, MemoryLedger()).reconcile_group(ORDERS)

    assert report.outcome is Outcome.DELETING
    assert inventory.merges == []


# -- conditions per aspect ------------------------------------------------------------------------


async def test_each_aspect_reports_a_condition_and_the_plan_runs_in_dependency_order(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {"team": "orders"}}})
    stamp = StampAspect()
    engine = reconciler(config, inventory, MemoryLedger(), stamp)

    planned = await engine.reconcile_group(ORDERS, dry_run=True)
    applied = await engine.reconcile_group(ORDERS, request_id="5e1f0000-0000-4000-8000-000000000001")
    again = await engine.reconcile_group(ORDERS)

    assert [(c.aspect, c.status) for c in planned.conditions] == [("tags", Status.PLANNED), ("stamp", Status.PLANNED)]
    assert [[action.aspect for action in wave] for wave in planned.plan.waves()] == [["tags"], ["stamp"]]
    assert [(c.aspect, c.status, c.reason) for c in applied.conditions] == [
        ("tags", Status.CHANGED, "Reconciled"),
        ("stamp", Status.CHANGED, "Reconciled"),
    ]
    assert applied.outcome is Outcome.CHANGED
    assert stamp.stamped == {ORDERS: "5e1f0000-0000-4000-8000-000000000001"}, "the request id reaches the executor"
    assert [(c.aspect, c.status) for c in again.conditions] == [("tags", Status.COMPLIANT), ("stamp", Status.COMPLIANT)]
    assert again.outcome is Outcome.COMPLIANT
    assert len(inventory.merges) == 1


@dataclass(frozen=True)
class Hold(Stamp):
    """An action with no prerequisites that holds until the stamp landed."""

    aspect: str = "hold"

    @property
    def key(self) -> str:
        return f"hold:{self.group.key}"


class HoldAspect(StampAspect):
    name = "hold"

    def __init__(self, stamp: StampAspect) -> None:
        super().__init__()
        self.stamp = stamp

    def diff(self, desired: GroupRef, observed: bool) -> AspectPlan[Any]:
        return AspectPlan() if observed else AspectPlan((Hold(desired),))

    async def execute(self, action: Any, outputs: Outputs) -> None:
        del outputs
        async with asyncio.timeout(5):
            await self.stamp.landed.wait()
        self.stamped[action.group] = None


async def test_an_action_starts_when_its_own_prerequisites_are_done(config: GovernanceConfig) -> None:
    """The stamp waits for the tags only, not for the slow action beside them in the first wave."""
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    stamp = StampAspect()
    hold = HoldAspect(stamp)

    report = await reconciler(config, inventory, MemoryLedger(), stamp, hold).reconcile_group(ORDERS)

    assert [[a.aspect for a in wave] for wave in report.plan.waves()] == [["tags", "hold"], ["stamp"]]
    assert report.outcome is Outcome.CHANGED
    assert (list(stamp.stamped), list(hold.stamped)) == ([ORDERS], [ORDERS])


async def test_an_action_without_an_executor_is_never_reported_done(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    stamp = StampAspect(plan_unknown=True)

    with pytest.raises(AssertionError):
        await reconciler(config, inventory, MemoryLedger(), stamp).reconcile_group(ORDERS)
    assert stamp.stamped == {}


async def test_an_aspect_decides_that_its_own_conflict_means_done(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    stamp = StampAspect(fail_with=arm_error(409, "StampExists"))

    report = await reconciler(config, inventory, MemoryLedger(), stamp).reconcile_group(ORDERS)

    assert report.outcome is Outcome.CHANGED
    assert report.condition_for("stamp") is not None
    assert [result.ok for result in report.results] == [True, True]


async def test_a_failed_prerequisite_skips_its_dependents_in_another_aspect(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    inventory.fail_merge = arm_error(400, "InvalidTagName", "bad tag")
    stamp = StampAspect()

    report = await reconciler(config, inventory, MemoryLedger(), stamp).reconcile_group(ORDERS)

    assert report.outcome is Outcome.FAILED
    assert [result.error for result in report.results] == [
        "HTTP 400 InvalidTagName: bad tag",
        "skipped: a prerequisite action failed",
    ]
    assert stamp.stamped == {}


async def test_a_dependent_of_a_transient_failure_is_retried_with_it(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    inventory.fail_merge = ServiceResponseError("connection reset")

    with pytest.raises(TransientFailure) as raised:
        await reconciler(config, inventory, MemoryLedger(), StampAspect()).reconcile_group(ORDERS)

    skipped = raised.value.reports[0].results[1]
    assert (skipped.error, skipped.disposition) == ("skipped: a prerequisite action failed", Disposition.TRANSIENT)


async def test_one_aspect_failing_to_observe_does_not_stop_the_others(config: GovernanceConfig) -> None:
    class Blind(StampAspect):
        async def observe(self, target: Target, reads: Reads) -> bool:
            raise arm_error(403, "AuthorizationFailed", "no policy read")

    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})

    report = await reconciler(config, inventory, MemoryLedger(), Blind()).reconcile_group(ORDERS)

    assert report.outcome is Outcome.FAILED
    tags, blind = report.conditions
    assert (tags.status, blind.status, blind.reason) == (Status.CHANGED, Status.FAILED, "ObserveFailed")
    assert blind.message == "HTTP 403 AuthorizationFailed: no policy read"
    assert len(inventory.merges) == 1


async def test_a_transient_write_failure_raises_with_the_report(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    inventory.fail_merge = arm_error(503, "ServiceUnavailable")

    with pytest.raises(TransientFailure) as raised:
        await reconciler(config, inventory, MemoryLedger()).reconcile_group(ORDERS)

    (report,) = raised.value.reports
    assert report.outcome is Outcome.FAILED
    assert report.conditions[0].transient


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [("ResourceGroupNotFound", 404, Outcome.NOT_FOUND), ("ResourceGroupBeingDeleted", 409, Outcome.DELETING)],
)
async def test_a_group_deleted_mid_reconcile_is_an_outcome_not_a_failure(
    config: GovernanceConfig, code: str, status: int, outcome: Outcome
) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    inventory.fail_merge = arm_error(status, code)

    report = await reconciler(config, inventory, MemoryLedger()).reconcile_group(ORDERS)

    assert report.outcome is outcome
    assert report.failed == ()


async def test_a_bug_is_never_reported_as_an_azure_outcome(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    inventory.fail_merge = KeyError("bug")

    with pytest.raises(KeyError):
        await reconciler(config, inventory, MemoryLedger()).reconcile_group(ORDERS)
    with pytest.raises(ExceptionGroup):
        await reconciler(config, inventory, MemoryLedger()).reconcile_all()


# -- the ledger -----------------------------------------------------------------------------------


async def test_the_first_reconcile_records_the_product_and_later_ones_do_not(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    ledger = MemoryLedger()
    engine = reconciler(config, inventory, ledger)

    dry = await engine.reconcile_group(ORDERS, dry_run=True)
    first = await engine.reconcile_group(ORDERS)
    second = await engine.reconcile_group(ORDERS)

    assert (dry.newly_governed, first.newly_governed, second.newly_governed) == (False, True, False)
    assert ledger.creates == 1
    assert ledger.records[ORDERS].product == DataProduct("lz-emea", "sales", "orders", "prd")
    assert ledger.records[ORDERS].source == "name"


async def test_a_retag_cannot_choose_who_pays(config: GovernanceConfig) -> None:
    """The attack: recognised by tags as sales, pinned, then retagged to finance."""
    inventory = MemoryInventory({EMEA: {"churn-analytics": {"DataDomain": "sales", "DataProduct": "churn"}}})
    ledger = MemoryLedger()
    engine = reconciler(config, inventory, ledger)
    await engine.reconcile_group(CHURN)
    inventory.groups[CHURN].update(
        {"DataDomain": "finance", "CostCenter": "CC-3001", "Owner": "finance-data@contoso.com"}
    )

    report = await engine.reconcile_group(CHURN)

    tags = report.conditions[0]
    assert (tags.status, tags.reason) == (Status.CONFLICT, "RetaggedIdentity")
    assert tags.message == "tags claim finance/churn (prd) but the product is pinned as sales/churn (prd)"
    assert report.product == DataProduct("lz-emea", "sales", "churn", "prd")
    assert inventory.groups[CHURN]["CostCenter"] == "CC-1001"
    assert inventory.groups[CHURN]["Owner"] == "sales-data@contoso.com"
    assert inventory.groups[CHURN]["DataDomain"] == "sales"
    assert report.compliant is False
    after = await engine.reconcile_group(CHURN)
    assert after.outcome is Outcome.COMPLIANT, "once repaired, the tags agree with the pin again"


async def test_a_tag_pin_is_written_before_anything_is_applied(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"churn-analytics": {"DataDomain": "sales", "DataProduct": "churn"}}})
    ledger = MemoryLedger()
    ledger.race_with = LedgerRecord(CHURN, DataProduct("lz-emea", "marketing", "churn", "prd"), "tags", JANUARY)

    with pytest.raises(TransientFailure) as raised:
        await reconciler(config, inventory, ledger).reconcile_group(CHURN)

    assert raised.value.reports[0].reason == "the identity was pinned concurrently as marketing/churn"
    assert inventory.merges == [], "nothing is written for an identity another instance pinned differently"


async def test_dry_run_writes_nothing_anywhere(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}, "misc-rg": {}}})
    ledger = MemoryLedger()

    report = await reconciler(config, inventory, ledger).reconcile_all(dry_run=True)

    assert report.counts["planned"] == 1
    assert report.counts["unclassified"] == 1
    assert inventory.merges == []
    assert ledger.records == {}


# -- bulk -----------------------------------------------------------------------------------------


async def test_bulk_reconcile_lists_once_per_zone_and_reads_no_group(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {f"dp-sales-p{i}-rg": {} for i in range(5)}, AMER: {"dp-finance-x-rg": {}}})
    ledger = MemoryLedger()

    report = await reconciler(config, inventory, ledger, StampAspect()).reconcile_all()

    assert report.counts["changed"] == 6
    assert (inventory.lists, inventory.gets, ledger.lists) == (2, 0, 2)


async def test_one_landing_zone_failing_does_not_stop_the_other(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}, AMER: {"dp-finance-ledger-rg": {}}})
    inventory.fail_list[EMEA] = arm_error(403, "AuthorizationFailed")

    report = await reconciler(config, inventory, MemoryLedger()).reconcile_all()

    outcomes = {(r.group.subscription_id, r.group.name): r.outcome for r in report.groups}
    assert outcomes[(AMER, "dp-finance-ledger-rg")] is Outcome.CHANGED
    assert outcomes[(EMEA, "dp-sales-orders-rg")] is Outcome.CHANGED, "groups listed before the failure still run"
    assert outcomes[(EMEA, "*")] is Outcome.FAILED
    assert report.transient_failures == (), "a 403 is terminal"


async def test_a_transient_listing_failure_marks_the_estate_for_retry(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {}, AMER: {"dp-finance-ledger-rg": {}}})
    inventory.fail_list[EMEA] = ServiceResponseError("timeout")

    report = await reconciler(config, inventory, MemoryLedger()).reconcile_all()

    assert [r.group.name for r in report.transient_failures] == ["*"]
    assert [ref for ref, _ in inventory.merges] == [GroupRef(AMER, "dp-finance-ledger-rg")]


async def test_a_failed_orphan_check_is_that_groups_failure_not_the_estates(config: GovernanceConfig) -> None:
    """The orphan check waits for the whole listing; a later page failing fails the group, not the run."""
    inventory = MemoryInventory(
        {EMEA: {"dp-sales-gone-viz-rg": {"ManagedBy": "dpgov"}}, AMER: {"dp-finance-ledger-rg": {}}}
    )
    inventory.fail_list[EMEA] = ServiceResponseError("timeout")

    report = await reconciler(config, inventory, MemoryLedger()).reconcile_all()

    outcomes = {r.group.name: (r.outcome, r.transient) for r in report.groups}
    assert outcomes == {
        "dp-sales-gone-viz-rg": (Outcome.FAILED, True),
        "*": (Outcome.FAILED, True),
        "dp-finance-ledger-rg": (Outcome.CHANGED, False),
    }


class LateInventory(MemoryInventory):
    """Groups created after the listing read their page: a GET finds them, the listing did not."""

    def __init__(self, groups: Any, late: set[GroupRef]) -> None:
        super().__init__(groups)
        self.late = late

    async def list_groups(self, subscription_id: str) -> Any:
        async for group in super().list_groups(subscription_id):
            if group.ref not in self.late:
                yield group


async def test_bulk_never_retires_a_product_the_listing_missed_but_azure_has(config: GovernanceConfig) -> None:
    inventory = LateInventory({EMEA: {"dp-sales-orders-rg": {}}}, late={ORDERS})
    ledger = MemoryLedger()
    await reconciler(config, inventory, ledger).reconcile_group(ORDERS)  # its event governed it
    inventory.groups[ORDERS]["CostCenter"] = "CC-9999"

    report = await reconciler(config, inventory, ledger).reconcile_all()

    (orders,) = report.groups
    assert (orders.group, orders.outcome) == (ORDERS, Outcome.CHANGED), "reconciled on its own, not retired"
    assert ORDERS in ledger.records


async def test_bulk_retires_a_product_whose_group_is_confirmed_gone(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    ledger = MemoryLedger()
    engine = reconciler(config, inventory, ledger)
    await engine.reconcile_group(ORDERS)
    del inventory.groups[ORDERS]

    report = await engine.reconcile_all()

    (orders,) = report.groups
    assert (orders.group, orders.outcome) == (ORDERS, Outcome.NOT_FOUND)
    assert ORDERS not in ledger.records


class CountingInventory(MemoryInventory):
    """Lists a group at a time (as pages arrive) and counts the tag writes in flight at once."""

    def __init__(self, groups: Any) -> None:
        super().__init__(groups)
        self.in_flight = 0
        self.peak = 0

    async def list_groups(self, subscription_id: str) -> Any:
        async for group in super().list_groups(subscription_id):
            await asyncio.sleep(0)
            yield group

    async def merge_tags(self, ref: GroupRef, tags: Any) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        for _ in range(3):
            await asyncio.sleep(0)
        self.in_flight -= 1
        await super().merge_tags(ref, tags)


async def test_a_bulk_run_reconciles_at_most_its_bound_of_groups_at_once(config: GovernanceConfig) -> None:
    inventory = CountingInventory(
        {EMEA: {f"dp-sales-p{i}-rg": {} for i in range(8)}, AMER: {f"dp-finance-p{i}-rg": {} for i in range(8)}}
    )
    engine = Reconciler(config, inventory, MemoryLedger(), [TagsAspect(config, inventory)], max_groups_in_flight=3)

    report = await engine.reconcile_all()

    assert report.counts["changed"] == 16
    assert inventory.peak == 3, "three groups in flight, never more, across both landing zones"


async def test_a_group_waiting_for_the_whole_listing_never_holds_the_listing_up(config: GovernanceConfig) -> None:
    """With one slot, the first group listed (a visualization group whose orphan check needs the
    complete listing) holds it while the rest of the listing arrives: listing never waits for a slot."""
    inventory = CountingInventory(
        {EMEA: {"dp-sales-gone-viz-rg": {"ManagedBy": "dpgov"}, "dp-sales-orders-rg": {}, "dp-sales-p1-rg": {}}}
    )
    engine = Reconciler(config, inventory, MemoryLedger(), [TagsAspect(config, inventory)], max_groups_in_flight=1)

    async with asyncio.timeout(5):
        report = await engine.reconcile_all()

    assert {r.group.name: r.outcome for r in report.groups} == {
        "dp-sales-gone-viz-rg": Outcome.ORPHANED,
        "dp-sales-orders-rg": Outcome.CHANGED,
        "dp-sales-p1-rg": Outcome.CHANGED,
    }


# -- coalescing -----------------------------------------------------------------------------------


class GatedInventory(MemoryInventory):
    """Reads of a group wait until the test opens the gate: a reconcile held mid-flight."""

    def __init__(self, groups: Any) -> None:
        super().__init__(groups)
        self.gate = asyncio.Event()

    async def get_group(self, ref: GroupRef) -> Any:
        observed = await super().get_group(ref)
        await self.gate.wait()
        return observed


async def test_a_burst_of_requests_for_one_group_shares_one_follow_up_run(config: GovernanceConfig) -> None:
    inventory = GatedInventory({EMEA: {"dp-sales-orders-rg": {}}})
    engine = reconciler(config, inventory, MemoryLedger())
    inventory.gate.set()
    await engine.reconcile_group(ORDERS)  # governed and compliant
    inventory.gate.clear()
    first = asyncio.ensure_future(engine.reconcile_group(ORDERS))
    await asyncio.sleep(0.01)
    assert inventory.gets == 2, "the first run has read the compliant group and is held"
    inventory.groups[ORDERS]["CostCenter"] = "CC-9999"  # drift after the first run read it

    burst = [asyncio.ensure_future(engine.reconcile_group(ORDERS)) for _ in range(4)]
    inventory.gate.set()
    reports = await asyncio.gather(first, *burst)

    assert inventory.gets == 3, "five requests, two runs"
    assert reports[0].outcome is Outcome.COMPLIANT
    assert all(report is reports[1] for report in reports[1:]), "the burst shares one report"
    assert reports[1].outcome is Outcome.CHANGED, "the follow-up saw the change the first run missed"
    assert inventory.merges[-1] == (ORDERS, {"CostCenter": "CC-1001"})


async def test_a_request_after_the_runs_finish_reads_again(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}})
    engine = reconciler(config, inventory, MemoryLedger())

    await engine.reconcile_group(ORDERS)
    await asyncio.sleep(0)
    again = await engine.reconcile_group(ORDERS)

    assert (inventory.gets, again.outcome) == (2, Outcome.COMPLIANT)


async def test_a_dry_run_is_never_answered_by_a_real_run(config: GovernanceConfig) -> None:
    inventory = GatedInventory({EMEA: {"dp-sales-orders-rg": {}}})
    engine = reconciler(config, inventory, MemoryLedger())
    real = asyncio.ensure_future(engine.reconcile_group(ORDERS))
    await asyncio.sleep(0.01)

    dry = asyncio.ensure_future(engine.reconcile_group(ORDERS, dry_run=True))
    inventory.gate.set()
    reports = await asyncio.gather(real, dry)

    assert [(r.dry_run, r.outcome) for r in reports] == [(False, Outcome.CHANGED), (True, Outcome.PLANNED)]
    assert inventory.gets == 2


# -- coalescing: leading and trailing edge ---------------------------------------------------------

WINDOW = 0.05  # seconds; the trailing run cannot start before the test moves the clock past its time


class Clock:
    """A clock the test moves by hand: a trailing run starts only once the test says time has passed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def windowed(config: GovernanceConfig, inventory: MemoryInventory, ledger: MemoryLedger, clock: Clock) -> Reconciler:
    return Reconciler(config, inventory, ledger, [TagsAspect(config, inventory)], coalesce_window=WINDOW, clock=clock)


async def requests_at(engine: Reconciler, clock: Clock, times: list[float], **kwargs: Any) -> list[asyncio.Future[Any]]:
    """One request for ORDERS at each (fake) time, each registered before the next."""
    pending: list[asyncio.Future[Any]] = []
    for at in times:
        clock.now = at
        pending.append(asyncio.ensure_future(engine.reconcile_group(ORDERS, **kwargs)))
        await asyncio.sleep(0)
    return pending


async def test_requests_in_the_window_after_a_run_share_one_trailing_run_once_the_group_is_quiet(
    config: GovernanceConfig,
) -> None:
    inventory, clock = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}}), Clock()
    engine = windowed(config, inventory, MemoryLedger(), clock)
    first = await engine.reconcile_group(ORDERS)  # the leading edge: at once, at t=0
    inventory.groups[ORDERS]["CostCenter"] = "CC-9999"  # drift right after it

    burst = await requests_at(engine, clock, [0.01, 0.02, 0.03, 0.04])
    await asyncio.sleep(4 * WINDOW)
    waiting = (inventory.gets, [request.done() for request in burst])
    clock.now = 0.04 + WINDOW  # the window after the burst's last request has passed
    reports = await asyncio.gather(*burst)

    assert first.outcome is Outcome.CHANGED
    assert waiting == (1, [False] * 4), "the trailing run waits for the window after the last request"
    assert inventory.gets == 2, "five requests, two runs"
    assert all(report is reports[0] for report in reports), "the burst shares one report"
    assert reports[0].outcome is Outcome.CHANGED
    assert inventory.merges[-1] == (ORDERS, {"CostCenter": "CC-1001"})


async def test_a_steady_stream_cannot_starve_the_trailing_run(config: GovernanceConfig) -> None:
    inventory, clock = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}}), Clock()
    engine = windowed(config, inventory, MemoryLedger(), clock)
    await engine.reconcile_group(ORDERS)
    stream = [round(0.01 + 0.04 * i, 2) for i in range(7)]  # 0.01 … 0.25: each within the window of the last

    held = await requests_at(engine, clock, stream)
    clock.now = 0.01 + 5 * WINDOW  # five windows after the trailing run's first request: the bound
    async with asyncio.timeout(5):
        shared = await asyncio.gather(*held)
    (later,) = await requests_at(engine, clock, [0.27])  # the stream goes on
    clock.now = 1.0
    last = await later

    assert all(report is shared[0] for report in shared)
    assert last is not shared[0], "a request after the bounded run started shares the next one"
    assert inventory.gets == 3


async def test_a_request_after_the_window_is_a_leading_edge_again(config: GovernanceConfig) -> None:
    inventory, clock = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}}), Clock()
    engine = windowed(config, inventory, MemoryLedger(), clock)
    await engine.reconcile_group(ORDERS)
    clock.now = WINDOW

    async with asyncio.timeout(5):  # the clock stands still: only a leading edge can finish
        again = await engine.reconcile_group(ORDERS)

    assert (inventory.gets, again.outcome) == (2, Outcome.COMPLIANT)


async def test_every_request_sharing_a_failed_trailing_run_raises_for_redelivery(config: GovernanceConfig) -> None:
    inventory, clock = GatedInventory({EMEA: {"dp-sales-orders-rg": {}}}), Clock()
    engine = windowed(config, inventory, MemoryLedger(), clock)
    first = asyncio.ensure_future(engine.reconcile_group(ORDERS))
    await asyncio.sleep(0.01)
    burst = await requests_at(engine, clock, [0.0, 0.0, 0.0])  # while the first run is held
    inventory.fail_merge = arm_error(503, "ServiceUnavailable")
    inventory.groups[ORDERS]["CostCenter"] = "CC-9999"

    inventory.gate.set()
    with pytest.raises(TransientFailure):
        await first
    clock.now = 1.0
    outcomes = await asyncio.gather(*burst, return_exceptions=True)

    assert [type(outcome) for outcome in outcomes] == [TransientFailure] * 3
    assert inventory.gets == 2
    reports = {id(outcome.reports[0]) for outcome in outcomes if isinstance(outcome, TransientFailure)}
    assert len(reports) == 1, "one trailing run, its failure raised to each request that shared it"


async def test_a_dry_run_in_a_real_runs_window_is_not_held_for_it(config: GovernanceConfig) -> None:
    inventory, clock = MemoryInventory({EMEA: {"dp-sales-orders-rg": {}}}), Clock()
    engine = windowed(config, inventory, MemoryLedger(), clock)
    await engine.reconcile_group(ORDERS)
    inventory.groups[ORDERS]["CostCenter"] = "CC-9999"

    async with asyncio.timeout(5):  # the clock stands still: the dry run is its own leading edge
        dry = await engine.reconcile_group(ORDERS, dry_run=True)

    assert (dry.dry_run, dry.outcome, inventory.gets) == (True, Outcome.PLANNED, 2)
    assert len(inventory.merges) == 1, "the first run wrote; the dry run wrote nothing"


# -- screening: resource writes in groups recently found not to be products ------------------------

SANDBOX = GroupRef(EMEA, "team-sandbox")


async def test_a_group_read_and_found_not_a_product_is_screened_until_the_ttl_passes(config: GovernanceConfig) -> None:
    inventory, clock = MemoryInventory({EMEA: {"team-sandbox": {"team": "x"}}}), Clock()
    engine = windowed(config, inventory, MemoryLedger(), clock)
    report = await engine.reconcile_group(SANDBOX)

    clock.now = 59.0
    within = await engine.screen(SANDBOX)
    clock.now = 60.0
    after = await engine.screen(SANDBOX)

    assert report.outcome is Outcome.UNCLASSIFIED
    assert within == (
        "team-sandbox was read 59 s ago and is not a data product "
        "(name does not match the data-product pattern and no domain/product tags); no pin"
    )
    assert after is None, "the TTL (60 s) passed: the next resource write reads the group again"
    assert inventory.gets == 1


async def test_a_group_never_read_is_not_screened(config: GovernanceConfig) -> None:
    inventory = MemoryInventory({EMEA: {"team-sandbox": {}}})

    assert await windowed(config, inventory, MemoryLedger(), Clock()).screen(SANDBOX) is None
    assert inventory.gets == 0


async def test_a_pin_written_since_the_read_is_never_screened(config: GovernanceConfig) -> None:
    inventory, ledger, clock = MemoryInventory({EMEA: {"team-sandbox": {}}}), MemoryLedger(), Clock()
    engine = windowed(config, inventory, ledger, clock)
    await engine.reconcile_group(SANDBOX)
    ledger.pin(SANDBOX, DataProduct("lz-emea", "sales", "sandbox", "prd"))  # another instance saw its tags

    assert await engine.screen(SANDBOX) is None


async def test_a_group_that_became_a_product_by_its_own_tags_event_is_not_screened(config: GovernanceConfig) -> None:
    inventory, clock = MemoryInventory({EMEA: {"team-sandbox": {}}}), Clock()
    engine = windowed(config, inventory, MemoryLedger(), clock)
    await engine.reconcile_group(SANDBOX)
    inventory.groups[SANDBOX].update({"DataDomain": "sales", "DataProduct": "sandbox"})
    clock.now = 1.0  # the team's tag write event, after the window

    governed = await engine.reconcile_group(SANDBOX)

    assert governed.outcome is Outcome.CHANGED
    assert await engine.screen(SANDBOX) is None


async def test_screening_waits_for_a_read_in_flight_and_reads_nothing_itself(config: GovernanceConfig) -> None:
    inventory, clock = GatedInventory({EMEA: {"team-sandbox": {}}}), Clock()
    engine = windowed(config, inventory, MemoryLedger(), clock)
    reading = asyncio.ensure_future(engine.reconcile_group(SANDBOX))
    await asyncio.sleep(0.01)

    screening = asyncio.ensure_future(engine.screen(SANDBOX))
    await asyncio.sleep(0.01)
    held = screening.done()
    inventory.gate.set()
    why, report = await asyncio.gather(screening, reading)

    assert held is False
    assert report.outcome is Outcome.UNCLASSIFIED
    assert why == (
        "team-sandbox was read 0 s ago and is not a data product "
        "(name does not match the data-product pattern and no domain/product tags); no pin"
    )
    assert inventory.gets == 1


async def test_screening_joins_a_trailing_run_still_to_start(config: GovernanceConfig) -> None:
    inventory, clock = MemoryInventory({EMEA: {"team-sandbox": {}}}), Clock()
    engine = windowed(config, inventory, MemoryLedger(), clock)
    await engine.reconcile_group(SANDBOX)
    clock.now = 0.01
    group_write = asyncio.ensure_future(engine.reconcile_group(SANDBOX))  # its own write: may make it a product
    await asyncio.sleep(0)

    why = await engine.screen(SANDBOX)
    clock.now = 1.0
    await group_write

    assert why is None, "the trailing run reads after this change anyway"
    assert inventory.gets == 2
