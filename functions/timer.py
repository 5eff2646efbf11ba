"""Timer trigger: start a run over every landing zone, repairing drift and anything an event missed.

It only enqueues: one message per landing zone on the reconcile queue (``functions/queue.py``
reconciles each, observing in bulk: one paged list per subscription, so a compliant estate costs a
handful of reads and zero writes). Failing to enqueue raises, so the host's retry policy runs it
again; a zone that fails transiently is retried by the queue trigger.
"""

from __future__ import annotations

import logging

import azure.functions as func

from shared.azure.runs import start_run
from shared.config import ConfigError
from shared.correlation import Trigger, reconcile_id, triggered_by
from shared.engine import EngineProvider
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
        if engine.runs is None or engine.queue is None:
            raise ConfigError("the estate fan-out's runs table and queue are not wired into this engine")
        zones = [zone.name for zone in engine.config.landing_zones]
        run = await start_run(
            engine.runs,
            engine.queue,
            zones,
            dry_run=False,
            trigger="timer",
            request_id=run_id,
            graph_min_zones=engine.settings.resource_graph_min_zones,
        )
        log.info("run %s: %d landing zones enqueued", run.run_id, len(zones))

    return bp
