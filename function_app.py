"""Composition root: the Function App and its blueprints, one per way in.

Nothing here does work; it wires one ``EngineProvider`` (settings → config → Azure clients →
reconciler, built lazily on first use) into each blueprint.
"""

import logging

import azure.functions as func

from functions import events, http_api, timer
from shared.engine import EngineProvider

# The SDKs log every HTTP request and token acquisition at INFO; keep the app's own records readable.
for noisy in ("azure.core.pipeline.policies.http_logging_policy", "azure.identity"):
    logging.getLogger(noisy).setLevel(logging.WARNING)

# Lives as long as the worker; its clients close when the worker's event loop shuts down.
provider = EngineProvider()

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(events.blueprint(provider))
app.register_functions(http_api.blueprint(provider))
app.register_functions(timer.blueprint(provider))
