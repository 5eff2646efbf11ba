"""Composition root: the Function App and its blueprints, one per way in.

Nothing here does work; it wires one ``EngineProvider`` (settings → config → Azure clients →
reconciler, built lazily on first use) into each blueprint, turns telemetry on once per worker
process when Application Insights is configured, and sets the worker's garbage-collector thresholds
(``shared.collector``).
"""

import logging

import azure.functions as func

from functions import events, http_api, queue, timer
from shared import telemetry
from shared.collector import tune_collector
from shared.config import ConfigError
from shared.engine import EngineProvider
from shared.settings import TelemetrySettings

# The SDKs log every HTTP request and token acquisition at INFO; keep the app's own records readable.
for noisy in ("azure.core.pipeline.policies.http_logging_policy", "azure.identity"):
    logging.getLogger(noisy).setLevel(logging.WARNING)

# OpenTelemetry to Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set; nothing otherwise.
# A bad telemetry setting (or connection string) turns telemetry off, never governance.
try:
    telemetry.configure(TelemetrySettings.from_environment())
except (ConfigError, ValueError) as error:
    logging.getLogger("dpgov.telemetry").error("telemetry is off: %s", error)

# A bulk reconcile holds a landing zone's listings in memory: collect cycles rarely (shared/collector.py).
tune_collector()

# Lives as long as the worker; its clients close when the worker's event loop shuts down.
provider = EngineProvider()

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(events.blueprint(provider))
app.register_functions(http_api.blueprint(provider))
app.register_functions(timer.blueprint(provider))
app.register_functions(queue.blueprint(provider))
