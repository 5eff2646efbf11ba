"""Event Grid trigger: subscription events → reconcile the named data-product group.

Takes both the Event Grid schema and CloudEvents (the worker hands over an EventGridEvent or a
CloudEvent). Transient Azure failures raise so Event Grid redelivers; every other outcome returns
after logging its report. The caller's claims in the event are personal data and are never logged.
"""

from __future__ import annotations

import datetime
import logging

import azure.functions as func

from shared.correlation import Trigger, reconcile_id, triggered_by
from shared.engine import EngineProvider
from shared.events import Ignored, MalformedEvent, ResourceEvent, route_event
from shared.report import Outcome, summarize

log = logging.getLogger("dpgov.events")


def resource_event(event: func.EventGridEvent | func.CloudEvent) -> ResourceEvent:
    """Read the fields the app uses from either schema's event object."""
    if isinstance(event, func.CloudEvent):
        return ResourceEvent.from_fields(
            id=event.id, event_type=event.type, subject=event.subject, data=event.get_json()
        )
    return ResourceEvent.from_fields(
        id=event.id, event_type=event.event_type, subject=event.subject, data=event.get_json()
    )


def event_time(event: func.EventGridEvent | func.CloudEvent) -> datetime.datetime | None:
    """When Azure raised the event (``eventTime``; CloudEvents: ``time``): where event-to-governed starts."""
    return event.time if isinstance(event, func.CloudEvent) else event.event_time


def blueprint(provider: EngineProvider) -> func.Blueprint:
    bp = func.Blueprint()

    @bp.function_name("on_resource_event")
    @bp.event_grid_trigger(arg_name="event")
    async def on_resource_event(event: func.EventGridEvent) -> None:
        try:
            parsed = resource_event(event)
        except MalformedEvent as error:
            # Redelivery cannot fix a malformed event; log enough to find it (no claims) and ack.
            log.error("malformed event %s ignored: %s", getattr(event, "id", "?"), error)
            return
        # Every record logged from here on and the reconcile's spans carry the event id (dpgov.reconcile_id).
        with triggered_by(Trigger.EVENT, event_time=event_time(event)), reconcile_id(parsed.id):
            await handle(parsed)

    async def handle(parsed: ResourceEvent) -> None:
        engine = await provider.engine()
        decision = route_event(engine.config, parsed, own_object_id=engine.settings.identity_object_id)
        if isinstance(decision, Ignored):
            log.info("event %s (%s) acknowledged: %s", parsed.id, parsed.operation_name, decision.why)
            return
        if decision.screened:
            # A resource write cannot make its group a product: a group recently read and found not
            # to be one (and unpinned) is acknowledged without reading it again.
            why = await engine.reconciler.screen(decision.group)
            if why is not None:
                log.info("event %s (%s) acknowledged: %s", parsed.id, parsed.operation_name, why)
                return
        log.info("event %s: reconciling %s (%s)", parsed.id, decision.group, decision.why)
        # The event id goes out as x-ms-client-request-id on every request of this reconcile, so
        # ARM's activity log and the events the app's writes raise point back at this log line.
        report = await engine.reconciler.reconcile_group(decision.group, request_id=parsed.id)
        # Everything in the message text: the Functions worker does not forward ``extra`` fields.
        level = logging.ERROR if report.outcome is Outcome.FAILED else logging.INFO
        log.log(level, "event %s: %s %s", parsed.id, decision.group, summarize(report))

    return bp
