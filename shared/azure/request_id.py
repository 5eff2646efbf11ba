"""Put the reconcile's id on the wire as ``x-ms-client-request-id`` (see ``shared.correlation``)."""

from __future__ import annotations

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.rest import HttpRequest

from shared.correlation import client_request_id

HEADER = "x-ms-client-request-id"


class ReconcileRequestIdPolicy(SansIOHTTPPolicy[HttpRequest, object]):
    """A per-call policy. Generated clients put it before azure-core's ``RequestIdPolicy``, which
    keeps a header that is already set; outside a reconcile the SDK's random per-request id stays.
    """

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        value = client_request_id.get()
        if value:
            request.http_request.headers[HEADER] = value
