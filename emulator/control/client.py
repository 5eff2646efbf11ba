"""A small typed, synchronous client for the emulator's control API (tests, demo, benchmarks).

Synchronous on purpose: test code and scripts call it between SDK calls without an event loop.
Callers inside a running event loop that also serves webhooks must not block that loop with it
(run it in a thread or serve the webhook from another thread).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests

from ..purview.snapshot import PurviewSnapshot
from ..purview.unified.snapshot import CatalogRateLimitSettings, CatalogRelationshipState, CatalogSnapshot
from .models import (
    Delivery,
    DeliverySettings,
    DirectoryPrincipal,
    EmulatorIdentity,
    EventSchema,
    FaultRule,
    LoggedRequest,
    ManagementGroupInfo,
    RequestSummary,
    SeedResource,
    SeedResourceGroup,
    SeedSubscription,
    TopicEvent,
    TopicPublish,
)

__all__ = [
    "CatalogRateLimitSettings",
    "CatalogRelationshipState",
    "CatalogSnapshot",
    "Delivery",
    "DirectoryPrincipal",
    "EmulatorControl",
    "EmulatorControlError",
    "EmulatorIdentity",
    "FaultRule",
    "LoggedRequest",
    "ManagementGroupInfo",
    "PurviewSnapshot",
    "RequestSummary",
    "SeedResource",
    "SeedResourceGroup",
    "SeedSubscription",
    "TopicEvent",
    "TopicPublish",
]

DEFAULT_TIMEOUT = 60.0


class EmulatorControlError(RuntimeError):
    """The control API refused a request (bad input, failed webhook handshake, …)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class EmulatorControl:
    """Steer a running emulator: state, faults, latency, throttling, request log, events."""

    def __init__(self, url: str, ca_bundle: str) -> None:
        self._base = url.rstrip("/") + "/_emulator"
        # Passed on each call: requests lets REQUESTS_CA_BUNDLE override a session-level ``verify``.
        self._ca_bundle = ca_bundle
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def _call(self, method: str, path: str, body: Any = None, *, timeout: float = DEFAULT_TIMEOUT) -> Any:
        response = self._session.request(method, self._base + path, json=body, timeout=timeout, verify=self._ca_bundle)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                code, message = str(error["code"]), str(error["message"])
            except (ValueError, KeyError, TypeError):
                code, message = "Error", response.text
            raise EmulatorControlError(response.status_code, code, message)
        return response.json() if response.content else None

    # -- state -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything (subscriptions, faults, latency, throttling, logs, event subscriptions, role and
        policy assignments, custom definitions, remediations, management groups, added principals)."""
        self._call("POST", "/reset")

    def seed(self, subscriptions: Sequence[SeedSubscription]) -> None:
        """Create subscriptions, groups and resources silently (no events, not logged)."""
        self._call("POST", "/seed", {"subscriptions": [s.to_json() for s in subscriptions]})

    def seed_subscriptions(self, subscription_ids: Sequence[str]) -> None:
        """Create empty subscriptions."""
        self.seed([SeedSubscription(subscription_id) for subscription_id in subscription_ids])

    def seed_groups(
        self,
        subscription_id: str,
        groups: Mapping[str, Mapping[str, str]],
        *,
        location: str = "westeurope",
    ) -> None:
        """Create groups (name → tags) in one subscription silently."""
        seeded = [SeedResourceGroup(name, location, dict(tags)) for name, tags in groups.items()]
        self.seed([SeedSubscription(subscription_id, resource_groups=seeded)])

    def seed_resources(self, subscription_id: str, group: str, resources: Sequence[SeedResource]) -> None:
        """Create a group (westeurope, untagged) holding ``resources`` — replaces a same-named group."""
        self.seed([SeedSubscription(subscription_id, resource_groups=[SeedResourceGroup(group, resources=resources)])])

    def add_subscription(self, subscription_id: str, *, display_name: str | None = None) -> None:
        self._call("PUT", f"/subscriptions/{subscription_id}", {"displayName": display_name})

    def state(self) -> dict[str, Any]:
        """A dump of everything the emulator holds (for debugging)."""
        result: dict[str, Any] = self._call("GET", "/state")
        return result

    def identity(self) -> EmulatorIdentity:
        """The system-assigned managed identity the identity endpoint serves."""
        return EmulatorIdentity.from_json(self._call("GET", "/identity"))

    def set_page_size(self, page_size: int) -> None:
        self._call("PUT", "/settings", {"pageSize": page_size})

    def set_lro_retry_after(self, seconds: int) -> None:
        """The ``Retry-After`` of group-delete 202s (default 1; ARM sends 15, sometimes 0).

        azure-core waits exactly this long between polls; with 0 it falls back to the caller's
        ``polling_interval`` (30 s unless set), as it does against ARM.
        """
        self._call("PUT", "/settings", {"lroRetryAfter": seconds})

    # -- Purview ---------------------------------------------------------------------------------

    def purview(self) -> PurviewSnapshot:
        """The emulated Purview account: collections, metadata policies, data sources, scans, entities."""
        return PurviewSnapshot.from_json(self._call("GET", "/purview"))

    def purview_metadata_policy(self, collection: str) -> dict[str, Any]:
        """The metadata policy of a collection, as the policy store holds it."""
        return dict(self.purview().metadata_policies[collection.lower()])

    def set_purview_creating_gets(self, count: int) -> None:
        """How many GETs a new collection answers ``Creating`` before ``Succeeded`` (default 1; 0 = at once)."""
        self._call("PUT", "/settings", {"purviewCreatingGets": count})

    def seed_purview_account(self, subscription_id: str, resource_group: str, *, location: str = "westeurope") -> str:
        """Place the emulated account's ARM resource (``Microsoft.Purview/accounts``) in a group, silently.

        The group is created if missing. Returns the resource id.
        """
        resource = self._call(
            "PUT",
            "/purview/armAccount",
            {"subscriptionId": subscription_id, "resourceGroup": resource_group, "location": location},
        )
        return str(resource["id"])

    def catalog(self) -> CatalogSnapshot:
        """The Unified Catalog: business domains, data products, data assets (their wire documents),
        the asset ↔ product relationships and the rate limit."""
        return CatalogSnapshot.from_json(self._call("GET", "/purview/catalog"))

    def catalog_rate_limit(self) -> CatalogRateLimitSettings:
        return CatalogRateLimitSettings.from_json(self._call("GET", "/purview/catalog/rate-limit"))

    def set_catalog_rate_limit(
        self, enabled: bool = True, limit: int = 100, window_seconds: float = 20.0
    ) -> CatalogRateLimitSettings:
        """The Unified Catalog's per-caller sliding window (on after reset: 100 requests per 20 s).

        Every caller's window starts empty. Returns the settings now in force.
        """
        settings = CatalogRateLimitSettings(enabled, limit, window_seconds)
        return CatalogRateLimitSettings.from_json(self._call("PUT", "/purview/catalog/rate-limit", settings.to_json()))

    def set_principal_replication_delay(self, seconds: float) -> None:
        """How long a principal added from now on stays invisible to ARM (``PrincipalNotFound``); default 0.

        Applies to principals added through :meth:`add_principal` and to the identities of policy
        assignments created afterwards.
        """
        self._call("PUT", "/settings", {"principalReplicationDelay": seconds})

    def set_resource_graph_lag(self, seconds: float) -> None:
        """Resource Graph answers from a snapshot taken now, retaken once it is ``seconds`` old (0: live)."""
        self._call("PUT", "/settings", {"resourceGraphLag": seconds})

    def set_remediation_polls(self, polls: int) -> None:
        """How many GETs find a new remediation ``Evaluating`` before one finds it ``Succeeded`` (default 1)."""
        self._call("PUT", "/settings", {"remediationPolls": polls})

    # -- directory and management groups ----------------------------------------------------------

    def add_principal(
        self,
        principal_id: str,
        *,
        principal_type: str,
        display_name: str | None = None,
        member_of: Sequence[str] = (),
    ) -> DirectoryPrincipal:
        """Add (or replace) a ``User``, ``Group`` or ``ServicePrincipal`` in the tenant's directory.

        ARM sees a new principal only after the replication delay (:meth:`set_principal_replication_delay`).
        """
        body = {"type": principal_type, "displayName": display_name, "memberOf": list(member_of)}
        return DirectoryPrincipal.from_json(self._call("PUT", f"/principals/{principal_id}", body))

    def principals(self) -> list[DirectoryPrincipal]:
        """Every principal of the directory: added ones, managed identities, policy assignments' identities."""
        return [DirectoryPrincipal.from_json(item) for item in self._call("GET", "/principals")["value"]]

    def remove_principal(self, principal_id: str) -> None:
        self._call("DELETE", f"/principals/{principal_id}")

    def add_management_group(
        self,
        name: str,
        *,
        subscriptions: Sequence[str] = (),
        parent: str | None = None,
        display_name: str | None = None,
    ) -> ManagementGroupInfo:
        """Create or replace a management group holding ``subscriptions`` (they leave any other group)."""
        info = ManagementGroupInfo(name, display_name, parent, tuple(subscriptions))
        return ManagementGroupInfo.from_json(self._call("PUT", f"/managementGroups/{name}", info.to_json()))

    def management_groups(self) -> list[ManagementGroupInfo]:
        return [ManagementGroupInfo.from_json(item) for item in self._call("GET", "/managementGroups")["value"]]

    def remove_management_group(self, name: str) -> None:
        self._call("DELETE", f"/managementGroups/{name}")

    # -- behaviour -------------------------------------------------------------------------------

    def set_latency(self, ms: float) -> None:
        """Add ``ms`` milliseconds to every ARM and Purview response (not control or identity calls)."""
        self._call("PUT", "/latency", {"ms": ms})

    def set_faults(self, rules: Sequence[FaultRule]) -> None:
        self._call("PUT", "/faults", {"rules": [rule.to_json() for rule in rules]})

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_throttling(self, enabled: bool) -> None:
        """Turn ARM's token-bucket throttling on or off (off after reset)."""
        self._call("PUT", "/throttling", {"enabled": enabled})

    # -- traffic ---------------------------------------------------------------------------------

    def requests_log(self) -> list[LoggedRequest]:
        return [LoggedRequest.from_json(item) for item in self._call("GET", "/requests")["value"]]

    def request_summary(self) -> RequestSummary:
        return RequestSummary.from_json(self._call("GET", "/requests/summary"))

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    # -- events ----------------------------------------------------------------------------------

    def add_event_subscription(
        self,
        *,
        name: str,
        endpoint: str,
        schema: EventSchema = "EventGridSchema",
        subscription_id: str | None = None,
        included_event_types: Sequence[str] | None = None,
    ) -> None:
        """Subscribe a webhook to the subscription topic(s); runs Event Grid's validation handshake.

        Raises :class:`EmulatorControlError` (400 ``WebhookValidationFailed``) if the endpoint does
        not complete the handshake.
        """
        self._call(
            "POST",
            "/eventSubscriptions",
            {
                "name": name,
                "endpoint": endpoint,
                "schema": schema,
                "subscriptionId": subscription_id,
                "includedEventTypes": list(included_event_types) if included_event_types else None,
            },
        )

    def remove_event_subscription(self, name: str) -> None:
        self._call("DELETE", f"/eventSubscriptions/{name}")

    def deliveries(self) -> list[Delivery]:
        return [Delivery.from_json(item) for item in self._call("GET", "/deliveries")["value"]]

    def wait_for_deliveries_idle(self, timeout: float = 10.0) -> None:
        """Return once no delivery is pending or in flight (and no deletion is still to publish).

        Raises ``TimeoutError`` if that does not happen within ``timeout`` seconds.
        """
        result = self._call("POST", "/deliveries/wait-idle", {"timeout": timeout}, timeout=timeout + 30)
        if not result["idle"]:
            pending = [d for d in self.deliveries() if d.outcome == "pending"]
            raise TimeoutError(f"event deliveries still pending after {timeout} s: {pending[:5]}")

    def topic_events(self) -> list[TopicEvent]:
        """What the custom topic accepted since the last reset (the app's outcome events), in order."""
        return [TopicEvent.from_json(item) for item in self._call("GET", "/topics/events")["value"]]

    def topic_publishes(self) -> list[TopicPublish]:
        """Every publish request the custom topic answered since the last reset: status, schema, events."""
        return [TopicPublish.from_json(item) for item in self._call("GET", "/topics/publishes")["value"]]

    def set_delivery(
        self,
        duplicates: int = 0,
        retry_scale: float = 0.01,
        max_attempts: int = 30,
        *,
        response_timeout: float = 30.0,
    ) -> None:
        """How Event Grid delivers from now on (see :class:`DeliverySettings`)."""
        settings = DeliverySettings(duplicates, retry_scale, max_attempts, response_timeout)
        self._call("PUT", "/delivery", settings.to_json())
