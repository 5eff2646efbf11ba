"""The control API's wire types, shared by the server and the typed client.

One definition of each payload keeps the client and the server from drifting apart. Each type knows
its JSON form (camelCase, like the rest of Azure's wire) in both directions. Nothing here does I/O
or imports aiohttp, so the client stays light.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

__all__ = [
    "Delivery",
    "DeliveryOutcome",
    "DeliverySettings",
    "DirectoryPrincipal",
    "EmulatorIdentity",
    "EventSchema",
    "FaultRule",
    "FaultStatus",
    "LoggedRequest",
    "ManagementGroupInfo",
    "RequestClass",
    "RequestSummary",
    "SeedResource",
    "SeedResourceGroup",
    "SeedSubscription",
    "TopicEvent",
    "TopicPublish",
]

Json = dict[str, Any]
EventSchema = Literal["EventGridSchema", "CloudEventSchemaV1_0"]
FaultStatus = Literal[429, 500, 503, "reset"]
# ARM's classes, token requests, the Purview data plane's own (counted apart from ARM's) and the Unified
# Catalog's (on the Purview listener under /datagovernance/catalog, counted apart from the rest of Purview).
RequestClass = Literal[
    "read",
    "write",
    "delete",
    "token",
    "purview-read",
    "purview-write",
    "purview-delete",
    "catalog-read",
    "catalog-write",
    "catalog-delete",
]
DeliveryOutcome = Literal["pending", "delivered", "dropped", "exhausted"]

EVENT_SCHEMAS: tuple[EventSchema, ...] = ("EventGridSchema", "CloudEventSchemaV1_0")
FAULT_STATUSES: tuple[FaultStatus, ...] = (429, 500, 503, "reset")


def _str_map(value: object, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError(f"{what} must be an object of strings")
    return dict(cast("Mapping[str, str]", value))


def _opt_str(value: object, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{what} must be a string")


def _req_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"'{key}' is required and must be a non-empty string")
    return value


@dataclass(frozen=True)
class SeedResource:
    """A resource to place in a seeded group: ``type`` is ``Namespace/type``, e.g. ``Microsoft.Sql/servers``."""

    type: str
    name: str
    location: str | None = None
    kind: str | None = None
    sku: Mapping[str, Any] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    properties: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> Json:
        return {
            "type": self.type,
            "name": self.name,
            "location": self.location,
            "kind": self.kind,
            "sku": dict(self.sku) if self.sku is not None else None,
            "tags": dict(self.tags),
            "properties": dict(self.properties),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SeedResource:
        sku = data.get("sku")
        properties = data.get("properties") or {}
        if sku is not None and not isinstance(sku, Mapping):
            raise ValueError("resource 'sku' must be an object")
        if not isinstance(properties, Mapping):
            raise ValueError("resource 'properties' must be an object")
        return cls(
            type=_req_str(data, "type"),
            name=_req_str(data, "name"),
            location=_opt_str(data.get("location"), "location"),
            kind=_opt_str(data.get("kind"), "kind"),
            sku=sku,
            tags=_str_map(data.get("tags"), "tags"),
            properties=properties,
        )


@dataclass(frozen=True)
class SeedResourceGroup:
    """A resource group that exists before the test starts (seeding emits no events)."""

    name: str
    location: str = "westeurope"
    tags: Mapping[str, str] = field(default_factory=dict)
    managed_by: str | None = None
    resources: Sequence[SeedResource] = ()

    def to_json(self) -> Json:
        return {
            "name": self.name,
            "location": self.location,
            "tags": dict(self.tags),
            "managedBy": self.managed_by,
            "resources": [resource.to_json() for resource in self.resources],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SeedResourceGroup:
        resources = data.get("resources") or []
        if not isinstance(resources, list):
            raise ValueError("'resources' must be an array")
        return cls(
            name=_req_str(data, "name"),
            location=_opt_str(data.get("location"), "location") or "westeurope",
            tags=_str_map(data.get("tags"), "tags"),
            managed_by=_opt_str(data.get("managedBy"), "managedBy"),
            resources=tuple(SeedResource.from_json(item) for item in resources),
        )


@dataclass(frozen=True)
class SeedSubscription:
    """A subscription (landing zone) and the groups it already holds."""

    subscription_id: str
    display_name: str | None = None
    tenant_id: str | None = None
    resource_groups: Sequence[SeedResourceGroup] = ()

    def to_json(self) -> Json:
        return {
            "subscriptionId": self.subscription_id,
            "displayName": self.display_name,
            "tenantId": self.tenant_id,
            "resourceGroups": [group.to_json() for group in self.resource_groups],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SeedSubscription:
        groups = data.get("resourceGroups") or []
        if not isinstance(groups, list):
            raise ValueError("'resourceGroups' must be an array")
        return cls(
            subscription_id=_req_str(data, "subscriptionId"),
            display_name=_opt_str(data.get("displayName"), "displayName"),
            tenant_id=_opt_str(data.get("tenantId"), "tenantId"),
            resource_groups=tuple(SeedResourceGroup.from_json(item) for item in groups),
        )


@dataclass(frozen=True)
class FaultRule:
    """Inject a failure into matching ARM, Purview or custom-topic requests (each in its own error shape).

    ``rate`` is the probability per matching request; ``count`` caps the number of injections;
    ``method`` matches the HTTP method; ``path`` is a case-insensitive regex searched in the path.
    A 429 carries ``Retry-After: retry_after`` and ARM's throttling body; 500/503 carry ARM error
    bodies and no ``Retry-After`` (as ARM does); ``"reset"`` aborts the connection.
    """

    status: FaultStatus
    rate: float = 1.0
    count: int | None = None
    method: str | None = None
    path: str | None = None
    retry_after: int = 1

    def to_json(self) -> Json:
        return {
            "status": self.status,
            "rate": self.rate,
            "count": self.count,
            "method": self.method,
            "path": self.path,
            "retryAfter": self.retry_after,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        status = data.get("status")
        if status not in FAULT_STATUSES:
            raise ValueError(f"'status' must be one of {FAULT_STATUSES}")
        rate = data.get("rate", 1.0)
        if not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
            raise ValueError("'rate' must be a number in [0, 1]")
        count = data.get("count")
        if count is not None and (not isinstance(count, int) or count < 0):
            raise ValueError("'count' must be a non-negative integer")
        retry_after = data.get("retryAfter", 1)
        if not isinstance(retry_after, int) or retry_after < 0:
            raise ValueError("'retryAfter' must be a non-negative integer")
        return cls(
            status=cast("FaultStatus", status),
            rate=float(rate),
            count=count,
            method=_opt_str(data.get("method"), "method"),
            path=_opt_str(data.get("path"), "path"),
            retry_after=retry_after,
        )


@dataclass(frozen=True)
class LoggedRequest:
    """One request the emulator served on the ARM, identity or Purview endpoint.

    ``start`` and ``end`` are the emulator's monotonic clock (seconds): compare them with each
    other, not with the caller's clock. ``operation`` is the REST operation id, e.g.
    ``ResourceGroups_List`` or ``Tags_UpdateAtScope``; ``ManagedIdentity_GetToken`` for tokens.
    ``status`` is 0 when the connection was reset by a fault. ``client_request_id`` is the caller's
    ``x-ms-client-request-id`` header (``None`` if it sent none), so a test can check that every
    request of one unit of work carried the same id.
    """

    method: str
    path: str
    query: Mapping[str, str]
    status: int
    request_class: RequestClass
    operation: str
    start: float
    end: float
    subscription_id: str | None = None
    client_request_id: str | None = None

    def to_json(self) -> Json:
        return {
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "status": self.status,
            "class": self.request_class,
            "operation": self.operation,
            "start": self.start,
            "end": self.end,
            "subscriptionId": self.subscription_id,
            "clientRequestId": self.client_request_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoggedRequest:
        return cls(
            method=data["method"],
            path=data["path"],
            query=dict(data.get("query") or {}),
            status=int(data["status"]),
            request_class=data["class"],
            operation=data["operation"],
            start=float(data["start"]),
            end=float(data["end"]),
            subscription_id=data.get("subscriptionId"),
            client_request_id=data.get("clientRequestId"),
        )


@dataclass(frozen=True)
class RequestSummary:
    """Counts of the logged traffic, and its critical path.

    ``total`` counts every logged request, token requests included (``tokens``).
    ``sequential_round_trips`` is the length of the longest chain of logged requests in which each
    one started after the previous one ended: the number of round trips a caller waited for in
    sequence, however many ran alongside. ``reads``/``writes``/``deletes`` count ARM requests only;
    the ``purview_*`` fields count the Purview data plane's (account, policy store, scanning, Data
    Map), and ``purview_round_trips`` is the longest sequential chain of those alone; the
    ``catalog_*`` fields count the Unified Catalog's the same way (its POSTs that only query are
    reads).
    """

    reads: int
    writes: int
    deletes: int
    tokens: int
    total: int
    sequential_round_trips: int
    by_operation: Mapping[str, int]
    purview_reads: int = 0
    purview_writes: int = 0
    purview_deletes: int = 0
    purview_round_trips: int = 0
    catalog_reads: int = 0
    catalog_writes: int = 0
    catalog_deletes: int = 0
    catalog_round_trips: int = 0

    def to_json(self) -> Json:
        return {
            "reads": self.reads,
            "writes": self.writes,
            "deletes": self.deletes,
            "tokens": self.tokens,
            "total": self.total,
            "sequential_round_trips": self.sequential_round_trips,
            "by_operation": dict(self.by_operation),
            "purview_reads": self.purview_reads,
            "purview_writes": self.purview_writes,
            "purview_deletes": self.purview_deletes,
            "purview_round_trips": self.purview_round_trips,
            "catalog_reads": self.catalog_reads,
            "catalog_writes": self.catalog_writes,
            "catalog_deletes": self.catalog_deletes,
            "catalog_round_trips": self.catalog_round_trips,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RequestSummary:
        return cls(
            reads=int(data["reads"]),
            writes=int(data["writes"]),
            deletes=int(data["deletes"]),
            tokens=int(data.get("tokens", 0)),
            total=int(data["total"]),
            sequential_round_trips=int(data["sequential_round_trips"]),
            by_operation={str(k): int(v) for k, v in dict(data["by_operation"]).items()},
            purview_reads=int(data.get("purview_reads", 0)),
            purview_writes=int(data.get("purview_writes", 0)),
            purview_deletes=int(data.get("purview_deletes", 0)),
            purview_round_trips=int(data.get("purview_round_trips", 0)),
            catalog_reads=int(data.get("catalog_reads", 0)),
            catalog_writes=int(data.get("catalog_writes", 0)),
            catalog_deletes=int(data.get("catalog_deletes", 0)),
            catalog_round_trips=int(data.get("catalog_round_trips", 0)),
        )


@dataclass(frozen=True)
class Delivery:
    """The fate of one event sent to one event subscription (one per copy when duplicating).

    ``attempts`` counts delivery attempts so far; ``statuses`` holds each attempt's HTTP status
    (``None`` for a timeout or connection error). ``outcome`` is ``pending`` until the event is
    delivered, dropped (400/401/403/413: Event Grid's dead-letter-at-once codes) or exhausted
    (max attempts or TTL reached).
    """

    delivery_id: str
    event_id: str
    event_type: str
    subject: str
    operation_name: str
    subscription_name: str
    attempts: int
    outcome: DeliveryOutcome
    last_status: int | None
    statuses: Sequence[int | None] = ()

    def to_json(self) -> Json:
        return {
            "deliveryId": self.delivery_id,
            "eventId": self.event_id,
            "eventType": self.event_type,
            "subject": self.subject,
            "operationName": self.operation_name,
            "subscriptionName": self.subscription_name,
            "attempts": self.attempts,
            "outcome": self.outcome,
            "lastStatus": self.last_status,
            "statuses": list(self.statuses),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Delivery:
        return cls(
            delivery_id=data["deliveryId"],
            event_id=data["eventId"],
            event_type=data["eventType"],
            subject=data["subject"],
            operation_name=data["operationName"],
            subscription_name=data["subscriptionName"],
            attempts=int(data["attempts"]),
            outcome=data["outcome"],
            last_status=data.get("lastStatus"),
            statuses=tuple(data.get("statuses") or ()),
        )


@dataclass(frozen=True)
class DeliverySettings:
    """How the Event Grid publisher behaves.

    ``duplicates`` extra copies of every event (Event Grid is at-least-once); the retry schedule
    (10 s, 30 s, 1 min, 5 min, …) and the 24 h TTL are multiplied by ``retry_scale``;
    ``max_attempts`` is the subscription's maxDeliveryAttempts; ``response_timeout`` is how long
    one attempt waits for the endpoint (30 s in Azure, not scaled).
    """

    duplicates: int = 0
    retry_scale: float = 0.01
    max_attempts: int = 30
    response_timeout: float = 30.0

    def to_json(self) -> Json:
        return {
            "duplicates": self.duplicates,
            "retryScale": self.retry_scale,
            "maxAttempts": self.max_attempts,
            "responseTimeout": self.response_timeout,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeliverySettings:
        default = cls()
        duplicates = data.get("duplicates", default.duplicates)
        retry_scale = data.get("retryScale", default.retry_scale)
        max_attempts = data.get("maxAttempts", default.max_attempts)
        response_timeout = data.get("responseTimeout", default.response_timeout)
        if not isinstance(duplicates, int) or duplicates < 0:
            raise ValueError("'duplicates' must be a non-negative integer")
        if not isinstance(retry_scale, int | float) or retry_scale < 0:
            raise ValueError("'retryScale' must be a non-negative number")
        if not isinstance(max_attempts, int) or not 1 <= max_attempts <= 30:
            raise ValueError("'maxAttempts' must be an integer in [1, 30]")
        if not isinstance(response_timeout, int | float) or response_timeout <= 0:
            raise ValueError("'responseTimeout' must be a positive number")
        return cls(duplicates, float(retry_scale), max_attempts, float(response_timeout))


@dataclass(frozen=True)
class EmulatorIdentity:
    """The managed identity the identity endpoint issues tokens for (system-assigned)."""

    tenant_id: str
    principal_id: str
    client_id: str

    def to_json(self) -> Json:
        return {"tenantId": self.tenant_id, "principalId": self.principal_id, "clientId": self.client_id}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EmulatorIdentity:
        return cls(str(data["tenantId"]), str(data["principalId"]), str(data["clientId"]))


@dataclass(frozen=True)
class DirectoryPrincipal:
    """A principal in the emulated tenant's directory (``/_emulator/principals``).

    ``source`` says where it comes from: ``control`` (added by a test), ``managedIdentity`` (the
    emulator's own identities) or ``policyAssignment`` (a policy assignment's system-assigned
    identity). ``visible`` is whether ARM sees it yet: a new principal stays invisible (role
    assignments to it fail with ``PrincipalNotFound``) for the replication delay.
    """

    id: str
    type: str
    display_name: str
    member_of: Sequence[str] = ()
    source: str = "control"
    visible: bool = True

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "type": self.type,
            "displayName": self.display_name,
            "memberOf": list(self.member_of),
            "source": self.source,
            "visible": self.visible,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DirectoryPrincipal:
        return cls(
            id=str(data["id"]),
            type=str(data["type"]),
            display_name=str(data.get("displayName") or ""),
            member_of=tuple(str(group) for group in data.get("memberOf") or ()),
            source=str(data.get("source") or "control"),
            visible=bool(data.get("visible", True)),
        )


@dataclass(frozen=True)
class ManagementGroupInfo:
    """A management group (``/_emulator/managementGroups``): its parent and the subscriptions directly in it."""

    name: str
    display_name: str | None = None
    parent: str | None = None
    subscriptions: Sequence[str] = ()

    @property
    def id(self) -> str:
        return f"/providers/Microsoft.Management/managementGroups/{self.name}"

    def to_json(self) -> Json:
        return {
            "name": self.name,
            "displayName": self.display_name,
            "parent": self.parent,
            "subscriptions": list(self.subscriptions),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ManagementGroupInfo:
        subscriptions = data.get("subscriptions") or []
        if not isinstance(subscriptions, list) or not all(isinstance(s, str) and s for s in subscriptions):
            raise ValueError("'subscriptions' must be an array of subscription ids")
        return cls(
            name=_req_str(data, "name"),
            display_name=_opt_str(data.get("displayName"), "displayName"),
            parent=_opt_str(data.get("parent"), "parent"),
            subscriptions=tuple(subscriptions),
        )


@dataclass(frozen=True)
class TopicEvent:
    """One event the emulated custom topic accepted, as it was published.

    ``schema`` says how it came (``CloudEventSchemaV1_0`` or ``EventGridSchema``); ``event`` is the
    event's JSON (an Event Grid schema event with ``topic``, ``dataVersion`` and ``metadataVersion``
    stamped as Event Grid stamps them). ``id``, ``type``, ``source``, ``subject``, ``time`` and ``data``
    read either schema's fields (``eventType``, ``topic``, ``eventTime`` for the Event Grid schema).
    """

    schema: EventSchema
    event: Mapping[str, Any]
    received_at: str

    @property
    def cloud(self) -> bool:
        return self.schema == "CloudEventSchemaV1_0"

    @property
    def id(self) -> str:
        return str(self.event["id"])

    @property
    def type(self) -> str:
        return str(self.event["type" if self.cloud else "eventType"])

    @property
    def source(self) -> str:
        return str(self.event["source" if self.cloud else "topic"])

    @property
    def subject(self) -> str | None:
        subject = self.event.get("subject")
        return None if subject is None else str(subject)

    @property
    def time(self) -> str | None:
        moment = self.event.get("time" if self.cloud else "eventTime")
        return None if moment is None else str(moment)

    @property
    def data(self) -> Any:
        return self.event.get("data")

    def to_json(self) -> Json:
        return {"schema": self.schema, "event": dict(self.event), "receivedAt": self.received_at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TopicEvent:
        return cls(schema=data["schema"], event=dict(data["event"]), received_at=str(data["receivedAt"]))


@dataclass(frozen=True)
class TopicPublish:
    """One publish request the topic answered: its status, the schema and the number of events in it,
    for a refusal Event Grid's error code (a fault injected shows as its status, code included), and how
    many publish requests the topic was serving when it arrived, itself included (how a publisher
    overlaps its sends)."""

    status: int
    schema: EventSchema | None
    events: int
    error_code: str | None = None
    in_flight: int = 1

    def to_json(self) -> Json:
        return {
            "status": self.status,
            "schema": self.schema,
            "events": self.events,
            "errorCode": self.error_code,
            "inFlight": self.in_flight,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TopicPublish:
        return cls(
            status=int(data["status"]),
            schema=data.get("schema"),
            events=int(data["events"]),
            error_code=data.get("errorCode"),
            in_flight=int(data.get("inFlight", 1)),
        )
