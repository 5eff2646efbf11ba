"""An Event Grid custom topic (basic tier): its publish endpoint, and what it received.

``POST {endpoint}?api-version=2018-01-01``, where the endpoint is ``https://{topic}.{region}-1.eventgrid
.azure.net/api/events`` in Azure and ``https://127.0.0.1:PORT/api/events`` here (its own listener, as a
topic has its own host). It takes

- a CloudEvents 1.0 batch: ``Content-Type: application/cloudevents-batch+json``, a JSON array of events
  (``application/cloudevents+json``: one event, not in an array);
- the Event Grid schema: ``Content-Type: application/json``, a JSON array of events with ``id``,
  ``subject``, ``eventType`` and ``eventTime`` (``data`` and ``dataVersion`` optional; Event Grid stamps
  ``topic``, an empty ``dataVersion`` and ``metadataVersion`` ``1``).

Authentication is a bearer token for the Event Grid audience (``https://eventgrid.azure.net``: the role
**EventGrid Data Sender**, not checked here) or the topic's access key in ``aeg-sas-key``. Refusals
are Event Grid's: 401 ``Unauthorized``; 400 ``BadRequest`` for a body that is not what the content
type says, with the first problem in ``details``; 413 past 1 MB; a batch is accepted or refused whole.
Accepted events are kept, in order, for the control API (``GET /_emulator/topics/events``), and every
answer is logged (``GET /_emulator/topics/publishes``). Fault rules (``PUT /_emulator/faults``) apply to
the path ``/api/events``. docs/emulator.md lists what is not verified.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from ..arm.errors import ArmError
from ..control.models import EventSchema, TopicEvent, TopicPublish
from ..identity.tokens import TokenIssuer

__all__ = [
    "API_VERSION",
    "EVENTGRID_AUDIENCES",
    "FAULT_CODES",
    "MAX_REQUEST_BYTES",
    "PUBLISH_PATH",
    "TOPIC_RESOURCE_ID",
    "CustomTopic",
    "TopicError",
    "bad_request",
    "parse_events",
    "schema_of",
]

API_VERSION = "2018-01-01"
PUBLISH_PATH = "/api/events"
EVENTGRID_AUDIENCES = ("https://eventgrid.azure.net", "https://eventgrid.azure.net/")
# The topic lives in a platform subscription of its own, apart from the landing zones.
TOPIC_RESOURCE_ID = (
    "/subscriptions/5c3e2a10-7b7f-4d1e-9c2b-0d9a6f1e2b3c/resourceGroups/rg-dpgov-platform"
    "/providers/Microsoft.EventGrid/topics/dpgov-outcomes"
)
MAX_REQUEST_BYTES = 1024 * 1024  # a publish request (the whole array)
MAX_EVENT_BYTES = 1024 * 1024  # one event (64 KB is the GA limit, up to 1 MB is in preview)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_ATTRIBUTE = re.compile(r"^[a-z0-9]+$")
_CLOUD_REQUIRED = ("id", "source", "type")
_CLOUD_STRINGS = ("id", "source", "type", "subject", "time", "datacontenttype", "dataschema")
_GRID_REQUIRED = ("id", "subject", "eventType", "eventTime")
FAULT_CODES = {429: "TooManyRequests", 500: "InternalServerError", 503: "ServiceUnavailable"}


class TopicError(Exception):
    """A refused publish: status, Event Grid's code, message and the detail that says why."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        detail: tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        tracking = f"Report '{uuid.uuid4()}:{datetime.datetime.now(datetime.UTC):%m/%d/%Y %I:%M:%S %p} (UTC)'"
        message = f"{self.message} {tracking} to our forums for assistance or raise a support ticket."
        error: dict[str, Any] = {"code": self.code, "message": message}
        if self.detail is not None:
            error["details"] = [{"code": self.detail[0], "message": self.detail[1]}]
        return {"error": error}


def bad_request(problem: str, code: str = "InputJsonInvalid") -> TopicError:
    return TopicError(400, "BadRequest", f"The request is invalid: {problem}", (code, problem))


class CustomTopic:
    """The emulated custom topic: its access key, the events it accepted and the answers it gave."""

    def __init__(self, resource_id: str = TOPIC_RESOURCE_ID) -> None:
        self.resource_id = resource_id
        self.key = base64.b64encode(secrets.token_bytes(32)).decode("ascii")  # survives reset, like Azure's keys
        self.endpoint: str | None = None  # set once its listener serves
        self._events: list[TopicEvent] = []
        self._publishes: list[TopicPublish] = []
        self.in_flight = 0  # publish requests being served now

    def reset(self) -> None:
        self._events.clear()
        self._publishes.clear()

    def events(self) -> list[TopicEvent]:
        return list(self._events)

    def publishes(self) -> list[TopicPublish]:
        return list(self._publishes)

    def accept(self, schema: EventSchema, events: list[dict[str, Any]], in_flight: int = 1) -> None:
        received = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
        self._events.extend(TopicEvent(schema, event, received) for event in events)
        self._publishes.append(TopicPublish(200, schema, len(events), in_flight=in_flight))

    def refused(self, error: TopicError, schema: EventSchema | None, in_flight: int = 1) -> None:
        self._publishes.append(TopicPublish(error.status, schema, 0, error.code, in_flight))

    def authenticate(self, issuer: TokenIssuer, headers: Mapping[str, str]) -> None:
        """The access key in ``aeg-sas-key``, or a bearer token for Event Grid; else 401."""
        key = headers.get("aeg-sas-key")
        if key is not None:
            if hmac.compare_digest(key.encode("utf-8"), self.key.encode("utf-8")):
                return
            raise TopicError(401, "Unauthorized", "The request authorization key is not authorized for the topic.")
        if headers.get("aeg-sas-token") is not None:
            raise TopicError(401, "Unauthorized", "The emulator does not serve SAS tokens; use a key or Entra ID.")
        try:
            issuer.authenticate(headers.get("Authorization"), EVENTGRID_AUDIENCES)
        except ArmError as error:
            raise TopicError(401, "Unauthorized", error.message, headers=error.headers) from None


def schema_of(content_type: str) -> tuple[EventSchema, bool] | None:
    """The schema a content type announces, and whether the body is an array of events."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/cloudevents-batch+json":
        return "CloudEventSchemaV1_0", True
    if media == "application/cloudevents+json":
        return "CloudEventSchemaV1_0", False
    if media == "application/json":
        return "EventGridSchema", True
    return None


def parse_events(body: bytes, schema: EventSchema, batch: bool, topic: str) -> list[dict[str, Any]]:
    """The events of a publish request, checked; raises :class:`TopicError` (400 or 413)."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise bad_request(f"the body is not JSON: {error}") from None
    if batch and not isinstance(document, list):
        raise bad_request("the body must be a JSON array of events")
    items = document if batch else [document]
    if not items:
        raise bad_request("the array holds no event")
    events = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise bad_request(f"event {index} is not a JSON object")
        if len(json.dumps(item).encode("utf-8")) > MAX_EVENT_BYTES:
            raise TopicError(413, "RequestEntityTooLarge", f"Event {index} is larger than {MAX_EVENT_BYTES} bytes.")
        checked = _cloud_event(item, index) if schema == "CloudEventSchemaV1_0" else _grid_event(item, index, topic)
        events.append(checked)
    return events


def _cloud_event(event: dict[str, Any], index: int) -> dict[str, Any]:
    if event.get("specversion") != "1.0":
        raise bad_request(f"event {index}: 'specversion' must be '1.0', got {event.get('specversion')!r}")
    for name in _CLOUD_REQUIRED:
        if not isinstance(event.get(name), str) or not event[name]:
            raise bad_request(f"event {index}: required attribute '{name}' is missing or empty")
    for name in _CLOUD_STRINGS:
        if name in event and event[name] is not None and not isinstance(event[name], str):
            raise bad_request(f"event {index}: attribute '{name}' must be a string")
    time = event.get("time")
    if isinstance(time, str) and not _RFC3339.fullmatch(time):
        raise bad_request(f"event {index}: 'time' is not an RFC 3339 timestamp: {time!r}")
    if "data" in event and "data_base64" in event:
        raise bad_request(f"event {index}: 'data' and 'data_base64' cannot both be present")
    if "data_base64" in event:
        try:
            base64.b64decode(str(event["data_base64"]), validate=True)
        except (binascii.Error, ValueError):
            raise bad_request(f"event {index}: 'data_base64' is not base64") from None
    for name, value in event.items():
        if name in {"data", "data_base64"}:
            continue
        if not _ATTRIBUTE.fullmatch(name):
            raise bad_request(f"event {index}: attribute name '{name}' must be lower-case letters and digits only")
        if isinstance(value, dict | list):
            raise bad_request(f"event {index}: attribute '{name}' must be a string, number or boolean")
    return event


def _grid_event(event: dict[str, Any], index: int, topic: str) -> dict[str, Any]:
    for name in _GRID_REQUIRED:
        if not isinstance(event.get(name), str) or not event[name]:
            raise bad_request(f"event {index}: required property '{name}' is missing or empty")
    if not _RFC3339.fullmatch(event["eventTime"]):
        raise bad_request(f"event {index}: 'eventTime' is not a date-time: {event['eventTime']!r}")
    version = event.get("dataVersion")
    if version is not None and not isinstance(version, str):
        raise bad_request(f"event {index}: 'dataVersion' must be a string")
    given = event.get("topic")
    if given is not None and str(given).casefold() != topic.casefold():
        raise bad_request(f"event {index}: 'topic' must be the topic's resource id or absent", "InvalidTopic")
    metadata = event.get("metadataVersion")
    if metadata is not None and metadata != "1":
        raise bad_request(f"event {index}: 'metadataVersion' must be '1' or absent")
    return {**event, "topic": topic, "dataVersion": version or "", "metadataVersion": "1"}
