"""Scanning (``/datasources…``, api-version ``2018-12-01-preview`` and the newer ones the service advertises).

Data sources, their scans, each scan's single trigger (``triggers/default``) and its runs. The quirks
reproduced: create answers 201 with a ``Location`` whose api-version is duplicated, update 200; ids are
relative (``datasources/{name}``); DELETE answers 200 with the deleted resource; the server adds
``createdAt``/``lastModifiedAt`` and ``collection.lastModifiedAt`` and writes
``dataSourceCollectionMovingState`` as the integer 0. A source's collection must exist and be ready; a
scan's collection must be the source's or one below it (400 ``Scan_CollectionOutOfBound``). A source
cannot be registered twice (same endpoint) and cannot be deleted while it has scans.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .calls import PurviewCall, PurviewResponse, utc_now
from .collections import collection_not_ready
from .errors import PurviewError, bad_body
from .kinds import CREDENTIAL_TYPES, SourceKind, source_kind
from .paging import page

if TYPE_CHECKING:
    from .account import PurviewAccount

__all__ = [
    "DataSource",
    "Scan",
    "cancel_scan",
    "create_or_update_data_source",
    "create_or_update_scan",
    "create_trigger",
    "delete_data_source",
    "delete_scan",
    "delete_trigger",
    "get_data_source",
    "get_scan",
    "get_trigger",
    "list_data_sources",
    "list_scan_history",
    "list_scans",
    "run_scan",
]

FREQUENCIES = ("Week", "Month", "Day", "Hour")
SCAN_LEVELS = ("Full", "Incremental")


@dataclass
class Scan:
    name: str
    kind: str
    properties: dict[str, Any]
    collection: str
    created_at: str
    modified_at: str
    trigger: dict[str, Any] | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, source: str) -> dict[str, Any]:
        properties = {
            **self.properties,
            "createdAt": self.created_at,
            "lastModifiedAt": self.modified_at,
            "workers": None,
            "collection": {
                "lastModifiedAt": self.modified_at,
                "referenceName": self.collection,
                "type": "CollectionReference",
            },
        }
        return {
            "name": self.name,
            "id": f"datasources/{source}/scans/{self.name}",
            "kind": self.kind,
            "isMauiScan": False,
            "properties": properties,
            "scanResults": None,
        }


@dataclass
class DataSource:
    name: str
    kind: str
    properties: dict[str, Any]
    collection: str
    created_at: str
    modified_at: str
    scans: dict[str, Scan] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        properties = {
            **self.properties,
            "createdAt": self.created_at,
            "lastModifiedAt": self.modified_at,
            "parentCollection": None,
            "collection": {
                "lastModifiedAt": self.modified_at,
                "referenceName": self.collection,
                "type": "CollectionReference",
            },
            "dataSourceCollectionMovingState": 0,
        }
        properties.setdefault("dataUseGovernance", "Disabled")
        return {
            "properties": properties,
            "kind": self.kind,
            "creationType": "Manual",
            "id": f"datasources/{self.name}",
            "name": self.name,
            # The scanning API's DataSource model carries its scans (read-only), so one paged list
            # of the account's sources tells a caller which scans exist.
            "scans": [scan.to_json(self.name) for scan in self.scans.values()],
        }

    def endpoint_identity(self) -> tuple[str, ...]:
        """What makes two registrations the same source: the kind and its endpoint properties."""
        kind = source_kind(self.kind)
        names = [name for name, _ in kind.endpoints] if kind is not None else []
        if not names:
            names = ["subscriptionId", "resourceGroup"]
        return (self.kind, *(str(self.properties.get(name, "")).rstrip("/").casefold() for name in names))


def _location(call: PurviewCall) -> dict[str, str]:
    """The ``Location`` of a created scanning resource: its URL with the api-version twice, as Purview sends it."""
    version = quote(call.arg("api-version") or "", safe="")
    return {"Location": f"{call.base_url}{quote(call.path)}?api-version={version}&api-version={version}"}


def data_source_not_found(name: str) -> PurviewError:
    return PurviewError(404, "DataSource_NotFound", f"Data source '{name}' does not exist.")


def _source(account: PurviewAccount, name: str) -> DataSource:
    source = account.sources.get(name.casefold())
    if source is None:
        raise data_source_not_found(name)
    return source


def _scan(source: DataSource, name: str) -> Scan:
    scan = source.scans.get(name.casefold())
    if scan is None:
        raise PurviewError(404, "Scan_NotFound", f"Scan '{name}' of data source '{source.name}' does not exist.")
    return scan


def _properties(body: dict[str, Any]) -> dict[str, Any]:
    properties = body.get("properties", {})
    if not isinstance(properties, dict):
        raise bad_body("'properties' must be an object")
    return dict(properties)


def _collection_reference(account: PurviewAccount, properties: dict[str, Any], *, required: bool) -> str | None:
    """The ready collection a source or scan names (``collection.referenceName``)."""
    reference = properties.get("collection")
    if reference is None:
        if required:
            raise PurviewError(400, "InvalidCollectionReference", "'properties.collection.referenceName' is required.")
        return None
    name = reference.get("referenceName") if isinstance(reference, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise bad_body("'properties.collection.referenceName' must be a non-empty string")
    collection = account.collections.get(name.casefold())
    if collection is None:
        raise PurviewError(400, "InvalidCollectionReference", f"Collection '{name.lower()}' does not exist.")
    if not collection.ready:
        raise collection_not_ready(collection.name)
    return collection.name


def _validate_source(kind: SourceKind, properties: dict[str, Any]) -> None:
    for name, pattern in kind.endpoints:
        value = properties.get(name)
        if not isinstance(value, str) or not value:
            raise PurviewError(
                400,
                "DataSource_PropertyMissing",
                f"A data source of kind '{kind.name}' needs 'properties.{name}'.",
                target=name,
            )
        if not pattern.match(value):
            raise PurviewError(
                400,
                "DataSource_InvalidEndpoint",
                f"'{value}' is not a valid {name} for a data source of kind '{kind.name}'.",
                target=name,
            )
    if not kind.azure_resource:
        required = ("subscriptionId", "resourceGroup") if kind.name == "AzureResourceGroup" else ("subscriptionId",)
        for name in required:
            if not isinstance(properties.get(name), str) or not properties[name]:
                raise PurviewError(
                    400,
                    "DataSource_PropertyMissing",
                    f"A data source of kind '{kind.name}' needs 'properties.{name}'.",
                    target=name,
                )


def create_or_update_data_source(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    name = call.params["source"]
    body = call.json_object()
    given_kind = body.get("kind")
    kind = source_kind(given_kind) if isinstance(given_kind, str) else None
    if kind is None:
        raise PurviewError(400, "DataSource_InvalidKind", f"'{given_kind}' is not a data source kind.", target="kind")
    existing = account.sources.get(name.casefold())
    if existing is not None and existing.kind != kind.name:
        raise PurviewError(
            400,
            "DataSource_KindChange",
            f"Data source '{existing.name}' is of kind '{existing.kind}'; its kind cannot change.",
            target="kind",
        )
    properties = _properties(body)
    _validate_source(kind, properties)
    collection = _collection_reference(account, properties, required=True)
    assert collection is not None
    if existing is not None and existing.collection != collection:
        for scan in existing.scans.values():
            if scan.collection not in {collection, *account.descendants(collection)}:
                raise _out_of_bound(scan.collection, collection)
    for key in ("collection", "createdAt", "lastModifiedAt", "parentCollection", "dataSourceCollectionMovingState"):
        properties.pop(key, None)
    now = utc_now()
    candidate = DataSource(name, kind.name, properties, collection, now, now)
    for other in account.sources.values():
        if other is not existing and other.endpoint_identity() == candidate.endpoint_identity():
            raise PurviewError(
                409,
                "DataSource_AlreadyRegistered",
                f"This source is already registered as data source '{other.name}'.",
            )
    if existing is None:
        account.sources[name.casefold()] = candidate
        return PurviewResponse(201, candidate.to_json(), _location(call))
    existing.properties = properties
    existing.collection = collection
    existing.modified_at = now
    return PurviewResponse(200, existing.to_json())


def get_data_source(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    return PurviewResponse(200, _source(account, call.params["source"]).to_json())


def delete_data_source(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    source = _source(account, call.params["source"])
    if source.scans:
        raise PurviewError(
            409,
            "DataSource_HasScans",
            f"Data source '{source.name}' has scans ({', '.join(sorted(s.name for s in source.scans.values()))}); "
            "delete them first.",
        )
    del account.sources[source.name.casefold()]
    return PurviewResponse(200, source.to_json())


def list_data_sources(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    return PurviewResponse(
        200, page(call, list(account.sources.values()), key=lambda s: s.name.casefold(), render=lambda s: s.to_json())
    )


def _out_of_bound(scan_collection: str, source_collection: str) -> PurviewError:
    return PurviewError(
        400,
        "Scan_CollectionOutOfBound",
        f"The scan's collection '{scan_collection}' is neither the data source's collection '{source_collection}' "
        "nor one of its descendants.",
        target="collection",
    )


def _validate_scan(kind: SourceKind, scan_kind: str, properties: dict[str, Any]) -> None:
    if scan_kind not in kind.scan_kinds:
        raise PurviewError(
            400,
            "Scan_InvalidKind",
            f"'{scan_kind}' is not a scan kind for a data source of kind '{kind.name}'; "
            f"use one of {', '.join(kind.scan_kinds)}.",
            target="kind",
        )
    ruleset_type = properties.get("scanRulesetType")
    ruleset = properties.get("scanRulesetName")
    if ruleset_type not in ("System", "Custom") or not isinstance(ruleset, str) or not ruleset:
        raise PurviewError(
            400,
            "Scan_InvalidScanRuleset",
            "'properties.scanRulesetName' and 'properties.scanRulesetType' ('System' or 'Custom') are required.",
        )
    if ruleset_type == "Custom" or ruleset != kind.name:
        raise PurviewError(
            400,
            "ScanRuleset_NotFound",
            f"Scan rule set '{ruleset}' ({ruleset_type}) does not exist for data sources of kind '{kind.name}'.",
        )
    if scan_kind.endswith("Credential"):
        credential = properties.get("credential")
        reference = credential.get("referenceName") if isinstance(credential, dict) else None
        credential_type = credential.get("credentialType") if isinstance(credential, dict) else None
        if not isinstance(reference, str) or not reference or credential_type not in CREDENTIAL_TYPES:
            raise PurviewError(
                400,
                "Scan_CredentialRequired",
                f"A scan of kind '{scan_kind}' needs 'properties.credential' with a 'referenceName' and a "
                f"'credentialType' ({', '.join(sorted(CREDENTIAL_TYPES))}).",
                target="credential",
            )
    for name in kind.scan_requires:
        if not isinstance(properties.get(name), str) or not properties[name]:
            raise PurviewError(
                400, "Scan_PropertyMissing", f"A scan of kind '{scan_kind}' needs 'properties.{name}'.", target=name
            )


def create_or_update_scan(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    source = _source(account, call.params["source"])
    name = call.params["scan"]
    body = call.json_object()
    scan_kind = body.get("kind")
    if not isinstance(scan_kind, str):
        raise PurviewError(400, "Scan_InvalidKind", "'kind' is required.", target="kind")
    kind = source_kind(source.kind)
    assert kind is not None
    existing = source.scans.get(name.casefold())
    if existing is not None and existing.kind != scan_kind:
        raise PurviewError(
            400, "Scan_KindChange", f"Scan '{existing.name}' is of kind '{existing.kind}'; its kind cannot change."
        )
    properties = _properties(body)
    _validate_scan(kind, scan_kind, properties)
    collection = _collection_reference(account, properties, required=False) or source.collection
    if collection not in {source.collection, *account.descendants(source.collection)}:
        raise _out_of_bound(collection, source.collection)
    for key in ("collection", "createdAt", "lastModifiedAt", "workers"):
        properties.pop(key, None)
    now = utc_now()
    if existing is None:
        scan = Scan(name, scan_kind, properties, collection, now, now)
        source.scans[name.casefold()] = scan
        return PurviewResponse(201, scan.to_json(source.name), _location(call))
    existing.properties = properties
    existing.collection = collection
    existing.modified_at = now
    return PurviewResponse(200, existing.to_json(source.name))


def get_scan(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    source = _source(account, call.params["source"])
    return PurviewResponse(200, _scan(source, call.params["scan"]).to_json(source.name))


def delete_scan(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    source = _source(account, call.params["source"])
    scan = _scan(source, call.params["scan"])
    del source.scans[scan.name.casefold()]
    return PurviewResponse(200, scan.to_json(source.name))


def list_scans(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    source = _source(account, call.params["source"])
    return PurviewResponse(
        200,
        page(
            call, list(source.scans.values()), key=lambda s: s.name.casefold(), render=lambda s: s.to_json(source.name)
        ),
    )


def _trigger_not_found(source: str, scan: str) -> PurviewError:
    return PurviewError(404, "Trigger_NotFound", f"Scan '{scan}' of data source '{source}' has no trigger.")


def _invalid_recurrence(message: str) -> PurviewError:
    return PurviewError(400, "Trigger_InvalidRecurrence", message, target="recurrence")


def _recurrence(properties: dict[str, Any]) -> dict[str, Any]:
    recurrence = properties.get("recurrence")
    if not isinstance(recurrence, dict):
        raise _invalid_recurrence("'properties.recurrence' is required.")
    frequency = recurrence.get("frequency")
    if frequency not in FREQUENCIES:
        raise _invalid_recurrence(f"'recurrence.frequency' must be one of {', '.join(FREQUENCIES)}, not '{frequency}'.")
    interval = recurrence.get("interval")
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise _invalid_recurrence(f"'recurrence.interval' must be an integer of at least 1, not '{interval}'.")
    schedule = recurrence.get("schedule") or {}
    if not isinstance(schedule, dict):
        raise _invalid_recurrence("'recurrence.schedule' must be an object.")
    return {
        "frequency": frequency,
        "interval": interval,
        "startTime": recurrence.get("startTime"),
        "endTime": recurrence.get("endTime"),
        "schedule": {
            key: schedule.get(key) for key in ("minutes", "hours", "weekDays", "monthDays", "monthlyOccurrences")
        },
        "timezone": recurrence.get("timezone"),
    }


def get_trigger(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    source = _source(account, call.params["source"])
    scan = _scan(source, call.params["scan"])
    if scan.trigger is None:
        raise _trigger_not_found(source.name, scan.name)
    return PurviewResponse(200, scan.trigger)


def create_trigger(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    source = _source(account, call.params["source"])
    scan = _scan(source, call.params["scan"])
    properties = _properties(call.json_object())
    recurrence = _recurrence(properties)
    scan_level = properties.get("scanLevel", "Incremental")
    if scan_level not in SCAN_LEVELS:
        raise PurviewError(
            400, "Trigger_InvalidScanLevel", f"'scanLevel' must be Full or Incremental, not '{scan_level}'."
        )
    now = utc_now()
    created = scan.trigger is None
    created_at = now if scan.trigger is None else scan.trigger["properties"]["createdAt"]
    scan.trigger = {
        "properties": {
            "recurrence": recurrence,
            "recurrenceInterval": None,
            "createdAt": created_at,
            "lastModifiedAt": now,
            "lastScheduled": None,
            "scanLevel": scan_level,
        },
        "id": f"datasources/{source.name}/scans/{scan.name}/triggers/default",
        "name": "default",
    }
    if created:
        return PurviewResponse(201, scan.trigger, _location(call))
    return PurviewResponse(200, scan.trigger)


def delete_trigger(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    source = _source(account, call.params["source"])
    scan = _scan(source, call.params["scan"])
    if scan.trigger is None:
        raise _trigger_not_found(source.name, scan.name)
    trigger, scan.trigger = scan.trigger, None
    return PurviewResponse(200, trigger)


def run_scan(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    """Queue a run under the caller's run id: 202 ``Accepted``; the history shows it ``Queued``."""
    source = _source(account, call.params["source"])
    scan = _scan(source, call.params["scan"])
    run_id = call.params["run"]
    scan_level = call.arg("scanLevel") or "Full"
    if scan_level not in SCAN_LEVELS:
        raise PurviewError(
            400, "ScanRun_InvalidScanLevel", f"'scanLevel' must be Full or Incremental, not '{scan_level}'."
        )
    if any(run["id"].casefold() == run_id.casefold() for run in scan.runs):
        raise PurviewError(
            409, "ScanRun_AlreadyExists", f"A run with id '{run_id}' already exists for scan '{scan.name}'."
        )
    now = utc_now()
    scan.runs.append(
        {
            "parentId": None,
            "id": run_id,
            "ingestionJobId": None,
            "resourceId": None,
            "status": "Queued",
            "assetsDiscovered": 0,
            "assetsClassified": 0,
            "webScanResults": None,
            "diagnostics": None,
            "startTime": now,
            "queuedTime": now,
            "pipelineStartTime": None,
            "endTime": None,
            "scanRulesetVersion": 1,
            "scanRulesetType": scan.properties.get("scanRulesetType", "System"),
            "scanLevelType": scan_level,
            "errorMessage": None,
            "error": None,
            "runType": "Manual",
            "dataSourceType": source.kind,
        }
    )
    return PurviewResponse(
        202, {"scanResultId": run_id, "startTime": now, "endTime": None, "status": "Accepted", "error": None}
    )


def cancel_scan(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    source = _source(account, call.params["source"])
    scan = _scan(source, call.params["scan"])
    run_id = call.params["run"]
    run = next((run for run in scan.runs if run["id"].casefold() == run_id.casefold()), None)
    if run is None:
        raise PurviewError(404, "ScanRun_NotFound", f"Scan '{scan.name}' has no run '{run_id}'.")
    now = utc_now()
    run["status"] = "Canceled"
    run["endTime"] = now
    version = quote(call.arg("api-version") or "", safe="")
    location = f"{call.base_url}/operations/{uuid.uuid4()}?api-version={version}&api-version={version}"
    return PurviewResponse(
        202,
        {"scanResultId": None, "startTime": now, "endTime": None, "status": "Accepted", "error": None},
        {"Location": location},
    )


def list_scan_history(account: PurviewAccount, call: PurviewCall) -> PurviewResponse:
    source = _source(account, call.params["source"])
    scan = _scan(source, call.params["scan"])
    ordered = list(reversed(scan.runs))
    positions = {id(run): f"{index:08d}" for index, run in enumerate(ordered)}
    return PurviewResponse(200, page(call, ordered, key=lambda run: positions[id(run)], render=dict))
