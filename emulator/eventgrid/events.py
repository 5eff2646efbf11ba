"""The subscription system topic's events, built the way Azure builds them (docs/emulator.md, "Events").

A successful PUT/PATCH/POST/DELETE on ARM yields one ``Microsoft.Resources.Resource{Write,Delete}
Success`` event whose subject is the resource id the caller addressed. ``httpRequest`` appears only
for updates and deletes, never for creates. The Event Grid schema is the canonical form here;
CloudEvents 1.0 is derived from it for subscriptions that ask for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from ..arm.store import utc_now_iso
from ..identity.tokens import Caller

__all__ = ["OperationContext", "resource_event", "to_cloud_event", "validation_event"]


@dataclass(frozen=True)
class OperationContext:
    """Who did what, how: the request facts an event reports."""

    subscription_id: str
    tenant_id: str
    caller: Caller
    correlation_id: str
    client_request_id: str
    client_ip: str
    method: str
    url: str


def resource_event(
    context: OperationContext,
    *,
    kind: Literal["write", "delete"],
    subject: str,
    operation_name: str,
    include_http_request: bool,
) -> dict[str, Any]:
    """One event in the Event Grid schema for a successful ARM operation."""
    data: dict[str, Any] = {
        "authorization": {
            "scope": subject,
            "action": operation_name,
            # Write and delete events carry only the role; the role assignment and principal appear
            # in the evidence of Action events alone (docs/emulator.md, "Events"), so nobody may rely on them here.
            "evidence": {"role": "Contributor"},
        },
        "claims": context.caller.event_claims(),
        "correlationId": context.correlation_id,
    }
    if include_http_request:
        data["httpRequest"] = {
            "clientRequestId": context.client_request_id,
            "clientIpAddress": context.client_ip,
            "method": context.method,
            "url": context.url,
        }
    data.update(
        {
            "resourceProvider": operation_name.split("/", 1)[0],
            "resourceUri": subject,
            "operationName": operation_name,
            "status": "Succeeded",
            "subscriptionId": context.subscription_id,
            "tenantId": context.tenant_id,
        }
    )
    event_type = "ResourceWriteSuccess" if kind == "write" else "ResourceDeleteSuccess"
    return {
        "topic": f"/subscriptions/{context.subscription_id}",
        "subject": subject,
        "eventType": f"Microsoft.Resources.{event_type}",
        "eventTime": utc_now_iso(),
        "id": str(uuid.uuid4()),
        "data": data,
        "dataVersion": "2",
        "metadataVersion": "1",
    }


def to_cloud_event(event: dict[str, Any]) -> dict[str, Any]:
    """The same event in the CloudEvents 1.0 structured JSON form Event Grid sends."""
    return {
        "source": event["topic"],
        "subject": event["subject"],
        "type": event["eventType"],
        "time": event["eventTime"],
        "id": event["id"],
        "data": event["data"],
        "specversion": "1.0",
    }


def validation_event(topic: str, subscription_name: str, validation_code: str) -> dict[str, Any]:
    """The ``SubscriptionValidationEvent`` of the Event Grid schema handshake."""
    return {
        "id": str(uuid.uuid4()),
        "topic": topic,
        "subject": "",
        "data": {
            "validationCode": validation_code,
            "validationUrl": (
                f"https://rp-westeurope.eventgrid.azure.net:553/eventsubscriptions/{subscription_name}"
                f"/validate?id={validation_code}&t={utc_now_iso()}&apiVersion=2018-05-01-preview"
                f"&token={uuid.uuid4().hex}"
            ),
        },
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": utc_now_iso(),
        "metadataVersion": "1",
        "dataVersion": "1",
    }
