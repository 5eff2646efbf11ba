"""The Data Map (Atlas v2) through ``DataMapClient``: type definitions, entity upserts, reads, deletes, Atlas errors."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from azure.core.exceptions import HttpResponseError
from azure.purview.administration.account.aio import PurviewAccountClient
from azure.purview.datamap.aio import DataMapClient

from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints
from tests.emulator.purview.conftest import ROOT, purview_url, ready_collection

RG_TYPE = {
    "entityDefs": [
        {
            "name": "dpgov_resource_group",
            "superTypes": ["DataSet"],
            "serviceType": "Azure",
            "typeVersion": "1.0",
            "attributeDefs": [
                {
                    "name": "location",
                    "typeName": "string",
                    "isOptional": True,
                    "cardinality": "SINGLE",
                    "isUnique": False,
                    "isIndexable": True,
                }
            ],
        }
    ]
}
QN = "/subscriptions/s/resourceGroups/rg1"


def _rg(**attributes: Any) -> dict[str, Any]:
    return {
        "entity": {
            "typeName": "dpgov_resource_group",
            "attributes": {"qualifiedName": QN, "name": "rg1", **attributes},
            "status": "ACTIVE",
        }
    }


def atlas_error(error: HttpResponseError) -> dict[str, Any]:
    """The Atlas error body (the SDK raises 404/409 before parsing its model)."""
    assert error.response is not None
    body: dict[str, Any] = json.loads(error.response.text())
    return body


@pytest.fixture
async def rg_type(datamap: DataMapClient) -> None:
    await datamap.type_definition.batch_create(RG_TYPE)


async def test_a_type_is_created_once(datamap: DataMapClient) -> None:
    created = await datamap.type_definition.batch_create(RG_TYPE)

    with pytest.raises(HttpResponseError) as raised:
        await datamap.type_definition.batch_create(RG_TYPE)

    [definition] = created["entityDefs"]
    assert (definition["category"], definition["version"], definition["lastModifiedTS"]) == ("ENTITY", 1, "1")
    assert isinstance(definition["createTime"], int)
    assert definition["attributeDefs"][0]["valuesMaxCount"] == 1
    assert set(created) == {
        "enumDefs",
        "structDefs",
        "classificationDefs",
        "entityDefs",
        "relationshipDefs",
        "businessMetadataDefs",
    }
    assert raised.value.status_code == 409
    body = atlas_error(raised.value)
    assert (body["errorCode"], body["errorMessage"]) == (
        "ATLAS-409-00-001",
        "Given type dpgov_resource_group already exists",
    )
    assert set(body) == {"requestId", "errorCode", "errorMessage"}


async def test_an_entity_def_is_read_by_name(datamap: DataMapClient, rg_type: None) -> None:
    definition = await datamap.type_definition.get_entity_by_name("dpgov_resource_group")
    listed = await datamap.type_definition.get()

    assert definition["superTypes"] == ["DataSet"]
    assert "dpgov_resource_group" in [d["name"] for d in listed["entityDefs"]]
    assert {"Referenceable", "Asset", "DataSet", "Process"} <= {d["name"] for d in listed["entityDefs"]}


@pytest.mark.parametrize(
    ("name", "service_type"),
    [
        ("azure_storage_account", "Azure Storage"),
        ("azure_sql_server", "Azure SQL Database"),
        ("azure_mysql_server", "Azure Database for MySQL"),
        ("azure_postgresql_server", "Azure Database for PostgreSQL"),
        ("azure_cosmosdb_account", "Azure Cosmos DB"),
        ("azure_synapse_workspace", "Azure Synapse Analytics"),
        ("azure_data_explorer_cluster", "Azure Data Explorer"),
        ("adls_gen2_path", "Azure Data Lake Storage Gen2"),
        ("azure_sql_table", "Azure SQL Database"),
    ],
)
async def test_purviews_azure_data_store_types_are_built_in_data_sets(
    datamap: DataMapClient, name: str, service_type: str
) -> None:
    definition = await datamap.type_definition.get_entity_by_name(name)
    created = await datamap.entity.create_or_update(
        {"entity": {"typeName": name, "attributes": {"qualifiedName": f"{name}://one", "name": "one"}}}
    )

    assert (definition["superTypes"], definition["serviceType"], definition["attributeDefs"]) == (
        ["DataSet"],
        service_type,
        [],
    )
    assert definition["createdBy"] == "ServiceAdmin"
    assert [e["typeName"] for e in created["mutatedEntities"]["CREATE"]] == [name]


async def test_a_built_in_type_cannot_be_deleted(datamap: DataMapClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await datamap.type_definition.delete("azure_storage_account")

    assert raised.value.status_code == 409
    assert atlas_error(raised.value)["errorCode"] == "ATLAS-409-00-002"


async def test_an_unknown_super_type_is_404_type_not_found(datamap: DataMapClient) -> None:
    bad = {"entityDefs": [{**RG_TYPE["entityDefs"][0], "superTypes": ["azure_resource"]}]}

    with pytest.raises(HttpResponseError) as raised:
        await datamap.type_definition.batch_create(bad)

    assert raised.value.status_code == 404
    assert atlas_error(raised.value)["errorCode"] == "ATLAS-404-00-001"


async def test_an_update_may_add_an_optional_attribute_but_not_a_mandatory_one(
    datamap: DataMapClient, rg_type: None
) -> None:
    definition = dict(RG_TYPE["entityDefs"][0])
    optional = {"name": "owner_team", "typeName": "string", "isOptional": True}
    mandatory = {"name": "cost_center", "typeName": "string", "isOptional": False}

    updated = await datamap.type_definition.batch_update(
        {"entityDefs": [{**definition, "attributeDefs": [*definition["attributeDefs"], optional]}]}
    )
    with pytest.raises(HttpResponseError) as raised:
        await datamap.type_definition.batch_update(
            {"entityDefs": [{**definition, "attributeDefs": [*definition["attributeDefs"], optional, mandatory]}]}
        )

    assert (updated["entityDefs"][0]["version"], updated["entityDefs"][0]["lastModifiedTS"]) == (2, "2")
    assert raised.value.status_code == 400
    assert atlas_error(raised.value)["errorCode"] == "ATLAS-400-00-00C"


async def test_an_entity_post_creates_then_updates_the_same_qualified_name(
    datamap: DataMapClient, rg_type: None
) -> None:
    created = await datamap.entity.create_or_update(_rg())
    updated = await datamap.entity.create_or_update(_rg(location="westeurope"))

    [first] = created["mutatedEntities"]["CREATE"]
    [second] = updated["mutatedEntities"]["UPDATE"]
    assert "UPDATE" not in created["mutatedEntities"]
    assert "CREATE" not in updated["mutatedEntities"]
    assert second["guid"] == first["guid"]
    assert list(created["guidAssignments"].values()) == [first["guid"]]
    assert (first["lastModifiedTS"], second["lastModifiedTS"]) == ("1", "2")
    assert first["attributes"] == {"qualifiedName": QN}


async def test_the_callers_placeholder_guid_is_assigned(datamap: DataMapClient, rg_type: None) -> None:
    body = _rg()
    body["entity"]["guid"] = "-1"

    result = await datamap.entity.create_or_update(body)

    assert result["guidAssignments"] == {"-1": result["mutatedEntities"]["CREATE"][0]["guid"]}


async def test_an_entity_reads_back_by_unique_attribute_with_atlas_times(datamap: DataMapClient, rg_type: None) -> None:
    body = _rg(location="westeurope")
    body["entity"]["relationshipAttributes"] = {"meanings": []}
    body["entity"]["contacts"] = {"Owner": [{"id": "2f656762-e440-4b62-9eb6-a991d17d64b0", "info": "owner"}]}
    await datamap.entity.create_or_update(body)

    read = await datamap.entity.get_by_unique_attribute("dpgov_resource_group", attribute=QN)

    entity = read["entity"]
    assert entity["attributes"] == {"qualifiedName": QN, "name": "rg1", "location": "westeurope"}
    assert entity["relationshipAttributes"] == {"meanings": []}
    assert entity["contacts"]["Owner"][0]["info"] == "owner"
    assert (entity["status"], entity["collectionId"], entity["lastModifiedTS"]) == ("ACTIVE", ROOT, "1")
    assert isinstance(entity["createTime"], int)
    assert entity["createTime"] > 1_600_000_000_000


async def test_collection_id_puts_the_entity_in_that_collection(
    datamap: DataMapClient, accounts: PurviewAccountClient, control: EmulatorControl, rg_type: None
) -> None:
    await ready_collection(accounts, "sales")

    result = await datamap.entity.create_or_update(_rg(), collection_id="Sales")

    [entity] = control.purview().entities
    assert (entity.guid, entity.collection_id) == (result["mutatedEntities"]["CREATE"][0]["guid"], "sales")


async def test_collection_id_must_name_an_existing_collection(datamap: DataMapClient, rg_type: None) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await datamap.entity.create_or_update(_rg(), collection_id="nowhere")

    assert raised.value.status_code == 400
    assert atlas_error(raised.value)["errorCode"] == "ATLAS-400-00-01A"


async def test_an_unknown_type_is_404_atlas_404_00_001(datamap: DataMapClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await datamap.entity.create_or_update(_rg())

    assert raised.value.status_code == 404
    assert atlas_error(raised.value)["errorCode"] == "ATLAS-404-00-001"


async def test_an_unknown_attribute_is_400_atlas_400_00_023(datamap: DataMapClient, rg_type: None) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await datamap.entity.create_or_update(_rg(colour="blue"))

    assert raised.value.status_code == 400
    body = atlas_error(raised.value)
    assert (body["errorCode"], body["errorMessage"]) == (
        "ATLAS-400-00-023",
        "Attribute colour not found for type dpgov_resource_group",
    )


async def test_a_missing_mandatory_attribute_is_400_atlas_400_00_02b(datamap: DataMapClient, rg_type: None) -> None:
    body = _rg()
    del body["entity"]["attributes"]["name"]

    with pytest.raises(HttpResponseError) as raised:
        await datamap.entity.create_or_update(body)

    assert raised.value.status_code == 400
    assert atlas_error(raised.value) | {"requestId": ""} == {
        "requestId": "",
        "errorCode": "ATLAS-400-00-02B",
        "errorMessage": "Mandatory field Asset.name has empty/null value",
    }


async def test_a_missing_unique_attribute_is_404_atlas_404_00_009(datamap: DataMapClient, rg_type: None) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await datamap.entity.get_by_unique_attribute("dpgov_resource_group", attribute="/nothing")

    assert raised.value.status_code == 404
    assert atlas_error(raised.value)["errorMessage"] == (
        "Instance dpgov_resource_group with unique attribute {qualifiedName=/nothing} does not exist"
    )
    assert atlas_error(raised.value)["errorCode"] == "ATLAS-404-00-009"


async def test_delete_by_unique_attribute_marks_the_entity_deleted(datamap: DataMapClient, rg_type: None) -> None:
    created = await datamap.entity.create_or_update(_rg())
    guid = created["mutatedEntities"]["CREATE"][0]["guid"]

    deleted = await datamap.entity.delete_by_unique_attribute("dpgov_resource_group", attribute=QN)
    by_guid = await datamap.entity.get(guid)
    with pytest.raises(HttpResponseError) as raised:
        await datamap.entity.get_by_unique_attribute("dpgov_resource_group", attribute=QN)
    recreated = await datamap.entity.create_or_update(_rg())

    assert [(e["guid"], e["status"]) for e in deleted["mutatedEntities"]["DELETE"]] == [(guid, "DELETED")]
    assert by_guid["entity"]["status"] == "DELETED"
    assert raised.value.status_code == 404
    assert recreated["mutatedEntities"]["CREATE"][0]["guid"] != guid


async def test_bulk_upserts_several_entities_at_once(datamap: DataMapClient, rg_type: None) -> None:
    await datamap.entity.create_or_update(_rg())
    other = {**_rg()["entity"], "attributes": {"qualifiedName": "/subscriptions/s/resourceGroups/rg2", "name": "rg2"}}

    result = await datamap.entity.batch_create_or_update({"entities": [_rg()["entity"], other]})
    guids = [e["guid"] for kind in ("CREATE", "UPDATE") for e in result["mutatedEntities"][kind]]
    read = await datamap.entity.get_by_ids(guid=guids)

    assert [len(result["mutatedEntities"][kind]) for kind in ("CREATE", "UPDATE")] == [1, 1]
    assert sorted(e["attributes"]["name"] for e in read["entities"]) == ["rg1", "rg2"]


async def test_a_missing_guid_is_404_atlas_404_00_005(datamap: DataMapClient) -> None:
    with pytest.raises(HttpResponseError) as raised:
        await datamap.entity.get("00000000-0000-0000-0000-000000000000")

    assert atlas_error(raised.value)["errorCode"] == "ATLAS-404-00-005"


async def test_unique_attribute_routes_need_no_api_version_and_take_the_colon_raw(
    emulator: EmulatorEndpoints, datamap: DataMapClient, http: aiohttp.ClientSession, purview_token: str, rg_type: None
) -> None:
    await datamap.entity.create_or_update(_rg())

    async with http.get(
        f"{purview_url(emulator)}/datamap/api/atlas/v2/entity/uniqueAttribute/type/dpgov_resource_group"
        "?attr:qualifiedName=%2Fsubscriptions%2Fs%2FresourceGroups%2Frg1",
        headers={"Authorization": f"Bearer {purview_token}"},
    ) as response:
        body = await response.json()

    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert body["entity"]["attributes"]["qualifiedName"] == QN
