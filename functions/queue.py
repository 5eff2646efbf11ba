"""Queue trigger: the estate fan-out's worker — one landing zone of a run per message, or one batch
of a large estate's zones, observed with Resource Graph.

``POST /api/sync`` and the timer enqueue the messages (``shared/fanout.py`` says their shape); each
is reconciled here with the zones' bulk observe, plan and apply, on whichever instance the platform
gives it, and each zone's report is recorded in the runs table where the run's status URL finds it.
A redelivered message reconciles again, which is harmless (the reconcile is level-triggered and its
records are replaced). A zone with a transient failure is recorded as ``retrying`` and the failure
raised, so the host retries the message; on the host's last delivery
(``extensions.queues.maxDequeueCount`` in host.json) it is recorded as ``failed`` instead, so the
run ends (``failed``) rather than waiting forever, and the host moves the message to
``<queue>-poison``. A malformed message raises too (it ends in the poison queue); a landing zone no
longer in the config is recorded as done, with no groups.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

import azure.functions as func

from shared.azure.runs import RunStore
from shared.correlation import Trigger, triggered_by
from shared.engine import EngineProvider
from shared.fanout import ZoneMessage, ZoneRecord, ZoneState, combine, run_status
from shared.reconciler import TransientFailure
from shared.report import EstateReport, GroupReport, render_table
from shared.settings import max_dequeue_count, reconcile_queue

log = logging.getLogger("dpgov.queue")


def blueprint(provider: EngineProvider) -> func.Blueprint:
    bp = func.Blueprint()

    @bp.function_name("reconcile_zone")
    @bp.queue_trigger(arg_name="message", queue_name=reconcile_queue(), connection="AzureWebJobsStorage")
    async def reconcile_zone(message: func.QueueMessage, context: func.Context) -> None:
        zone_message = ZoneMessage.parse(message.get_body().decode("utf-8", errors="replace"))
        trigger = Trigger.HTTP if zone_message.trigger == "http" else Trigger.TIMER
        # The host's last delivery before the poison queue: host.json in the app's root.
        last_attempt = max_dequeue_count(Path(context.function_directory) / "host.json")
        with triggered_by(trigger):
            await run(zone_message, attempt=message.dequeue_count or 1, last_attempt=last_attempt)

    async def run(message: ZoneMessage, *, attempt: int, last_attempt: int) -> None:
        engine = await provider.engine()
        if engine.runs is None:
            raise RuntimeError("the engine has no runs table")
        runs, now = engine.runs, datetime.datetime.now
        configured = {zone.name: zone for zone in engine.config.landing_zones}
        zones = [configured[name] for name in message.landing_zones if name in configured]
        for name in message.landing_zones:
            if name not in configured:
                log.warning("run %s: landing zone %s is no longer configured", message.run_id, name)
                empty = combine([], dry_run=message.dry_run, duration_ms=0.0)
                await runs.record(message.run_id, ZoneRecord(name, ZoneState.DONE, attempt, now(datetime.UTC), empty))
        if not zones:
            await log_if_finished(runs, message.run_id)
            return
        report = await engine.reconciler.reconcile_all(
            zones=zones, dry_run=message.dry_run, request_id=message.request_id, resource_graph=message.resource_graph
        )
        retried: list[GroupReport] = []
        for zone in zones:
            part = EstateReport(
                tuple(group for group in report.groups if group.landing_zone == zone.name),
                report.dry_run,
                report.duration_ms,
            )
            if part.transient_failures:
                retried.extend(part.transient_failures)
                error = str(TransientFailure(part.transient_failures))
                state = ZoneState.FAILED if attempt >= last_attempt else ZoneState.RETRYING
                await runs.record(message.run_id, ZoneRecord(zone.name, state, attempt, now(datetime.UTC), error=error))
                continue
            summarize(message.run_id, zone.name, part)
            record = ZoneRecord(zone.name, ZoneState.DONE, attempt, now(datetime.UTC), part.to_dict())
            await runs.record(message.run_id, record)
        if retried:
            if attempt >= last_attempt:
                log.error(
                    "run %s: giving up on %s after %d attempts; the message goes to the poison queue",
                    message.run_id,
                    ", ".join(message.landing_zones),
                    attempt,
                )
                await log_if_finished(runs, message.run_id)
            raise TransientFailure(tuple(retried))
        await log_if_finished(runs, message.run_id)

    def summarize(run_id: str, zone: str, report: EstateReport) -> None:
        counts = ", ".join(f"{outcome} {count}" for outcome, count in report.counts.items() if count)
        log.info(
            "run %s: landing zone %s reconciled, %d groups in %.0f ms: %s",
            run_id,
            zone,
            len(report.groups),
            report.duration_ms,
            counts or "nothing",
        )
        changed = [group for group in report.groups if group.plan or group.failed or group.compliant is False]
        if changed:
            log.info("changes in %s:\n%s", zone, render_table(changed))

    async def log_if_finished(runs: RunStore, run_id: str) -> None:
        """Whoever records a run's last zone logs the estate's counts (the lines the workbook reads).

        Records are written before this read, so of two instances finishing the last two zones at
        once at least one sees the run finished (both may: the workbook takes the latest line).
        """
        progress = await runs.get(run_id, reports=False)
        if progress is None:
            return
        counted = run_status(*progress)["progress"]
        if counted["done"] + counted["failed"] < len(progress[0].zones):
            return
        found = await runs.get(run_id)
        status = run_status(*found) if found is not None else None
        if status is None:
            return
        if status["status"] == "failed":
            given_up = [zone["landing_zone"] for zone in status["landing_zones"] if zone["state"] == "failed"]
            log.error("run %s finished without landing zones %s (see the poison queue)", run_id, ", ".join(given_up))
        report = status["report"]
        summary = {k: v for k, v in report["summary"].items() if k not in {"groups", "actions"}}
        counts = ", ".join(f"{outcome} {count}" for outcome, count in summary.items() if count)
        groups, duration_ms = report["summary"]["groups"], report["duration_ms"]
        log.info("reconciled %d groups in %.0f ms: %s", groups, duration_ms, counts or "nothing")
        for aspect, statuses in report["conditions"].items():
            log.info("  %s: %s", aspect, ", ".join(f"{status} {count}" for status, count in statuses.items()))

    return bp
