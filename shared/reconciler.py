"""The control loop: observe → desire → plan → apply → report, for one group or a whole estate.

Like a controller-runtime ``Reconcile``, a request names a group and carries no event: whatever
triggered it, the truth is read from Azure now, so duplicate, late or out-of-order events all
converge on the same state. The loop knows no aspect by name: it observes every configured aspect
concurrently (with the group read and the ledger read, in one round trip), plans them together,
applies the plan in dependency order and reports one condition per aspect.

Errors follow the controller rule. A transient failure (throttling, 5xx, network, a token that could
not be fetched) is raised from ``reconcile_group`` after everything else was done, so Event Grid
redelivers; a terminal one is reported. One aspect's trouble never stops the others, and in bulk
mode one group's or landing zone's trouble never stops the rest. Bugs (non-Azure exceptions) are
never caught.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared import telemetry
from shared.aspects.base import (
    Action,
    AnyAspect,
    Disposition,
    Finding,
    Outputs,
    Reads,
    Remember,
    Subject,
    Target,
    ZoneView,
)
from shared.bursts import Coalescing, RecentGroups
from shared.classify import Unclassified, by_name
from shared.config import GovernanceConfig, LandingZone
from shared.correlation import reconcile_id
from shared.errors import describe, disposition, is_azure_error
from shared.explain import Explanation, explain
from shared.identity import Identity, resolve_identity
from shared.ledger import Ledger, LedgerConflict, LedgerRecord, UnpinRefused, utc_now
from shared.model import DataProduct, GroupRef, ObservedGroup, tag_value
from shared.naming import dedicated_visualization_group, visualization_owner
from shared.outcome_events import NoOutcomes, OutcomeSink
from shared.plan import Plan, combine
from shared.reads import EstateIndex, GraphSnapshot, GroupReads, Inventory, SingleFlight, ZoneReads
from shared.report import (
    ActionResult,
    Condition,
    EstateReport,
    GroupReport,
    Outcome,
    Status,
    condition,
    observe_failed,
)
from shared.write_slots import WriteSlots

log = logging.getLogger("dpgov.reconciler")  # the app's loggers are dpgov.*: telemetry exports those

Observed = object | BaseException  # an aspect's observation, or why it could not be made
Shared = SingleFlight[tuple[ActionResult, object]]  # one bulk run's actions, by key
_LEDGER_ATTEMPTS = 3


class TransientFailure(RuntimeError):
    """Some groups failed for reasons a retry can fix; raised after everything else was done.

    Carries the reports so the caller can still log and return what did happen.
    """

    def __init__(self, reports: Sequence[GroupReport]) -> None:
        failures = "; ".join(f"{report.group}: {_failure_summary(report)}" for report in reports)
        super().__init__(f"transient failure, retry later: {failures}")
        self.reports = tuple(reports)


def _failure_summary(report: GroupReport) -> str:
    parts = [report.reason or ""] if report.reason else []
    parts += [f"{c.aspect}: {c.message}" for c in report.conditions if c.transient]
    return "; ".join(parts) or report.outcome.value


@dataclass(frozen=True, slots=True)
class _ZoneRun:
    """What every group of one landing zone's bulk reconcile shares."""

    zone: LandingZone
    reads: ZoneReads
    records: asyncio.Task[Mapping[GroupRef, LedgerRecord]]
    views: Mapping[str, asyncio.Task[ZoneView[Any]]]
    shared: Shared
    dry_run: bool
    from_snapshot: bool = False  # groups listed by Resource Graph: confirmed from ARM before any write


@dataclass(frozen=True, slots=True)
class _Recorded:
    """The first ledger record this reconcile wrote, or why it could not write it."""

    record: LedgerRecord | None = None
    error: str | None = None
    transient: bool = False


_RunKey = tuple[tuple[str, str], bool]
"""A group's key and whether the run is a dry run: the unit runs are coalesced on."""


@dataclass(slots=True)
class _Trailing:
    """A trailing run still waiting to start, and when its first and latest requests arrived."""

    first: float
    last: float
    run: asyncio.Future[GroupReport] | None = None


class Reconciler:
    """Reconciles data-product resource groups against the governance config."""

    def __init__(
        self,
        config: GovernanceConfig,
        inventory: Inventory,
        ledger: Ledger,
        aspects: Sequence[AnyAspect],
        *,
        max_concurrency: int = 16,
        outcomes: OutcomeSink | None = None,
        coalesce_window: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        resource_graph: EstateIndex | None = None,
        resource_graph_min_zones: int = 10,
        max_groups_in_flight: int = 256,
    ) -> None:
        names = [aspect.name for aspect in aspects]
        if len(set(names)) != len(names):
            raise ValueError(f"aspect names must be unique: {names}")
        self._config = config
        self._inventory = inventory
        self._ledger = ledger
        self._aspects = tuple(aspects)
        self._by_name = {aspect.name: aspect for aspect in aspects}
        self._writes = WriteSlots(max_concurrency)
        self._running: dict[_RunKey, asyncio.Future[GroupReport]] = {}
        self._trailing: dict[_RunKey, _Trailing] = {}
        self._ended: dict[_RunKey, float] = {}  # when a group's last run ended, for one window
        self._coalescing = Coalescing(coalesce_window)  # seconds
        self._recent = RecentGroups()  # groups read and found not to be products (screening)
        self._clock = clock
        # Told every finished reconcile, once per run (callers sharing a run share its events).
        self._outcomes: OutcomeSink = outcomes if outcomes is not None else NoOutcomes()
        # A bulk run of at least this many landing zones lists their groups with one Resource Graph query.
        self._graph = resource_graph
        self._graph_min_zones = resource_graph_min_zones
        # A bulk run reconciles at most this many groups at once, across its landing zones: each one
        # in flight holds its observations and plan until its writes are done.
        self._groups_in_flight = max_groups_in_flight

    @property
    def aspects(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    # -- one group -------------------------------------------------------------------------------

    async def reconcile_group(
        self, ref: GroupRef, *, dry_run: bool = False, request_id: str | None = None
    ) -> GroupReport:
        """Reconcile one group. Raises ``TransientFailure`` (or the error) on transient failure."""
        zone = self._config.landing_zone_for(ref.subscription_id)
        if zone is None:
            reason = "subscription is not a configured landing zone"
            return GroupReport(ref, Outcome.UNKNOWN_LANDING_ZONE, reason=reason, dry_run=dry_run)
        key = (ref.key, dry_run)
        # Leading and trailing edge (shared.bursts): the first request runs at once; a run under way
        # may have read Azure before a later request's change, so every request that arrives while it
        # runs, or within the window after a run ended, shares one trailing run, which starts when the
        # group has been quiet for the window (bounded). A burst of events about one group costs at
        # most two runs, one at a time, and none is lost. The trailing run is looked up first: it is
        # the run to join even in the moment between the previous run's end and its own start.
        now = self._clock()
        trailing = self._trailing.get(key)
        if trailing is not None and trailing.run is not None:
            trailing.last = now
            run = trailing.run
        elif key in self._running or self._coalescing.trails(now, self._ended.get(key)):
            run = self._trail(key, zone, ref, now, dry_run=dry_run, request_id=request_id)
        else:
            run = self._start(key, zone, ref, dry_run=dry_run, request_id=request_id)
        report = await asyncio.shield(run)
        if report.transient_failure:
            raise TransientFailure((report,))
        return report

    async def screen(self, ref: GroupRef) -> str | None:
        """Why an event that cannot make ``ref`` a data product (a resource write in it) needs no
        reconcile, or None when it does.

        It needs none when this instance read the group within ``RECENT_GROUP_TTL_SECONDS`` and found
        it not to be a data product, and the ledger holds no pin for it (another instance may have
        recognised it by its tags since). A reconcile of the group still to start is joined instead
        (it reads after this change anyway); one in flight is waited for, and its finding decides.
        """
        key = (ref.key, False)
        if key in self._trailing:
            return None
        running = self._running.get(key)
        if running is not None:
            await asyncio.wait({running})  # whatever its outcome; cancelling this wait leaves it running
            if key in self._trailing:
                return None
        seen = self._recent.not_a_product(ref, self._clock())
        if seen is None:
            return None
        try:
            record = await self._ledger.get(ref)
        except Exception as error:
            if not is_azure_error(error):
                raise
            return None  # the reconcile reads the ledger again and decides what its failure means
        if record is not None:
            self._recent.forget(ref)
            return None
        age = self._clock() - seen.read_at
        return f"{ref.name} was read {age:.0f} s ago and is not a data product ({seen.reason}); no pin"

    def _start(
        self, key: _RunKey, zone: LandingZone, ref: GroupRef, *, dry_run: bool, request_id: str | None
    ) -> asyncio.Future[GroupReport]:
        async def run() -> GroupReport:
            with (
                reconcile_id(request_id) as trigger,
                telemetry.reconcile_group(ref, zone.name, dry_run=dry_run) as traced,
            ):
                report = traced.finish(await self._reconcile_one(zone, ref, dry_run=dry_run))
                await self._outcomes.publish((report,), trigger=trigger)
                return report

        task = asyncio.ensure_future(run())
        self._running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def _finished(self, key: _RunKey, done: asyncio.Future[GroupReport]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if self._coalescing.window > 0:
            ended = self._ended[key] = self._clock()
            done.get_loop().call_later(self._coalescing.window, self._cooled, key, ended)

    def _cooled(self, key: _RunKey, ended: float) -> None:
        if self._ended.get(key) == ended:
            del self._ended[key]

    def _trail(
        self,
        key: _RunKey,
        zone: LandingZone,
        ref: GroupRef,
        now: float,
        *,
        dry_run: bool,
        request_id: str | None,
    ) -> asyncio.Future[GroupReport]:
        trailing = _Trailing(first=now, last=now)

        async def after() -> GroupReport:
            running = self._running.get(key)
            if running is not None:
                await asyncio.wait({running})  # whatever its outcome
            while True:  # until the window after its latest request (bounded) has passed
                wait = self._coalescing.start_at(trailing.first, trailing.last) - self._clock()
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            del self._trailing[key]  # later requests start or trail the run this starts
            return await self._start(key, zone, ref, dry_run=dry_run, request_id=request_id)

        trailing.run = asyncio.ensure_future(after())
        self._trailing[key] = trailing
        trailing.run.add_done_callback(lambda done: self._untrail(key, done))
        return trailing.run

    def _untrail(self, key: _RunKey, done: asyncio.Future[GroupReport]) -> None:
        trailing = self._trailing.get(key)
        if trailing is not None and trailing.run is done:
            del self._trailing[key]  # it failed before it started (a bug, or the loop closing)

    async def _reconcile_one(self, zone: LandingZone, ref: GroupRef, *, dry_run: bool) -> GroupReport:
        reads = GroupReads(self._inventory)
        identified: asyncio.Future[Subject] = asyncio.get_running_loop().create_future()
        target = Target(zone, ref, identified)
        # One concurrent round: the group, its ledger record and every aspect's own reads. A group its
        # name does not identify (only its tags could, and most such groups are no product) is read
        # with its ledger record first: its aspects observe only once that says it is a product.
        record_task = asyncio.create_task(self._ledger.get(ref))
        observing: dict[str, asyncio.Task[Any]] = {}

        def observe() -> None:
            observing.update({a.name: asyncio.create_task(a.observe(target, reads)) for a in self._aspects})

        if isinstance(by_name(self._config, zone, ref.name), DataProduct):
            observe()
        try:
            try:
                group = await reads.group(ref)
            except Exception as error:
                return self._read_failed(zone, ref, "reading the resource group", error, dry_run)
            if group is None:
                self._recent.forget(ref)
                try:
                    record = await record_task
                except Exception as error:
                    return self._read_failed(zone, ref, "reading the ledger", error, dry_run)
                if record is not None:
                    return await self._retire(zone, record, dry_run=dry_run)
                return GroupReport(
                    ref, Outcome.NOT_FOUND, zone.name, reason="resource group not found", dry_run=dry_run
                )
            if group.deleting:
                return _deleting(zone, ref, dry_run)
            try:
                record = await record_task
            except Exception as error:
                return self._read_failed(zone, ref, "reading the ledger", error, dry_run)
            identity = resolve_identity(self._config, zone, group, record)
            if isinstance(identity, Unclassified):
                self._recent.record(ref, self._clock(), identity.reason)  # screens its resource writes
                return await self._not_governed(zone, group, identity, reads, dry_run)
            self._recent.forget(ref)
            if not observing:
                observe()
            subject = Subject(zone, group, identity, record)
            identified.set_result(subject)
            outcomes = await asyncio.gather(*observing.values(), return_exceptions=True)
            observed = dict(zip(observing, outcomes, strict=True))
            return await self._govern(subject, observed, dry_run=dry_run)
        finally:
            for task in (record_task, *observing.values()):
                task.cancel()
            await asyncio.gather(record_task, *observing.values(), return_exceptions=True)
            identified.cancel()
            await reads.close()

    def _read_failed(self, zone: LandingZone, ref: GroupRef, what: str, error: Exception, dry_run: bool) -> GroupReport:
        if not is_azure_error(error):
            raise error
        verdict = disposition(error)
        if verdict is Disposition.TRANSIENT:
            raise error
        if verdict is Disposition.GROUP_GONE:
            return GroupReport(ref, Outcome.NOT_FOUND, zone.name, reason="resource group not found", dry_run=dry_run)
        log.error("%s: %s failed: %s", ref, what, describe(error))
        reason = f"{what} failed: {describe(error)}"
        return GroupReport(ref, Outcome.FAILED, zone.name, reason=reason, dry_run=dry_run)

    @staticmethod
    def _failed(zone: LandingZone, ref: GroupRef, what: str, error: Exception, dry_run: bool) -> GroupReport:
        """An Azure failure as the group's report (transient ones are retried from the report)."""
        if not is_azure_error(error):
            raise error
        transient = disposition(error) is Disposition.TRANSIENT
        log.log(logging.WARNING if transient else logging.ERROR, "%s: %s failed: %s", ref, what, describe(error))
        reason = f"{what} failed: {describe(error)}"
        return GroupReport(ref, Outcome.FAILED, zone.name, reason=reason, transient=transient, dry_run=dry_run)

    # -- a whole estate ----------------------------------------------------------------------------

    async def reconcile_all(
        self,
        *,
        dry_run: bool = False,
        zones: Sequence[LandingZone] | None = None,
        request_id: str | None = None,
        resource_graph: bool | None = None,
    ) -> EstateReport:
        """Reconcile every group of every landing zone, observing each subscription in bulk.

        Subscriptions are listed concurrently, and each group is reconciled as soon as its page and
        the zone-wide lists its aspects need have arrived, so repairing drift overlaps with reading.
        From ``resource_graph_min_zones`` landing zones on, the groups, role assignments and policy
        assignments of all of them come from one paged Resource Graph query each instead (see
        ``_reconcile_listed`` for how its lag is handled); ``resource_graph`` decides it instead of
        the count (a queue message holding one batch of a large estate's zones says True).
        Azure failing for one landing zone or group is reported and the rest carry on; a bug cancels
        everything.
        """
        started = time.perf_counter()
        selected = zones if zones is not None else self._config.landing_zones
        estate: SingleFlight[Any] = SingleFlight()  # reads every landing zone shares (Purview's lists)
        slots = asyncio.Semaphore(self._groups_in_flight)  # the zones take turns (the semaphore is FIFO)
        with reconcile_id(request_id) as trigger, telemetry.reconcile_all(dry_run=dry_run) as traced:
            snapshot = self._snapshot(selected, resource_graph)
            try:
                async with asyncio.TaskGroup() as zone_tasks:
                    per_zone = [
                        zone_tasks.create_task(self._reconcile_zone(zone, estate, snapshot, slots, dry_run=dry_run))
                        for zone in selected
                    ]
            finally:
                if snapshot is not None:
                    await snapshot.close()
                await estate.close()
            reports = sorted((report for task in per_zone for report in task.result()), key=lambda r: r.group.key)
            await self._outcomes.publish(reports, trigger=trigger)
            return traced(EstateReport(tuple(reports), dry_run, (time.perf_counter() - started) * 1000))

    def _snapshot(self, zones: Sequence[LandingZone], wanted: bool | None) -> GraphSnapshot | None:
        """The run's Resource Graph queries over all ``zones``, when there are enough of them."""
        use = wanted if wanted is not None else len(zones) >= self._graph_min_zones
        if self._graph is None or not use or not zones:
            return None
        return GraphSnapshot(self._graph, [zone.subscription_id for zone in zones])

    async def _listing(self, zone: LandingZone, snapshot: GraphSnapshot | None) -> AsyncIterator[ObservedGroup]:
        """The zone's groups: its subscription's paged list, or its share of the Resource Graph query."""
        if snapshot is None:
            async for group in self._inventory.list_groups(zone.subscription_id):
                yield group
            return
        for group in await snapshot.groups(zone.subscription_id):
            yield group

    async def _traced(
        self, zone: LandingZone, ref: GroupRef, dry_run: bool, work: Callable[[], Awaitable[GroupReport]]
    ) -> GroupReport:
        """One group of a bulk reconcile, under its own span (as a reconcile of one group is)."""
        with telemetry.reconcile_group(ref, zone.name, dry_run=dry_run) as traced:
            return traced.finish(await work())

    async def _reconcile_zone(
        self,
        zone: LandingZone,
        estate: SingleFlight[Any],
        snapshot: GraphSnapshot | None,
        slots: asyncio.Semaphore,
        *,
        dry_run: bool,
    ) -> list[GroupReport]:
        """One landing zone of a bulk run, under its own span."""
        with telemetry.reconcile_zone(zone.name, zone.subscription_id):
            reads = ZoneReads(self._inventory, zone, estate, snapshot)
            run = _ZoneRun(
                zone,
                reads,
                records=asyncio.create_task(self._ledger.list(zone.subscription_id)),
                views={a.name: asyncio.create_task(a.observe_zone(zone, reads)) for a in self._aspects},
                shared=SingleFlight(),
                dry_run=dry_run,
                from_snapshot=snapshot is not None,
            )
            reports: list[GroupReport] = []
            # The listing only queues the groups (it never waits for a slot: a group in flight may be
            # waiting for the whole listing, e.g. for its visualization group); ``start`` takes them off
            # the queue as the run's slots free up.
            waiting: asyncio.Queue[tuple[GroupRef, Callable[[], Awaitable[GroupReport]]] | None] = asyncio.Queue()

            async def reconcile(ref: GroupRef, work: Callable[[], Awaitable[GroupReport]]) -> None:
                reports.append(await self._traced(zone, ref, dry_run, work))

            async def start(group_tasks: asyncio.TaskGroup) -> None:
                while (queued := await waiting.get()) is not None:
                    await slots.acquire()
                    task = group_tasks.create_task(reconcile(*queued))
                    task.add_done_callback(lambda _: slots.release())

            try:
                async with asyncio.TaskGroup() as group_tasks:
                    group_tasks.create_task(start(group_tasks))
                    try:
                        async for group in self._listing(zone, snapshot):
                            reads.add(group)
                            waiting.put_nowait((group.ref, functools.partial(self._reconcile_listed, run, group)))
                        reads.complete()
                        for record in await self._gone(run):
                            gone = functools.partial(self._retire_if_gone, zone, record, dry_run=dry_run)
                            waiting.put_nowait((record.ref, gone))
                    except Exception as error:
                        reads.fail(error)
                        if not is_azure_error(error):
                            raise
                        reports.append(self._zone_failed(zone, error, dry_run))
                    finally:
                        waiting.put_nowait(None)
            finally:
                pending = (run.records, *run.views.values())
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                await run.shared.close()  # writes shared by several groups: all done, unless a bug cancelled them
                await reads.close()
            return reports

    # -- the operator's explain and unpin ----------------------------------------------------------

    async def explain(self, ref: GroupRef) -> Explanation:
        """Why the group is or is not a data product, and what each aspect wants for it.

        Two reads (the group and its ledger record), no writes; the rest is ``shared.explain``.
        """
        if self._config.landing_zone_for(ref.subscription_id) is None:
            return explain(self._config, ref, None, None, self._aspects)
        group, record = await asyncio.gather(self._inventory.get_group(ref), self._ledger.get(ref))
        return explain(self._config, ref, group, record, self._aspects)

    async def unpin(self, ref: GroupRef) -> GroupReport | None:
        """Remove a tag-recognised product's pin (an operator action, never a tag edit).

        What the app made for the product outside its group under the pinned identity (Purview
        sources, its catalog entity) is retired first, exactly as for a gone product, then the ledger
        forgets the product: the next reconcile classifies the group from its tags again, pins what
        they say then, and governs it under that identity. Returns the retirement's report, or None
        when there was no pin. Refuses a name-recognised product: its name is its identity.
        """
        zone = self._config.landing_zone_for(ref.subscription_id)
        record = await self._ledger.get(ref)
        if record is None or zone is None:
            return None
        if record.source != "tags":
            raise UnpinRefused(f"{ref}: the identity comes from the group's name; there is no pin to remove")
        with (
            reconcile_id(None) as trigger,
            telemetry.reconcile_group(ref, zone.name, dry_run=False) as traced,
        ):
            report = traced.finish(await self._retire(zone, record, dry_run=False))
            await self._outcomes.publish((report,), trigger=trigger)
        if report.transient_failure:
            raise TransientFailure((report,))
        return report

    async def _gone(self, run: _ZoneRun) -> list[LedgerRecord]:
        """Products the ledger knows whose group the (complete) listing no longer holds."""
        try:
            records = await asyncio.shield(run.records)
        except Exception as error:
            if not is_azure_error(error):
                raise
            return []  # every listed group reports the ledger failure already
        return [record for ref, record in records.items() if not run.reads.listed(ref)]

    async def _retire_if_gone(self, zone: LandingZone, record: LedgerRecord, *, dry_run: bool) -> GroupReport:
        """The listing did not hold the group: confirm it is gone before retiring anything.

        The ledger is listed alongside the groups, so a group created after its page was read (and
        governed by its event meanwhile) is in the ledger but not in the listing: it is reconciled
        on its own instead.
        """
        try:
            group = await self._inventory.get_group(record.ref)
        except Exception as error:
            return self._failed(zone, record.ref, "reading the resource group", error, dry_run)
        if group is not None:
            return await self._reconcile_one(zone, record.ref, dry_run=dry_run)
        return await self._retire(zone, record, dry_run=dry_run)

    async def _retire(self, zone: LandingZone, record: LedgerRecord, *, dry_run: bool) -> GroupReport:
        """The group is gone: undo what the app made for the product outside it, then forget it.

        Each aspect plans from the ledger's artefacts (most have none: ARM removed everything in the
        group with it). When the plan ran cleanly, the ledger row is deleted, so a group created
        later under the same name is a new product.
        """
        ref = record.ref
        identity = Identity(record.product, record.source, recorded=True)
        parts = [(aspect.name, aspect.retire(record)) for aspect in self._aspects]
        plan = combine([part.actions for _, part in parts])
        if not plan:
            if not dry_run:
                try:
                    await self._ledger.delete(ref)
                except Exception as error:
                    return self._failed(zone, ref, "forgetting the product in the ledger", error, dry_run)
            reason = "resource group not found; nothing to clean up"
            return GroupReport(
                ref, Outcome.NOT_FOUND, zone.name, identity, reason, dry_run=dry_run, forgotten=not dry_run
            )
        results: tuple[ActionResult, ...] = ()
        recorded = _Recorded()
        if not dry_run:
            results, outputs = await self._apply(plan)
            remembered = [output for output in outputs.values() if isinstance(output, Remember)]
            if remembered:
                unremembered = await self._remember(ref, remembered, record)
                if unremembered is not None:
                    recorded = _Recorded(error=unremembered[0], transient=unremembered[1])
        conditions = tuple(
            condition(
                name,
                actions=part.actions,
                results=[r for r in results if r.action.aspect == name],
                findings=part.findings,
                dry_run=dry_run,
            )
            for name, part in parts
        )
        failed = any(c.status is Status.FAILED for c in conditions) or recorded.error is not None
        if not dry_run and not failed:
            try:
                await self._ledger.delete(ref)
            except Exception as error:
                if not is_azure_error(error):
                    raise
                transient = disposition(error) is Disposition.TRANSIENT
                failed, recorded = (
                    True,
                    _Recorded(
                        error=f"forgetting the product in the ledger failed: {describe(error)}", transient=transient
                    ),
                )
        outcome = Outcome.FAILED if failed else (Outcome.PLANNED if dry_run else Outcome.RETIRED)
        reason = recorded.error or "resource group is gone; the app's artefacts outside it were retired"
        return GroupReport(
            ref,
            outcome,
            zone.name,
            identity,
            reason,
            plan,
            results,
            conditions,
            dry_run,
            transient=recorded.transient,
            forgotten=outcome is Outcome.RETIRED,
        )

    @staticmethod
    def _zone_failed(zone: LandingZone, error: Exception, dry_run: bool) -> GroupReport:
        transient = disposition(error) is Disposition.TRANSIENT
        log.log(
            logging.WARNING if transient else logging.ERROR,
            "listing landing zone %s failed: %s",
            zone.name,
            describe(error),
        )
        return GroupReport(
            GroupRef(zone.subscription_id, "*"),
            Outcome.FAILED,
            zone.name,
            reason=f"listing the landing zone's resource groups failed: {describe(error)}",
            transient=transient,
            dry_run=dry_run,
        )

    async def _reconcile_listed(self, run: _ZoneRun, group: ObservedGroup) -> GroupReport:
        zone, ref, dry_run = run.zone, group.ref, run.dry_run
        if group.deleting:
            return _deleting(zone, ref, dry_run)
        try:
            record = (await asyncio.shield(run.records)).get(ref)
        except Exception as error:
            if not is_azure_error(error):
                raise
            reason = f"reading the ledger failed: {describe(error)}"
            transient = disposition(error) is Disposition.TRANSIENT
            return GroupReport(ref, Outcome.FAILED, zone.name, reason=reason, transient=transient, dry_run=dry_run)
        identity = resolve_identity(self._config, zone, group, record)
        if isinstance(identity, Unclassified):
            return await self._not_governed(zone, group, identity, run.reads, dry_run)
        subject = Subject(zone, group, identity, record)
        observed = await self._observe_listed(run, subject)
        if run.from_snapshot and (stale := self._would_write(subject, observed)):
            return await self._confirm_from_arm(run, subject, observed, stale)
        return await self._govern(subject, observed, dry_run=dry_run, shared=run.shared)

    async def _observe_listed(
        self, run: _ZoneRun, subject: Subject, aspects: Collection[str] | None = None
    ) -> dict[str, Observed]:
        """The aspects' observations of a listed group (every aspect's unless named), from the
        landing zone's bulk views."""
        identified: asyncio.Future[Subject] = asyncio.get_running_loop().create_future()
        identified.set_result(subject)
        target = Target(run.zone, subject.ref, identified)
        names = [name for name in run.views if aspects is None or name in aspects]

        async def observe(view: asyncio.Task[ZoneView[Any]]) -> object:
            return await (await asyncio.shield(view)).get(target)

        outcomes = await asyncio.gather(*(observe(run.views[name]) for name in names), return_exceptions=True)
        return dict(zip(names, outcomes, strict=True))

    def _would_write(self, subject: Subject, observed: Mapping[str, Observed]) -> frozenset[str]:
        """The aspects whose plans for the group are not empty (or could not be made); all of them
        when the group has no ledger record yet (its first record is a write)."""
        if subject.record is None:
            return frozenset(aspect.name for aspect in self._aspects)
        return frozenset(
            aspect.name
            for aspect in self._aspects
            if isinstance(seen := observed[aspect.name], BaseException)
            or aspect.diff(aspect.desire(subject), seen).actions
        )

    async def _confirm_from_arm(
        self, run: _ZoneRun, listed: Subject, observed: Mapping[str, Observed], stale: frozenset[str]
    ) -> GroupReport:
        """Resource Graph lags ARM, so a group it shows drifted is read from ARM again before
        anything is written: the group itself, then what the ``stale`` aspects (those with actions)
        observe — its role and policy assignments, its visualization groups and theirs — and it is
        classified, observed and planned from those reads. The other aspects' observations stand
        (they planned nothing); a group whose identity changed meanwhile is observed afresh whole."""
        zone, ref, dry_run, record = run.zone, listed.ref, run.dry_run, listed.record
        dedicated = dedicated_visualization_group(self._config, ref.name)
        run.reads.refresh([ref.name, zone.visualization_resource_group, *([dedicated] if dedicated else [])])
        try:
            group = await run.reads.group(ref)
        except Exception as error:
            return self._failed(zone, ref, "reading the resource group", error, dry_run)
        if group is None:
            if record is not None:
                return await self._retire(zone, record, dry_run=dry_run)
            return GroupReport(ref, Outcome.NOT_FOUND, zone.name, reason="resource group not found", dry_run=dry_run)
        if group.deleting:
            return _deleting(zone, ref, dry_run)
        identity = resolve_identity(self._config, zone, group, record)
        if isinstance(identity, Unclassified):
            return await self._not_governed(zone, group, identity, run.reads, dry_run)
        subject = Subject(zone, group, identity, record)
        again = None if identity != listed.identity else stale
        fresh = await self._observe_listed(run, subject, again)
        return await self._govern(subject, {**observed, **fresh}, dry_run=dry_run, shared=run.shared)

    async def _not_governed(
        self, zone: LandingZone, group: ObservedGroup, why: Unclassified, reads: Reads, dry_run: bool
    ) -> GroupReport:
        """Unclassified — or ``orphaned``: a dedicated visualization group the app made, whose product
        group is gone. The app never deletes a resource group; it reports it for a person to decide."""
        ref = group.ref
        owner = visualization_owner(self._config, ref.name)
        made_by_app = tag_value(group.tags, self._config.tags.managed_by) == self._config.managed_by
        if owner is not None and made_by_app:
            try:
                product_group = await reads.group(GroupRef(ref.subscription_id, owner))
            except Exception as error:
                return self._failed(zone, ref, f"reading its product group {owner}", error, dry_run)
        if owner is not None and made_by_app and product_group is None:
            reason = f"dedicated visualization group of {owner}, which no longer exists; left in place"
            return GroupReport(ref, Outcome.ORPHANED, zone.name, reason=reason, dry_run=dry_run)
        return GroupReport(
            ref, Outcome.UNCLASSIFIED, zone.name, reason=why.reason, dry_run=dry_run, named_unknown=why.named_something
        )

    # -- desire, plan, apply, report ---------------------------------------------------------------

    async def _govern(
        self, subject: Subject, observed: Mapping[str, Observed], *, dry_run: bool, shared: Shared | None = None
    ) -> GroupReport:
        ref, zone = subject.ref, subject.zone
        conditions: dict[str, Condition] = {}
        parts: list[tuple[Action, ...]] = []
        findings: dict[str, tuple[Finding, ...]] = {}
        for aspect in self._aspects:
            seen = observed[aspect.name]
            if isinstance(seen, BaseException):
                if not isinstance(seen, Exception) or not is_azure_error(seen):
                    raise seen
                verdict = disposition(seen)
                if verdict is Disposition.GROUP_GONE:
                    gone = "resource group not found"
                    return GroupReport(ref, Outcome.NOT_FOUND, zone.name, subject.identity, gone, dry_run=dry_run)
                if verdict is Disposition.GROUP_DELETING:
                    return _deleting(zone, ref, dry_run)
                log.log(
                    logging.WARNING if verdict is Disposition.TRANSIENT else logging.ERROR,
                    "%s: observing %s failed: %s",
                    ref,
                    aspect.name,
                    describe(seen),
                )
                transient = verdict is Disposition.TRANSIENT
                conditions[aspect.name] = observe_failed(aspect.name, describe(seen), transient=transient)
                continue
            aspect_plan = aspect.diff(aspect.desire(subject), seen)
            parts.append(aspect_plan.actions)
            findings[aspect.name] = aspect_plan.findings
        plan = combine(parts)

        results: tuple[ActionResult, ...] = ()
        recorded = _Recorded()
        if not dry_run:
            results, recorded = await self._apply_and_record(subject, plan, shared)
            if recorded.record is not None:
                subject = Subject(zone, subject.group, _recorded(subject.identity), recorded.record)

        applied = not dry_run and (bool(results) or not plan)  # not when a failed pin stopped the plan
        for aspect_name, notes in findings.items():
            conditions[aspect_name] = condition(
                aspect_name,
                actions=plan.for_aspect(aspect_name),
                results=[result for result in results if result.action.aspect == aspect_name],
                findings=notes,
                dry_run=not applied,
            )
        ordered = tuple(conditions[aspect.name] for aspect in self._aspects)
        outcome = _outcome(plan, results, ordered, dry_run)
        identity = subject.identity
        reason: str | None = None
        if outcome is Outcome.NOT_FOUND:
            reason = "resource group was deleted while it was being reconciled"
        elif outcome is Outcome.DELETING:
            reason = "resource group is being deleted"
        elif recorded.error is not None:
            outcome, reason = Outcome.FAILED, recorded.error
            log.log(logging.WARNING if recorded.transient else logging.ERROR, "%s: %s", ref, recorded.error)
        report = GroupReport(
            ref,
            outcome,
            zone.name,
            identity,
            reason,
            plan,
            results,
            ordered,
            dry_run,
            transient=recorded.transient,
            newly_governed=recorded.record is not None,
        )
        for failed in report.failed:
            log.error("%s: %s failed: %s", ref, failed.action.key, failed.error)
        return report

    async def _apply_and_record(
        self, subject: Subject, plan: Plan, shared: Shared | None
    ) -> tuple[tuple[ActionResult, ...], _Recorded]:
        """Apply the plan, write the product's first ledger record if it has none, and remember
        the artefacts the plan's actions report (``Remember`` outputs).

        A tag-recognised identity is pinned *before* anything is written for it, so two instances
        racing on a new product cannot act on two identities; a name-recognised product's record
        only notes when it was first governed, so it is written alongside the plan.
        """
        if subject.identity.recorded:
            (results, outputs), recorded = await self._apply(plan, shared), _Recorded()
        elif subject.identity.source == "tags":
            recorded = await self._record(subject)
            if recorded.error is not None:
                return (), recorded
            results, outputs = await self._apply(plan, shared)
        else:
            (results, outputs), recorded = await asyncio.gather(self._apply(plan, shared), self._record(subject))
        remembered = [output for output in outputs.values() if isinstance(output, Remember)]
        if remembered and recorded.error is None:
            error = await self._remember(subject.ref, remembered, recorded.record or subject.record)
            if error is not None:
                recorded = _Recorded(recorded.record, error[0], error[1])
        return results, recorded

    async def _remember(
        self, ref: GroupRef, notes: Sequence[Remember], known: LedgerRecord | None = None
    ) -> tuple[str, bool] | None:
        """Merge artefacts into the ledger row (optimistic; a lost race re-reads). None when done.

        ``known`` is the row as this reconcile last saw it (with its ETag): tried first, so a
        reconcile that read or wrote the row costs one more write here, not a read and a write.
        """
        if known is not None and known.etag is None:
            known = None  # a row never read from the table: nothing to make the write conditional on
        for _ in range(_LEDGER_ATTEMPTS):
            try:
                current, known = known or await self._ledger.get(ref), None
                if current is None:
                    return "writing the ledger failed: the product's record is missing", True
                artifacts = [a for a in current.artifacts if not any(a in note.removed for note in notes)]
                artifacts += [a for note in notes for a in note.added if a not in artifacts]
                await self._ledger.replace(current.with_artifacts(tuple(artifacts)))
                return None
            except LedgerConflict:
                continue
            except Exception as error:
                if not is_azure_error(error):
                    raise
                return f"writing the ledger failed: {describe(error)}", disposition(error) is Disposition.TRANSIENT
        return "writing the ledger failed: the record kept changing", True

    async def _record(self, subject: Subject) -> _Recorded:
        record = LedgerRecord(subject.ref, subject.product, subject.identity.source, first_governed_at=utc_now())
        try:
            try:
                return _Recorded(await self._ledger.create(record))
            except LedgerConflict:
                # Another instance recorded it first. For a pin that must be the same identity, or
                # this reconcile acted on a stale one: fail transiently; the retry uses the pin.
                current = await self._ledger.get(subject.ref)
        except Exception as error:
            if not is_azure_error(error):
                raise
            transient = disposition(error) is Disposition.TRANSIENT
            return _Recorded(error=f"writing the ledger failed: {describe(error)}", transient=transient)
        if current is not None and current.source == "tags" and current.product != record.product:
            pinned = f"{current.product.domain}/{current.product.product}"
            return _Recorded(error=f"the identity was pinned concurrently as {pinned}", transient=True)
        return _Recorded()

    async def _apply(self, plan: Plan, shared: Shared | None = None) -> tuple[tuple[ActionResult, ...], Outputs]:
        """Run the plan in dependency order: each action starts as soon as the ones it depends on are done.

        An action whose prerequisite failed is skipped; once an action finds the group gone, nothing
        else starts. In bulk mode, actions several groups plan alike (creating the landing zone's
        visualization group, a grant on it) have the same key: they run once and every plan gets
        that result.
        """
        planned = {action.key for action in plan}
        ordered = [action for wave in plan.waves() for action in wave]  # raises on a dependency cycle
        outputs: dict[str, object] = {}
        gone = False
        runs: dict[str, asyncio.Future[ActionResult | None]] = {}

        async def run(action: Action) -> ActionResult | None:
            nonlocal gone
            for key in sorted(action.depends_on & planned):
                prerequisite = await runs[key]
                if prerequisite is None:
                    return None  # never started: the group went meanwhile
                if not prerequisite.ok:
                    # Retried with its prerequisite when that failed transiently; terminal otherwise.
                    transient = prerequisite.disposition is Disposition.TRANSIENT
                    verdict = Disposition.TRANSIENT if transient else Disposition.TERMINAL
                    telemetry.action_skipped(action)
                    return ActionResult(action, "skipped: a prerequisite action failed", verdict)
            if gone:
                return None  # the group is gone or going: nothing further can land
            result, output = await self._run_once(action, outputs, shared)
            if result.ok:
                outputs[action.key] = output
            gone = gone or result.group_gone
            return result

        for action in ordered:
            runs[action.key] = asyncio.ensure_future(run(action))
        try:
            results = await asyncio.gather(*runs.values())
        except BaseException:
            for pending in runs.values():
                pending.cancel()
            raise
        return tuple(result for result in results if result is not None), outputs

    async def _run_once(
        self, action: Action, outputs: Mapping[str, object], shared: Shared | None
    ) -> tuple[ActionResult, object]:
        if shared is None:
            return await self._run(action, outputs)
        return await shared.get(action.key, lambda: self._run(action, outputs))

    async def _run(self, action: Action, outputs: Mapping[str, object]) -> tuple[ActionResult, object]:
        aspect = self._by_name[action.aspect]
        async with self._writes.held():
            with telemetry.applying(action) as done:  # the SDK's spans of this action nest under it
                try:
                    output = await aspect.execute(action, outputs)
                except Exception as error:
                    if not is_azure_error(error):
                        raise  # a bug, not an Azure outcome: let it surface with its traceback
                    verdict = aspect.interpret(action, error)
                    return done(ActionResult(action, describe(error), verdict)), None
                return done(ActionResult(action)), output


def _recorded(identity: Identity) -> Identity:
    return Identity(identity.product, identity.source, recorded=True, conflict=identity.conflict)


def _deleting(zone: LandingZone, ref: GroupRef, dry_run: bool) -> GroupReport:
    return GroupReport(ref, Outcome.DELETING, zone.name, reason="resource group is being deleted", dry_run=dry_run)


def _outcome(plan: Plan, results: Sequence[ActionResult], conditions: Sequence[Condition], dry_run: bool) -> Outcome:
    if any(result.disposition is Disposition.GROUP_GONE for result in results):
        return Outcome.NOT_FOUND
    if any(result.disposition is Disposition.GROUP_DELETING for result in results):
        return Outcome.DELETING
    if any(c.status is Status.FAILED for c in conditions):
        return Outcome.FAILED
    if plan:
        return Outcome.PLANNED if dry_run else Outcome.CHANGED
    return Outcome.COMPLIANT
