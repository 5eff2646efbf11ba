"""Queue trigger: the estate fan-out's worker — one landing zone of a run per message.

``POST /api/sync`` and the timer enqueue one message per landing zone (``shared/fanout.py`` says
its shape); each message is reconciled here with the zone's bulk observe, plan and apply, on
whichever instance the platform gives it, and its report is recorded in the runs table where the
run's status URL finds it. A redelivered message reconciles again, which is harmless (the reconcile
is level-triggered and its record is replaced). A transient failure is recorded as ``retrying`` and
raised, so the host retries the message; after ``extensions.queues.maxDequeueCount`` (host.json)
the host moves it to ``<queue>-poison`` and logs the error. A malformed message raises too (it ends
in the poison queue); a landing zone no longer in the config is recorded as done, with no groups.
"""

from __future__ import annotations

import datetime
import logging

import azure.functions as func

from shared.azure.runs import RunStore
from shared.correlation import Trigger, triggered_by
from shared.engine import EngineProvider
from shared.fanout import ZoneMessage, ZoneRecord, ZoneState, combine, run_status
from shared.reconciler import TransientFailure
from shared.report import render_table
from shared.settings import reconcile_queue

log = logging.getLogger("dpgov.queue")


def blueprint(provider: EngineProvider) -> func.Blueprint:
    bp = func.Blueprint()

    @bp.function_name("reconcile_zone")
    @bp.queue_trigger(arg_name="message", queue_name=reconcile_queue(), connection="AzureWebJobsStorage")
    async def reconcile_zone(message: func.QueueMessage) -> None:
        zone_message = ZoneMessage.parse(message.get_body().decode("utf-8", errors="replace"))
        trigger = Trigger.HTTP if zone_message.trigger == "http" else Trigger.TIMER
        with triggered_by(trigger):
            await run(zone_message, attempt=message.dequeue_count or 1)

    async def run(message: ZoneMessage, *, attempt: int) -> None:
        engine = await provider.engine()
        if engine.runs is None:
            raise RuntimeError("the engine has no runs table")
        zones = [zone for zone in engine.config.landing_zones if zone.name == message.landing_zone]
        now = datetime.datetime.now
        if not zones:
            log.warning("run %s: landing zone %s is no longer configured", message.run_id, message.landing_zone)
            empty = combine([], dry_run=message.dry_run, duration_ms=0.0)
            record = ZoneRecord(message.landing_zone, ZoneState.DONE, attempt, now(datetime.UTC), empty)
            await engine.runs.record(message.run_id, record)
            return
        report = await engine.reconciler.reconcile_all(
            zones=zones, dry_run=message.dry_run, request_id=message.request_id
        )
        if report.transient_failures:
            failure = TransientFailure(report.transient_failures)
            record = ZoneRecord(
                message.landing_zone, ZoneState.RETRYING, attempt, now(datetime.UTC), error=str(failure)
            )
            await engine.runs.record(message.run_id, record)
            raise failure
        counts = ", ".join(f"{outcome} {count}" for outcome, count in report.counts.items() if count)
        log.info(
            "run %s: landing zone %s reconciled, %d groups in %.0f ms: %s",
            message.run_id,
            message.landing_zone,
            len(report.groups),
            report.duration_ms,
            counts or "nothing",
        )
        changed = [group for group in report.groups if group.plan or group.failed or group.compliant is False]
        if changed:
            log.info("changes in %s:\n%s", message.landing_zone, render_table(changed))
        record = ZoneRecord(message.landing_zone, ZoneState.DONE, attempt, now(datetime.UTC), report.to_dict())
        await engine.runs.record(message.run_id, record)
        await log_if_finished(engine.runs, message.run_id)

    async def log_if_finished(runs: RunStore, run_id: str) -> None:
        """Whoever records a run's last zone logs the estate's counts (the lines the workbook reads).

        Records are written before this read, so of two instances finishing the last two zones at
        once at least one sees the run finished (both may: the workbook takes the latest line).
        """
        progress = await runs.get(run_id, reports=False)
        if progress is None or run_status(*progress)["progress"]["done"] < len(progress[0].zones):
            return
        found = await runs.get(run_id)
        status = run_status(*found) if found is not None else None
        if status is None or status["status"] != "succeeded":
            return
        report = status["report"]
        summary = {k: v for k, v in report["summary"].items() if k not in {"groups", "actions"}}
        counts = ", ".join(f"{outcome} {count}" for outcome, count in summary.items() if count)
        groups, duration_ms = report["summary"]["groups"], report["duration_ms"]
        log.info("reconciled %d groups in %.0f ms: %s", groups, duration_ms, counts or "nothing")
        for aspect, statuses in report["conditions"].items():
            log.info("  %s: %s", aspect, ", ".join(f"{status} {count}" for status, count in statuses.items()))

    return bp
