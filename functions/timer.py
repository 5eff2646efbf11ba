"""Timer trigger: reconcile every landing zone, repairing drift and anything an event missed.

Observes in bulk (one paged list per subscription), so a compliant estate costs a handful of reads
and zero writes. Transient failures are raised after every other group was done, so the host's
retry policy runs it again and the invocation shows as failed in monitoring.
"""

from __future__ import annotations

import logging

import azure.functions as func

from shared.correlation import Trigger, reconcile_id, triggered_by
from shared.engine import EngineProvider
from shared.reconciler import TransientFailure
from shared.report import render_table
from shared.settings import reconcile_schedule

log = logging.getLogger("dpgov.timer")


def blueprint(provider: EngineProvider) -> func.Blueprint:
    bp = func.Blueprint()

    @bp.function_name("reconcile")
    @bp.timer_trigger(arg_name="timer", schedule=reconcile_schedule(), run_on_startup=False)
    @bp.retry(
        strategy="exponential_backoff",
        max_retry_count="3",
        minimum_interval="00:00:10",
        maximum_interval="00:05:00",
    )
    async def reconcile(timer: func.TimerRequest) -> None:
        # One id for the run, on every request it makes and every record it logs (dpgov.reconcile_id).
        with triggered_by(Trigger.TIMER), reconcile_id() as run_id:
            await run(timer, run_id)

    async def run(timer: func.TimerRequest, run_id: str) -> None:
        if timer.past_due:
            log.warning("reconcile timer is past due; running now")
        engine = await provider.engine()
        report = await engine.reconciler.reconcile_all(request_id=run_id)
        counts = ", ".join(f"{outcome} {count}" for outcome, count in report.counts.items() if count)
        log.info("reconciled %d groups in %.0f ms: %s", len(report.groups), report.duration_ms, counts or "nothing")
        for aspect, statuses in report.condition_counts().items():
            log.info("  %s: %s", aspect, ", ".join(f"{status} {count}" for status, count in statuses.items()))
        changed = [group for group in report.groups if group.plan or group.failed or group.compliant is False]
        if changed:
            log.info("changes:\n%s", render_table(changed))
        if report.transient_failures:
            raise TransientFailure(report.transient_failures)

    return bp
