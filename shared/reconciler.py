"""The control loop: observe → desire → plan → apply → report, for one group or a whole estate.

Like a controller-runtime ``Reconcile``, a request names a group and carries no event: whatever
triggered it, the truth is read from Azure now, so duplicate, late or out-of-order events all
converge on the same state. Transient Azure failures propagate from ``reconcile_group`` (Event Grid
then redelivers); terminal outcomes are returned as a report. ``reconcile_all`` observes in bulk,
one paged list per subscription, and never lets one group's trouble stop the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol

from azure.core.exceptions import ResourceNotFoundError

from shared.classify import Unclassified, classify
from shared.config import GovernanceConfig, LandingZone
from shared.desire import desire
from shared.errors import describe, is_azure_error, is_transient
from shared.model import GroupRef, ObservedGroup
from shared.plan import Action, MergeTags, Plan, plan_group
from shared.report import ActionResult, EstateReport, GroupReport, Outcome

log = logging.getLogger(__name__)


class GroupStore(Protocol):
    """The ARM port the reconciler needs (implemented by ``shared.azure.resource_groups``)."""

    async def get(self, ref: GroupRef) -> ObservedGroup | None: ...

    def list(self, subscription_id: str) -> AsyncIterator[ObservedGroup]: ...

    async def merge_tags(self, ref: GroupRef, tags: Mapping[str, str]) -> None: ...


class Reconciler:
    """Reconciles data-product resource groups against the governance config."""

    def __init__(self, config: GovernanceConfig, groups: GroupStore, *, max_concurrency: int = 16) -> None:
        self._config = config
        self._groups = groups
        self._writes = asyncio.Semaphore(max_concurrency)

    async def reconcile_group(self, ref: GroupRef, *, dry_run: bool = False) -> GroupReport:
        """Reconcile one group. Raises on transient failure; anything else is in the report."""
        zone = self._config.landing_zone_for(ref.subscription_id)
        if zone is None:
            return GroupReport(
                ref,
                Outcome.UNKNOWN_LANDING_ZONE,
                reason="subscription is not a configured landing zone",
                dry_run=dry_run,
            )
        try:
            observed = await self._groups.get(ref)
        except Exception as error:
            if not is_azure_error(error) or is_transient(error):
                raise
            log.error("%s: reading the resource group failed: %s", ref, describe(error))
            reason = f"reading the resource group failed: {describe(error)}"
            return GroupReport(ref, Outcome.FAILED, zone.name, reason=reason, dry_run=dry_run)
        if observed is None:
            return GroupReport(ref, Outcome.NOT_FOUND, zone.name, reason="resource group not found", dry_run=dry_run)
        report = await self._reconcile_observed(zone, observed, dry_run=dry_run)
        if report.transient_failure:
            raise TransientFailure((report,))
        return report

    async def reconcile_all(self, *, dry_run: bool = False, zones: Sequence[LandingZone] | None = None) -> EstateReport:
        """Reconcile every group of every landing zone, observing each subscription with one list.

        Subscriptions are listed concurrently, and each group is reconciled as soon as its page
        arrives, so repairing drift overlaps with reading the next pages. Azure failing for one
        landing zone or group is reported and the rest carry on; a bug cancels everything.
        """
        started = time.perf_counter()
        selected = zones if zones is not None else self._config.landing_zones
        async with asyncio.TaskGroup() as zone_tasks:
            per_zone = [zone_tasks.create_task(self._reconcile_zone(zone, dry_run=dry_run)) for zone in selected]
        reports = sorted((report for task in per_zone for report in task.result()), key=lambda r: r.group.key)
        return EstateReport(tuple(reports), dry_run, (time.perf_counter() - started) * 1000)

    async def _reconcile_zone(self, zone: LandingZone, *, dry_run: bool) -> list[GroupReport]:
        tasks: list[asyncio.Task[GroupReport]] = []
        failure: list[GroupReport] = []
        async with asyncio.TaskGroup() as group_tasks:
            try:
                async for group in self._groups.list(zone.subscription_id):
                    tasks.append(group_tasks.create_task(self._reconcile_observed(zone, group, dry_run=dry_run)))
            except Exception as error:
                if not is_azure_error(error):
                    raise
                level = logging.WARNING if is_transient(error) else logging.ERROR
                log.log(level, "listing landing zone %s failed: %s", zone.name, describe(error))
                failure.append(
                    GroupReport(
                        GroupRef(zone.subscription_id, "*"),
                        Outcome.FAILED,
                        zone.name,
                        reason=f"listing the landing zone's resource groups failed: {describe(error)}",
                        transient=is_transient(error),
                        dry_run=dry_run,
                    )
                )
        return [task.result() for task in tasks] + failure

    async def _reconcile_observed(self, zone: LandingZone, observed: ObservedGroup, *, dry_run: bool) -> GroupReport:
        ref = observed.ref
        if observed.deleting:
            return GroupReport(
                ref, Outcome.DELETING, zone.name, reason="resource group is being deleted", dry_run=dry_run
            )
        identity = classify(self._config, zone, ref.name, observed.tags)
        if isinstance(identity, Unclassified):
            return GroupReport(ref, Outcome.UNCLASSIFIED, zone.name, reason=identity.reason, dry_run=dry_run)

        plan = plan_group(desire(self._config, ref, identity), observed)
        if not plan:
            return GroupReport(ref, Outcome.COMPLIANT, zone.name, identity, dry_run=dry_run)
        if dry_run:
            return GroupReport(ref, Outcome.PLANNED, zone.name, identity, plan=plan, dry_run=True)

        results = await self._apply(plan)
        if any(result.not_found for result in results):
            reason = "resource group was deleted while it was being reconciled"
            return GroupReport(ref, Outcome.NOT_FOUND, zone.name, identity, reason, plan=plan, results=results)
        outcome = Outcome.CHANGED if all(result.ok for result in results) else Outcome.FAILED
        report = GroupReport(ref, outcome, zone.name, identity, plan=plan, results=results)
        for failure in report.failed:
            log.error("%s: %s failed: %s", ref, failure.action.key, failure.error)
        return report

    async def _apply(self, plan: Plan) -> tuple[ActionResult, ...]:
        """Run the plan wave by wave; actions within a wave run concurrently."""
        results: list[ActionResult] = []
        failed: set[str] = set()
        for wave in plan.waves():
            runnable = [action for action in wave if not (action.depends_on & failed)]
            skipped = [action for action in wave if action.depends_on & failed]
            results.extend(ActionResult(action, error="skipped: a prerequisite action failed") for action in skipped)
            outcomes = await asyncio.gather(*(self._run(action) for action in runnable))
            results.extend(outcomes)
            failed.update(result.action.key for result in outcomes if not result.ok)
            failed.update(action.key for action in skipped)
        return tuple(results)

    async def _run(self, action: Action) -> ActionResult:
        async with self._writes:
            try:
                match action:
                    case MergeTags(group=group, tags=tags):
                        await self._groups.merge_tags(group, tags)
            except ResourceNotFoundError as error:
                return ActionResult(action, error=describe(error), not_found=True)
            except Exception as error:
                if not is_azure_error(error):
                    raise  # a bug, not an Azure outcome: let it surface with its traceback
                return ActionResult(action, error=describe(error), transient=is_transient(error))
        return ActionResult(action)


class TransientFailure(RuntimeError):
    """Some groups failed for reasons a retry can fix; raised after everything else was done.

    Carries the reports so the caller can still log and return what did happen.
    """

    def __init__(self, reports: Sequence[GroupReport]) -> None:
        failures = "; ".join(
            f"{report.group}: {report.reason or ''}{'; '.join(r.error or '' for r in report.failed)}"
            for report in reports
        )
        super().__init__(f"transient failure, retry later: {failures}")
        self.reports = tuple(reports)
