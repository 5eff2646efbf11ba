"""Scanning through ``PurviewScanningClient``: data sources, scans, triggers and runs with Purview's quirks."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.purview.administration.account.aio import PurviewAccountClient
from azure.purview.scanning.aio import PurviewScanningClient

from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints
from tests.emulator.purview.conftest import (
    ROOT,
    adls_source,
    code,
    msi_scan,
    purview_url,
    ready_collection,
    status_and_code,
)

API = "2018-12-01-preview"


async def _put(http: aiohttp.ClientSession, url: str, token: str, body: Any) -> tuple[int, dict[str, str], Any]:
    async with http.put(url, json=body, headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, dict(response.headers), await response.json()


async def test_registering_a_source_answers_201_with_a_location_repeating_the_api_version(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, purview_token: str
) -> None:
    url = f"{purview_url(emulator)}/datasources/root-adls?api-version={API}"

    status, headers, body = await _put(http, url, purview_token, adls_source(ROOT))

    assert status == 201
    assert headers["Location"] == f"{url}&api-version={API}"
    assert (body["id"], body["name"], body["kind"]) == ("datasources/root-adls", "root-adls", "AdlsGen2")
    assert body["properties"]["dataSourceCollectionMovingState"] == 0
    assert body["properties"]["collection"]["referenceName"] == ROOT
    assert set(body["properties"]["collection"]) == {"lastModifiedAt", "referenceName", "type"}


async def test_updating_a_source_answers_200(scanning: PurviewScanningClient) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))
    body = adls_source(ROOT)
    body["properties"]["location"] = "northeurope"

    updated = await scanning.data_sources.create_or_update("src", body)

    assert updated["properties"]["location"] == "northeurope"


async def test_an_unknown_kind_is_400(scanning: PurviewScanningClient) -> None:
    body = adls_source(ROOT)
    body["kind"] = "AdlsGen2DataSource"

    with pytest.raises(HttpResponseError) as raised:
        await scanning.data_sources.create_or_update("src", body)

    assert status_and_code(raised.value) == (400, "DataSource_InvalidKind")


@pytest.mark.parametrize(
    ("kind", "properties", "code"),
    [
        ("AdlsGen2", {}, "DataSource_PropertyMissing"),
        ("AdlsGen2", {"endpoint": "https://sa1.blob.core.windows.net/"}, "DataSource_InvalidEndpoint"),
        ("AzureSqlDatabase", {"serverEndpoint": "https://srv.database.windows.net"}, "DataSource_InvalidEndpoint"),
        ("AzureCosmosDb", {"accountUri": "https://acct.documents.azure.com:443/"}, None),
        ("AzureMySql", {"serverEndpoint": "db1.mysql.database.azure.com", "port": 3306}, None),
        ("AzurePostgreSql", {"serverEndpoint": "db1.postgres.database.azure.com", "port": 5432}, None),
        (
            "AzureSynapseWorkspace",
            {
                "dedicatedSqlEndpoint": "ws1.sql.azuresynapse.net",
                "serverlessSqlEndpoint": "ws1-ondemand.sql.azuresynapse.net",
            },
            None,
        ),
        ("AzureDataExplorer", {"endpoint": "https://adx1.westeurope.kusto.windows.net"}, None),
        ("AzureStorage", {"endpoint": "https://sa1.blob.core.windows.net/"}, None),
    ],
    ids=["missing", "adls-blob-endpoint", "sql-url", "cosmos", "mysql", "postgres", "synapse", "adx", "blob"],
)
async def test_endpoint_properties_are_validated_per_kind(
    scanning: PurviewScanningClient, kind: str, properties: dict[str, Any], code: str | None
) -> None:
    body = {"kind": kind, "properties": {**properties, "collection": {"referenceName": ROOT}}}

    if code is None:
        created = await scanning.data_sources.create_or_update("src", body)
        assert created["kind"] == kind
        return
    with pytest.raises(HttpResponseError) as raised:
        await scanning.data_sources.create_or_update("src", body)
    assert status_and_code(raised.value) == (400, code)


async def test_a_source_needs_an_existing_collection(scanning: PurviewScanningClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await scanning.data_sources.create_or_update("src", adls_source("nowhere"))

    assert status_and_code(raised.value) == (400, "InvalidCollectionReference")


async def test_a_source_cannot_go_into_a_collection_still_creating(
    scanning: PurviewScanningClient, accounts: PurviewAccountClient
) -> None:
    await accounts.collections.create_or_update_collection("fresh", {"parentCollection": {"referenceName": ROOT}})

    with pytest.raises(HttpResponseError) as raised:
        await scanning.data_sources.create_or_update("src", adls_source("fresh"))

    assert status_and_code(raised.value) == (409, "CollectionNotReady")


async def test_the_same_source_cannot_be_registered_twice(scanning: PurviewScanningClient) -> None:
    await scanning.data_sources.create_or_update("first", adls_source(ROOT))

    with pytest.raises(HttpResponseError) as raised:
        await scanning.data_sources.create_or_update("second", adls_source(ROOT))

    assert status_and_code(raised.value) == (409, "DataSource_AlreadyRegistered")


async def test_deleting_a_source_answers_200_with_the_deleted_source(scanning: PurviewScanningClient) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))

    deleted = await scanning.data_sources.delete("src")

    assert (deleted["id"], deleted["kind"]) == ("datasources/src", "AdlsGen2")
    with pytest.raises(ResourceNotFoundError) as raised:
        await scanning.data_sources.get("src")
    assert code(raised.value) == "DataSource_NotFound"


async def test_a_source_with_scans_cannot_be_deleted(scanning: PurviewScanningClient) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))
    await scanning.scans.create_or_update("src", "weekly", msi_scan())

    with pytest.raises(HttpResponseError) as raised:
        await scanning.data_sources.delete("src")

    assert status_and_code(raised.value) == (409, "DataSource_HasScans")


async def test_sources_list_in_pages(scanning: PurviewScanningClient, control: EmulatorControl) -> None:
    for index in range(3):
        await scanning.data_sources.create_or_update(f"src{index}", adls_source(ROOT, f"sa{index}data"))
    control.set_page_size(2)
    control.clear_requests()

    names = [source["name"] async for source in scanning.data_sources.list_all()]

    assert names == ["src0", "src1", "src2"]
    assert control.request_summary().by_operation["DataSources_ListAll"] == 2


async def test_a_scan_is_created_with_201_and_a_relative_id(
    emulator: EmulatorEndpoints, scanning: PurviewScanningClient, http: aiohttp.ClientSession, purview_token: str
) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))
    url = f"{purview_url(emulator)}/datasources/src/scans/full?api-version={API}"

    status, headers, body = await _put(http, url, purview_token, msi_scan())

    assert (status, headers["Location"]) == (201, f"{url}&api-version={API}")
    assert (body["id"], body["kind"], body["isMauiScan"]) == ("datasources/src/scans/full", "AdlsGen2Msi", False)
    assert body["properties"]["collection"]["referenceName"] == ROOT


async def test_a_scan_kind_must_fit_its_source(scanning: PurviewScanningClient) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))

    with pytest.raises(HttpResponseError) as raised:
        await scanning.scans.create_or_update("src", "s", {**msi_scan(), "kind": "AzureStorageMsi"})

    assert status_and_code(raised.value) == (400, "Scan_InvalidKind")


async def test_mysql_has_no_msi_scan_and_its_credential_scan_needs_a_credential(
    scanning: PurviewScanningClient,
) -> None:
    source = {
        "kind": "AzureMySql",
        "properties": {
            "serverEndpoint": "db1.mysql.database.azure.com",
            "port": 3306,
            "collection": {"referenceName": ROOT},
        },
    }
    await scanning.data_sources.create_or_update("mysql", source)
    scan: dict[str, Any] = {
        "kind": "AzureMySqlCredential",
        "properties": {"databaseName": "sales", "scanRulesetName": "AzureMySql", "scanRulesetType": "System"},
    }

    with pytest.raises(HttpResponseError) as msi:
        await scanning.scans.create_or_update("mysql", "s", {**scan, "kind": "AzureMySqlMsi"})
    with pytest.raises(HttpResponseError) as no_credential:
        await scanning.scans.create_or_update("mysql", "s", scan)
    scan["properties"]["credential"] = {"referenceName": "sqlauth", "credentialType": "SqlAuth"}
    created = await scanning.scans.create_or_update("mysql", "s", scan)

    assert code(msi.value) == "Scan_InvalidKind"
    assert status_and_code(no_credential.value) == (400, "Scan_CredentialRequired")
    assert created["kind"] == "AzureMySqlCredential"


async def test_a_scan_names_the_system_rule_set_of_its_source_kind(scanning: PurviewScanningClient) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))
    scan = msi_scan()
    scan["properties"]["scanRulesetName"] = "AzureStorage"

    with pytest.raises(HttpResponseError) as raised:
        await scanning.scans.create_or_update("src", "s", scan)

    assert status_and_code(raised.value) == (400, "ScanRuleset_NotFound")


async def test_a_scan_outside_the_sources_collection_tree_is_out_of_bound(
    scanning: PurviewScanningClient, accounts: PurviewAccountClient
) -> None:
    await ready_collection(accounts, "domain")
    await ready_collection(accounts, "product", parent="domain")
    await ready_collection(accounts, "other")
    await scanning.data_sources.create_or_update("src", adls_source("domain"))

    below = await scanning.scans.create_or_update("src", "in-product", msi_scan("product"))
    with pytest.raises(HttpResponseError) as sibling:
        await scanning.scans.create_or_update("src", "in-other", msi_scan("other"))
    with pytest.raises(HttpResponseError) as above:
        await scanning.scans.create_or_update("src", "in-root", msi_scan(ROOT))

    assert below["properties"]["collection"]["referenceName"] == "product"
    assert status_and_code(sibling.value) == (400, "Scan_CollectionOutOfBound")
    assert code(above.value) == "Scan_CollectionOutOfBound"


async def test_deleting_a_scan_answers_200_with_the_scan(scanning: PurviewScanningClient) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))
    await scanning.scans.create_or_update("src", "s", msi_scan())

    deleted = await scanning.scans.delete("src", "s")

    assert deleted["id"] == "datasources/src/scans/s"
    assert [scan async for scan in scanning.scans.list_by_data_source("src")] == []


TRIGGER = {
    "properties": {
        "scanLevel": "Incremental",
        "recurrence": {
            "frequency": "Week",
            "interval": 1,
            "startTime": "2024-01-01T00:00:00Z",
            "schedule": {"hours": [2], "minutes": [0], "weekDays": ["Sunday"]},
        },
    }
}


async def test_a_trigger_is_created_then_updated_then_deleted(scanning: PurviewScanningClient) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))
    await scanning.scans.create_or_update("src", "s", msi_scan())

    created = await scanning.triggers.create_trigger("src", "s", TRIGGER)
    monthly = {"properties": {"recurrence": {"frequency": "Month", "interval": 1, "schedule": {"monthDays": [1]}}}}
    updated = await scanning.triggers.create_trigger("src", "s", monthly)
    deleted = await scanning.triggers.delete_trigger("src", "s")

    assert (created["id"], created["name"]) == ("datasources/src/scans/s/triggers/default", "default")
    assert created["properties"]["recurrence"]["schedule"]["weekDays"] == ["Sunday"]
    assert created["properties"]["lastScheduled"] is None
    assert updated["properties"]["recurrence"]["frequency"] == "Month"
    assert updated["properties"]["createdAt"] == created["properties"]["createdAt"]
    assert deleted["properties"]["recurrence"]["frequency"] == "Month"
    with pytest.raises(ResourceNotFoundError) as raised:
        await scanning.triggers.get_trigger("src", "s")
    assert code(raised.value) == "Trigger_NotFound"


async def test_trigger_creation_answers_201_then_200(
    emulator: EmulatorEndpoints, scanning: PurviewScanningClient, http: aiohttp.ClientSession, purview_token: str
) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))
    await scanning.scans.create_or_update("src", "s", msi_scan())
    url = f"{purview_url(emulator)}/datasources/src/scans/s/triggers/default?api-version={API}"

    first, headers, _ = await _put(http, url, purview_token, TRIGGER)
    second, _, _ = await _put(http, url, purview_token, TRIGGER)

    assert (first, second) == (201, 200)
    assert headers["Location"] == f"{url}&api-version={API}"


@pytest.mark.parametrize(
    "recurrence",
    [{"frequency": "Minute", "interval": 1}, {"frequency": "Week", "interval": 0}, {"frequency": "Day"}],
    ids=["frequency", "interval-zero", "interval-missing"],
)
async def test_an_invalid_recurrence_is_400(scanning: PurviewScanningClient, recurrence: dict[str, Any]) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))
    await scanning.scans.create_or_update("src", "s", msi_scan())

    with pytest.raises(HttpResponseError) as raised:
        await scanning.triggers.create_trigger("src", "s", {"properties": {"recurrence": recurrence}})

    assert status_and_code(raised.value) == (400, "Trigger_InvalidRecurrence")


async def test_running_a_scan_answers_202_accepted_and_the_history_lists_the_run(
    scanning: PurviewScanningClient,
) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))
    await scanning.scans.create_or_update("src", "s", msi_scan())

    accepted = await scanning.scan_result.run_scan("src", "s", "run-1", scan_level="Full")
    history = [run async for run in scanning.scan_result.list_scan_history("src", "s")]

    assert (accepted["scanResultId"], accepted["status"], accepted["endTime"]) == ("run-1", "Accepted", None)
    assert [(run["id"], run["status"], run["scanLevelType"], run["dataSourceType"]) for run in history] == [
        ("run-1", "Queued", "Full", "AdlsGen2")
    ]


async def test_a_scan_of_a_missing_source_is_404(scanning: PurviewScanningClient) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        await scanning.scans.get("ghost", "s")

    assert code(raised.value) == "DataSource_NotFound"


async def test_newer_scanning_api_versions_are_accepted(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, purview_token: str
) -> None:
    async with http.get(
        f"{purview_url(emulator)}/scan/datasources?api-version=2023-09-01",
        headers={"Authorization": f"Bearer {purview_token}"},
    ) as response:
        body = await response.json()

    assert response.status == 200
    assert body == {"value": [], "count": 0}


async def test_the_source_list_carries_each_sources_scans(scanning: PurviewScanningClient) -> None:
    await scanning.data_sources.create_or_update("src", adls_source(ROOT))
    await scanning.scans.create_or_update("src", "weekly", msi_scan(ROOT))

    listed = [source async for source in scanning.data_sources.list_all()]

    assert [(s["name"], [scan["name"] for scan in s["scans"]]) for s in listed] == [("src", ["weekly"])]
