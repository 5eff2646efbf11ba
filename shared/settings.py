"""App settings, read once from the environment (Function App application settings)."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.config import SUBSCRIPTION_ID_PATTERN, ConfigError

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
DEFAULT_RECONCILE_SCHEDULE = "0 */30 * * * *"
DEFAULT_LEDGER_TABLE = "dpgovledger"
DEFAULT_RECONCILE_QUEUE = "dpgov-reconcile"
DEFAULT_RUNS_TABLE = "dpgovruns"
# ARM write requests per subscription in flight per instance: 4 instances * 2 / ~0.8 s per ARM write
# ≈ the write bucket's 10/s refill (docs/architecture.md, "Performance model").
DEFAULT_MAX_WRITES_PER_SUBSCRIPTION = 2
# A reconcile of at least this many landing zones finds their groups with one paged Resource Graph query.
DEFAULT_RESOURCE_GRAPH_MIN_ZONES = 10
# Groups a bulk run reconciles at once (across its zones): bounds the memory of one run, and is far
# more than the write bounds can keep busy.
DEFAULT_MAX_GROUPS_IN_FLIGHT = 256
DEFAULT_UNIFIED_CATALOG_API_VERSION = "2026-03-20-preview"
DEFAULT_UNIFIED_CATALOG_RATE_LIMIT = "100/20"
_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{2,62}$")
_QUEUE_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class StorageSettings:
    """Where the Function App's own storage account is, read the way the Functions host reads it.

    Identity-based (``AzureWebJobsStorage__tableServiceUri`` or ``__accountName``, optionally
    ``__clientId`` for a user-assigned identity) is what a deployment uses: no keys anywhere. A
    connection string in ``AzureWebJobsStorage`` is honoured only when no service URI is set (local
    development with Core Tools).
    """

    table_endpoint: str | None = None
    client_id: str | None = None
    connection_string: str | None = None
    queue_endpoint: str | None = None  # AzureWebJobsStorage__queueServiceUri: the estate fan-out's queue

    @property
    def configured(self) -> bool:
        return bool(self.table_endpoint or self.connection_string)

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> StorageSettings:
        prefix = "AzureWebJobsStorage"
        uri = (env.get(f"{prefix}__tableServiceUri") or "").strip()
        account = (env.get(f"{prefix}__accountName") or "").strip()
        if not uri and account:
            uri = f"https://{account}.table.core.windows.net"
        queue_uri = (env.get(f"{prefix}__queueServiceUri") or "").strip()
        if not queue_uri and account:
            queue_uri = f"https://{account}.queue.core.windows.net"
        client_id = (env.get(f"{prefix}__clientId") or "").strip() or None
        connection = (env.get(prefix) or "").strip() or None
        return cls(
            table_endpoint=uri.rstrip("/") or None,
            client_id=client_id,
            connection_string=connection,
            queue_endpoint=queue_uri.rstrip("/") or None,
        )


@dataclass(frozen=True, slots=True)
class PurviewSettings:
    """Where the Microsoft Purview account is. The Purview aspect is on when these are set.

    The account's resource id is how the app finds the account's managed identity (its
    ``identity.principalId``), the principal that needs roles on the stores it scans.
    """

    account: str
    endpoint: str  # https://{account}.purview.azure.com
    scan_endpoint: str  # https://{account}.scan.purview.azure.com
    resource_id: str  # /subscriptions/…/providers/Microsoft.Purview/accounts/{account}

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> PurviewSettings | None:
        names = (
            "DPGOV_PURVIEW_ACCOUNT",
            "DPGOV_PURVIEW_ENDPOINT",
            "DPGOV_PURVIEW_SCAN_ENDPOINT",
            "DPGOV_PURVIEW_RESOURCE_ID",
        )
        values = [(env.get(name) or "").strip() for name in names]
        if not any(values):
            return None
        missing = [name for name, value in zip(names, values, strict=True) if not value]
        if missing:
            raise ConfigError(f"app settings {', '.join(missing)} are missing: Purview needs all of {', '.join(names)}")
        account, endpoint, scan_endpoint, resource_id = values
        if not re.fullmatch(
            r"(?i)/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Purview/accounts/[^/]+", resource_id
        ):
            raise ConfigError(f"app setting DPGOV_PURVIEW_RESOURCE_ID is not a Purview account id: {resource_id!r}")
        return cls(account, endpoint.rstrip("/"), scan_endpoint.rstrip("/"), resource_id)


@dataclass(frozen=True, slots=True)
class UnifiedCatalogSettings:
    """Where Microsoft Purview's Unified Catalog API is (preview). The catalog aspect is on when set.

    ``endpoint`` is the API's base (``https://api.purview-service.microsoft.com``; the client adds
    ``/datagovernance/catalog``). The service documents a limit of 100 requests per 20 seconds; the
    client paces itself to ``requests``/``window_seconds`` (``DPGOV_UNIFIED_CATALOG_RATE_LIMIT``,
    ``"100/20"``), per process.
    """

    endpoint: str
    api_version: str = DEFAULT_UNIFIED_CATALOG_API_VERSION
    requests: int = 100
    window_seconds: float = 20.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> UnifiedCatalogSettings | None:
        endpoint = (env.get("DPGOV_UNIFIED_CATALOG_ENDPOINT") or "").strip().rstrip("/")
        configured_version = (env.get("DPGOV_UNIFIED_CATALOG_API_VERSION") or "").strip()
        configured_limit = (env.get("DPGOV_UNIFIED_CATALOG_RATE_LIMIT") or "").strip()
        if not endpoint:
            return None
        if not re.fullmatch(r"https://[^/\s]+(/[^\s]*)?", endpoint):
            raise ConfigError(f"app setting DPGOV_UNIFIED_CATALOG_ENDPOINT must be an https URL, got {endpoint!r}")
        api_version = configured_version or DEFAULT_UNIFIED_CATALOG_API_VERSION
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(-preview)?", api_version):
            raise ConfigError(f"app setting DPGOV_UNIFIED_CATALOG_API_VERSION is not an api-version: {api_version!r}")
        raw = configured_limit or DEFAULT_UNIFIED_CATALOG_RATE_LIMIT
        match = re.fullmatch(r"(\d+)\s*/\s*(\d+(?:\.\d+)?)", raw)
        if match is None or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise ConfigError(
                f"app setting DPGOV_UNIFIED_CATALOG_RATE_LIMIT must be REQUESTS/SECONDS (e.g. 100/20), got {raw!r}"
            )
        return cls(endpoint, api_version, int(match.group(1)), float(match.group(2)))


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    """Where telemetry goes: Application Insights, when ``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set.

    ``APPLICATIONINSIGHTS_AUTHENTICATION_STRING`` is the Functions host's own setting for Entra
    authentication of telemetry (``Authorization=AAD``, with ``ClientId=<guid>`` for a user-assigned
    identity); the deployment sets it because the component has local (key) auth off. Read separately
    from ``Settings``: the composition root configures telemetry once per process, before any engine.
    """

    connection_string: str
    entra: bool = False  # authenticate with a managed identity (Authorization=AAD)
    client_id: str | None = None  # that identity's client id; None: the system-assigned identity

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> TelemetrySettings | None:
        env = os.environ if environ is None else environ
        connection_string = (env.get("APPLICATIONINSIGHTS_CONNECTION_STRING") or "").strip()
        authentication = (env.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING") or "").strip()
        if not connection_string:
            return None
        fields: dict[str, str] = {}
        for part in filter(None, (piece.strip() for piece in authentication.split(";"))):
            name, equals, value = part.partition("=")
            if not equals or not name.strip() or not value.strip():
                raise ConfigError(
                    "app setting APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be NAME=VALUE pairs separated by ';' "
                    f"(e.g. Authorization=AAD;ClientId=<guid>), got {authentication!r}"
                )
            fields[name.strip().lower()] = value.strip()
        entra = fields.get("authorization", "").upper() == "AAD"
        client_id = fields.get("clientid") if entra else None
        if client_id is not None and not re.fullmatch(SUBSCRIPTION_ID_PATTERN, client_id):
            raise ConfigError(
                f"app setting APPLICATIONINSIGHTS_AUTHENTICATION_STRING: ClientId must be a GUID, got {client_id!r}"
            )
        return cls(connection_string, entra, client_id)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app reads from its environment. No secrets: identity comes from the platform."""

    governance_config: Path
    arm_endpoint: str = DEFAULT_ARM_ENDPOINT
    max_concurrency: int = 16
    max_writes_per_subscription: int = DEFAULT_MAX_WRITES_PER_SUBSCRIPTION  # ARM writes in flight, per instance
    coalesce_window_ms: int = 1000  # a group's trailing reconcile waits this long after its last event
    resource_graph_min_zones: int = DEFAULT_RESOURCE_GRAPH_MIN_ZONES  # from this many zones, groups via Resource Graph
    max_groups_in_flight: int = DEFAULT_MAX_GROUPS_IN_FLIGHT  # groups of a bulk run reconciled at once
    request_timeout_seconds: float = 60.0
    identity_object_id: str | None = None  # the app's own principal: its tag writes raise events too
    storage: StorageSettings = StorageSettings()
    ledger_table: str = DEFAULT_LEDGER_TABLE
    reconcile_queue: str = DEFAULT_RECONCILE_QUEUE  # one message per landing zone of a run (fan-out)
    runs_table: str = DEFAULT_RUNS_TABLE  # a run's progress and its zones' reports
    purview: PurviewSettings | None = None
    unified_catalog: UnifiedCatalogSettings | None = None
    outcome_topic_endpoint: str | None = None  # the custom topic outcome events go to; None: none are published

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        default_config = Path(__file__).resolve().parent.parent / "governance.yaml"
        return cls(
            governance_config=Path(env.get("GOVERNANCE_CONFIG") or default_config),
            arm_endpoint=(env.get("DPGOV_ARM_ENDPOINT") or DEFAULT_ARM_ENDPOINT).rstrip("/"),
            max_concurrency=_positive_int(env, "DPGOV_MAX_CONCURRENCY", 16),
            max_writes_per_subscription=_positive_int(
                env, "DPGOV_MAX_WRITES_PER_SUBSCRIPTION", DEFAULT_MAX_WRITES_PER_SUBSCRIPTION
            ),
            coalesce_window_ms=_positive_int(env, "DPGOV_COALESCE_WINDOW_MS", 1000, minimum=0),
            resource_graph_min_zones=_positive_int(
                env, "DPGOV_RESOURCE_GRAPH_MIN_ZONES", DEFAULT_RESOURCE_GRAPH_MIN_ZONES
            ),
            max_groups_in_flight=_positive_int(env, "DPGOV_MAX_GROUPS_IN_FLIGHT", DEFAULT_MAX_GROUPS_IN_FLIGHT),
            request_timeout_seconds=float(_positive_int(env, "DPGOV_REQUEST_TIMEOUT_SECONDS", 60)),
            identity_object_id=_object_id(env, "DPGOV_IDENTITY_OBJECT_ID"),
            storage=StorageSettings.from_environment(env),
            ledger_table=_table_name(env, "DPGOV_LEDGER_TABLE", DEFAULT_LEDGER_TABLE),
            reconcile_queue=reconcile_queue(env),
            runs_table=_table_name(env, "DPGOV_RUNS_TABLE", DEFAULT_RUNS_TABLE),
            purview=PurviewSettings.from_environment(env),
            unified_catalog=UnifiedCatalogSettings.from_environment(env),
            outcome_topic_endpoint=_https_url(env, "DPGOV_OUTCOME_TOPIC_ENDPOINT"),
        )


def reconcile_schedule(environ: Mapping[str, str] | None = None) -> str:
    """The timer's NCRONTAB expression (six fields, seconds first); every 30 minutes by default."""
    env = os.environ if environ is None else environ
    return env.get("DPGOV_RECONCILE_SCHEDULE") or DEFAULT_RECONCILE_SCHEDULE


def reconcile_queue(environ: Mapping[str, str] | None = None) -> str:
    """The estate fan-out's queue (``DPGOV_RECONCILE_QUEUE``); its poison queue is ``<name>-poison``."""
    env = os.environ if environ is None else environ
    raw = (env.get("DPGOV_RECONCILE_QUEUE") or "").strip() or DEFAULT_RECONCILE_QUEUE
    if not _QUEUE_NAME.fullmatch(raw) or len(raw) > 56:  # room for the "-poison" suffix
        raise ConfigError(
            f"app setting DPGOV_RECONCILE_QUEUE must be a queue name (3-56 lower-case letters, digits and single "
            f"hyphens), got {raw!r}"
        )
    return raw


def _https_url(env: Mapping[str, str], name: str) -> str | None:
    """An optional https URL setting (an Event Grid topic's endpoint ends in ``/api/events``)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"https://[^/\s]+(/[^\s]*)?", raw):
        raise ConfigError(f"app setting {name} must be an https URL, got {raw!r}")
    return raw


def _object_id(env: Mapping[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not re.fullmatch(SUBSCRIPTION_ID_PATTERN, raw):
        raise ConfigError(f"app setting {name} must be an object id (a GUID), got {raw!r}")
    return raw.lower()


def _table_name(env: Mapping[str, str], name: str, default: str) -> str:
    raw = (env.get(name) or "").strip() or default
    if not _TABLE_NAME.fullmatch(raw):
        raise ConfigError(
            f"app setting {name} must be a table name (3-63 letters and digits, a letter first), got {raw!r}"
        )
    return raw


def _positive_int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    kind = "a positive integer" if minimum == 1 else f"an integer of at least {minimum}"
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"app setting {name} must be {kind}, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"app setting {name} must be {kind}, got {raw!r}")
    return value


HOST_JSON = Path(__file__).resolve().parent.parent / "host.json"  # deployed at the app's root
DEFAULT_MAX_DEQUEUE_COUNT = 5  # the Functions host's, when host.json sets none


@functools.cache
def max_dequeue_count(host_json: Path = HOST_JSON) -> int:
    """How many deliveries the host makes of a queue message before it moves it to the poison
    queue (``extensions.queues.maxDequeueCount`` in host.json, which the app ships with)."""
    try:
        host = json.loads(host_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DEFAULT_MAX_DEQUEUE_COUNT
    except ValueError as error:
        raise ConfigError(f"{host_json} is not JSON: {error}") from None
    value = host.get("extensions", {}).get("queues", {}).get("maxDequeueCount", DEFAULT_MAX_DEQUEUE_COUNT)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{host_json}: extensions.queues.maxDequeueCount must be a positive integer, got {value!r}")
    return value
