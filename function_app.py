"""Composition root: the Function App and its blueprints, one per way in.

Nothing here does work; it wires one ``EngineProvider`` (settings → config → Azure clients →
reconciler, built lazily on first use) into each blueprint.
"""

import azure.functions as func

from functions import events, http_api, timer
from shared.engine import EngineProvider

provider = EngineProvider()

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(events.blueprint(provider))
app.register_functions(http_api.blueprint(provider))
app.register_functions(timer.blueprint(provider))
