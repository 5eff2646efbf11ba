"""HTTP trigger: manual re-sync (one group or everything, with dry-run), inventory and health.

Routes (auth level FUNCTION except health):
  POST   /api/dataproducts/{subscriptionId}/{resourceGroup}/sync[?dryRun=true]
  DELETE /api/dataproducts/{subscriptionId}/{resourceGroup}/pin   (operator: remove a tag pin)
  POST   /api/sync[?dryRun=true]                     (202: one queue message per landing zone, a status URL)
  GET    /api/sync/runs/{runId}                      (the run's progress; once done, the estate report)
  GET    /api/dataproducts[?landingZone=NAME]
  GET    /api/inventory                              (the compliance page over the two above; HTML)
  GET    /api/health                                 (anonymous: {"status": "ok" | "unhealthy"} only)
  GET    /api/health/details                         (landing zones, domains, aspects, config errors)

The request only *names* a group; what is granted or written comes from the config alone. Invalid
input is answered 400 and unknown things 404, both with an ARM-style JSON error and no change made.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func

from functions import compliance_page
from shared.azure.runs import RunQueue, RunStore, start_run
from shared.config import RESOURCE_GROUP_NAME_PATTERN, SUBSCRIPTION_ID_PATTERN, ConfigError
from shared.correlation import Trigger, triggered_by
from shared.engine import Engine, EngineProvider
from shared.errors import describe, is_transient
from shared.fanout import run_status
from shared.ledger import UnpinRefused
from shared.model import GroupRef
from shared.reconciler import TransientFailure
from shared.report import EstateReport, Outcome, inventory

log = logging.getLogger("dpgov.http")

RETRY_AFTER_SECONDS = "30"
STATUS_RETRY_AFTER_SECONDS = "5"  # how soon a caller should poll a run's status again
_SUBSCRIPTION_ID = re.compile(SUBSCRIPTION_ID_PATTERN)
_GROUP_NAME = re.compile(RESOURCE_GROUP_NAME_PATTERN)
_STATUS_BY_OUTCOME = {Outcome.NOT_FOUND: 404, Outcome.UNKNOWN_LANDING_ZONE: 404, Outcome.FAILED: 502}


class BadRequest(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body, indent=2, sort_keys=False) + "\n",
        status_code=status,
        headers=headers,
        mimetype="application/json",
        charset="utf-8",
    )


def error_response(status: int, code: str, message: str, **extra: Any) -> func.HttpResponse:
    headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
    return json_response({"error": {"code": code, "message": message}, **extra}, status, headers)


def dry_run_flag(request: func.HttpRequest) -> bool:
    raw = request.params.get("dryRun")
    if raw is None or raw.lower() in {"false", "0", "no"}:
        return False
    if raw == "" or raw.lower() in {"true", "1", "yes"}:
        return True
    raise BadRequest("InvalidQueryParameter", f"dryRun must be true or false, got {raw!r}")


def group_from_route(request: func.HttpRequest) -> GroupRef:
    subscription_id = request.route_params.get("subscriptionId", "")
    group_name = request.route_params.get("resourceGroup", "")
    if not _SUBSCRIPTION_ID.fullmatch(subscription_id):
        raise BadRequest("InvalidSubscriptionId", f"{subscription_id!r} is not a subscription id (a GUID)")
    if not _GROUP_NAME.fullmatch(group_name):
        raise BadRequest(
            "InvalidResourceGroupName",
            f"{group_name!r} is not a valid resource group name (1-90 letters, digits, '_-.()', not ending in '.')",
        )
    return GroupRef(subscription_id.lower(), group_name)


def caller_request_id(request: func.HttpRequest) -> str | None:
    """The caller's ``x-ms-client-request-id`` when it is a GUID (it only labels requests), else None."""
    value = (request.headers.get("x-ms-client-request-id") or "").strip()
    return value.lower() if _SUBSCRIPTION_ID.fullmatch(value) else None


def estate_response(body: Any, report: EstateReport) -> func.HttpResponse:
    """200, or 503 (+ Retry-After) when some group failed transiently, else 502 when one failed."""
    if report.transient_failures:
        return json_response(body, 503, {"Retry-After": RETRY_AFTER_SECONDS})
    return json_response(body, 502 if any(g.outcome is Outcome.FAILED for g in report.groups) else 200)


def base_url(request: func.HttpRequest) -> str:
    """The request's URL without its query (which may carry the function key) or trailing slash."""
    parts = urlsplit(request.url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def fanout(engine: Engine) -> tuple[RunStore, RunQueue]:
    if engine.runs is None or engine.queue is None:
        raise ConfigError("the estate fan-out's runs table and queue are not wired into this engine")
    return engine.runs, engine.queue


Handler = Callable[[func.HttpRequest], Awaitable[func.HttpResponse]]


def answers_errors(handler: Handler) -> Handler:
    """Map failures to HTTP answers: bad input 400, bad config 500, Azure trouble 503; bugs raise.

    The handler's reconciles are telemetry's trigger ``http``.
    """

    @functools.wraps(handler)
    async def handle(req: func.HttpRequest) -> func.HttpResponse:
        try:
            with triggered_by(Trigger.HTTP):
                return await handler(req)
        except BadRequest as error:
            return error_response(400, error.code, str(error))
        except ConfigError as error:
            log.error("governance config is invalid: %s", error)
            return error_response(500, "InvalidGovernanceConfig", str(error))
        except TransientFailure as failure:
            reports = [report.to_dict() for report in failure.reports]
            return error_response(503, "TransientFailure", str(failure), reports=reports)
        except Exception as error:
            if not is_transient(error):
                raise
            path = urlsplit(req.url).path  # never the query: it carries the function key
            log.warning("%s %s failed transiently: %s", req.method, path, describe(error))
            return error_response(503, "AzureUnavailable", describe(error))

    return handle


def blueprint(provider: EngineProvider) -> func.Blueprint:
    bp = func.Blueprint(http_auth_level=func.AuthLevel.FUNCTION)

    @bp.function_name("sync_data_product")
    @bp.route(route="dataproducts/{subscriptionId}/{resourceGroup}/sync", methods=["POST"])
    @answers_errors
    async def sync_data_product(req: func.HttpRequest) -> func.HttpResponse:
        ref, dry_run = group_from_route(req), dry_run_flag(req)
        engine = await provider.engine()
        report = await engine.reconciler.reconcile_group(ref, dry_run=dry_run, request_id=caller_request_id(req))
        status = _STATUS_BY_OUTCOME.get(report.outcome, 200)
        if status == 404:
            code = "ResourceGroupNotFound" if report.outcome is Outcome.NOT_FOUND else "UnknownLandingZone"
            return error_response(404, code, f"{ref}: {report.reason}", report=report.to_dict())
        return json_response(report.to_dict(), status)

    @bp.function_name("unpin_data_product")
    @bp.route(route="dataproducts/{subscriptionId}/{resourceGroup}/pin", methods=["DELETE"])
    @answers_errors
    async def unpin_data_product(req: func.HttpRequest) -> func.HttpResponse:
        ref = group_from_route(req)
        engine = await provider.engine()
        try:
            removed = await engine.reconciler.unpin(ref)
        except UnpinRefused as refused:
            return error_response(409, "UnpinRefused", str(refused))
        if removed is None:
            return error_response(404, "PinNotFound", f"{ref}: no pinned identity")
        product = removed.product.to_dict() if removed.product else None
        log.warning("%s: pinned identity %s removed by an operator", ref, product)
        status = 502 if removed.outcome is Outcome.FAILED else 200
        return json_response({"unpinned": product, "resource_group": ref.name, "retired": removed.to_dict()}, status)

    @bp.function_name("sync_all")
    @bp.route(route="sync", methods=["POST"])
    @answers_errors
    async def sync_all(req: func.HttpRequest) -> func.HttpResponse:
        """Start a run: one queue message per landing zone; 202 with the status URL (async request-reply)."""
        dry_run = dry_run_flag(req)
        engine = await provider.engine()
        runs, queue = fanout(engine)
        zones = [zone.name for zone in engine.config.landing_zones]
        run = await start_run(
            runs,
            queue,
            zones,
            dry_run=dry_run,
            trigger="http",
            request_id=caller_request_id(req),
            graph_min_zones=engine.settings.resource_graph_min_zones,
        )
        status_url = f"{base_url(req)}/runs/{run.run_id}"
        log.info("run %s: %d landing zones enqueued (dry run: %s)", run.run_id, len(zones), dry_run)
        body = {"run_id": run.run_id, "status": "running", "dry_run": dry_run, "landing_zones": list(run.zones)}
        headers = {"Location": status_url, "Retry-After": STATUS_RETRY_AFTER_SECONDS}
        return json_response({**body, "status_url": status_url}, 202, headers)

    @bp.function_name("sync_run_status")
    @bp.route(route="sync/runs/{runId}", methods=["GET"])
    @answers_errors
    async def sync_run_status(req: func.HttpRequest) -> func.HttpResponse:
        """A run's progress (202 while running, with Retry-After); 200 with the estate report once done."""
        run_id = req.route_params.get("runId", "")
        if not _SUBSCRIPTION_ID.fullmatch(run_id):
            raise BadRequest("InvalidRunId", f"{run_id!r} is not a run id (a GUID)")
        runs, _ = fanout(await provider.engine())
        found = await runs.get(run_id.lower())
        if found is None:
            return error_response(404, "RunNotFound", f"no run {run_id}")
        body = run_status(*found)
        if body["status"] == "running":
            return json_response(body, 202, {"Retry-After": STATUS_RETRY_AFTER_SECONDS})
        return json_response(body)

    @bp.function_name("list_data_products")
    @bp.route(route="dataproducts", methods=["GET"])
    @answers_errors
    async def list_data_products(req: func.HttpRequest) -> func.HttpResponse:
        engine = await provider.engine()
        zone_name = req.params.get("landingZone")
        zones = engine.config.landing_zones
        if zone_name is not None:
            zones = [zone for zone in zones if zone.name == zone_name]
            if not zones:
                return error_response(404, "UnknownLandingZone", f"no landing zone named {zone_name!r}")
        report = await engine.reconciler.reconcile_all(dry_run=True, zones=zones)
        return estate_response(inventory(report), report)

    @bp.function_name("compliance_page")
    @bp.route(route="inventory", methods=["GET"])
    async def compliance(req: func.HttpRequest) -> func.HttpResponse:
        """The compliance page: static HTML whose script reads the two routes above with the same key."""
        return compliance_page.response(req)

    @bp.function_name("health")
    @bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    async def health(req: func.HttpRequest) -> func.HttpResponse:
        """Anonymous liveness for load balancers: says nothing about the estate or the config."""
        del req
        try:
            provider.config()
        except ConfigError:
            return json_response({"status": "unhealthy"}, 503)
        return json_response({"status": "ok"})

    @bp.function_name("health_details")
    @bp.route(route="health/details", methods=["GET"])
    async def health_details(req: func.HttpRequest) -> func.HttpResponse:
        """Behind a function key: what the app governs, or exactly what is wrong with its config."""
        del req
        try:
            config = provider.config()
            settings = provider.settings()
        except ConfigError as error:
            return json_response({"status": "unhealthy", "error": str(error)}, 503)
        return json_response(
            {
                "status": "ok",
                "landing_zones": [zone.name for zone in config.landing_zones],
                "domains": sorted(config.domains),
                "aspects": list(provider.aspect_names(config)),
                "ledger_table": settings.ledger_table,
                "tag_recognition": config.recognition.use_tags,
                # This instance's outcome events (published, failed after retries, repeated); null: no topic.
                "outcome_events": stats.to_dict() if (stats := provider.outcome_stats()) is not None else None,
            }
        )

    return bp
