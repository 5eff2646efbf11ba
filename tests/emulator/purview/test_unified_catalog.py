"""The Unified Catalog on the Purview listener: business domains, data products, data assets, their
relationships, the catalog's front door (api-versions, tokens, error shape and ``x-ms-error-code``),
its per-caller rate limit, the request log's catalog classes and the control API's view.

Requests go over HTTPS with the app's managed-identity token for Purview's audience, as the app's
own catalog client sends them (there is no official SDK for this API).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from yarl import URL

from emulator.client import (
    CatalogRateLimitSettings,
    CatalogRelationshipState,
    EmulatorControl,
    EmulatorControlError,
    FaultRule,
)
from emulator.process import EmulatorEndpoints
from emulator.purview.unified.ratelimit import CatalogRateLimit
from tests.emulator.purview.conftest import purview_url

API = "2026-03-20-preview"
PREFIX = "/datagovernance/catalog"
OWNER = "0d2b6a53-6f3f-4b43-9c64-4b3f0d7c2a11"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")
_NO_BODY = object()


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]

    @property
    def error(self) -> tuple[int, str, str | None]:
        """Status, ``error.code`` and ``error.target`` of an error answer."""
        error = self.body["error"]
        return self.status, error["code"], error.get("target")


class Catalog:
    """A raw HTTPS client of the catalog (and of the Data Map, to make the entities assets point at)."""

    def __init__(self, http: aiohttp.ClientSession, endpoint: str, token: str) -> None:
        self.http = http
        self.endpoint = endpoint
        self.base = endpoint + PREFIX
        self.token = token

    async def send(
        self,
        method: str,
        path: str,
        body: Any = _NO_BODY,
        *,
        query: Mapping[str, str] | None = None,
        api_version: str | None = API,
        token: str | None = None,
        data: bytes | None = None,
    ) -> Answer:
        if path.startswith("https://"):
            url = URL(path, encoded=True)  # a nextLink, followed as it is
        else:
            params = {"api-version": api_version} if api_version is not None else {}
            url = URL(self.base + path).with_query({**params, **(query or {})})
        headers = {"Authorization": f"Bearer {token or self.token}"} if token != "" else {}
        payload = json.dumps(body).encode() if body is not _NO_BODY else data
        if payload is not None:
            headers["Content-Type"] = "application/json"
        async with self.http.request(method, url, data=payload, headers=headers) as response:
            raw = await response.read()
            return Answer(response.status, json.loads(raw) if raw else None, response.headers)

    async def domain(self, name: str = "Finance", **fields: Any) -> dict[str, Any]:
        answer = await self.send("POST", "/businessdomains", {"name": name, "type": "FunctionalUnit", **fields})
        assert answer.status == 201, answer.body
        created: dict[str, Any] = answer.body
        return created

    async def product(self, domain: str, name: str = "Sales Orders", **fields: Any) -> dict[str, Any]:
        body = {"id": str(uuid.uuid4()), "name": name, "domain": domain, "type": "Operational", **fields}
        answer = await self.send("POST", "/dataProducts", body)
        assert answer.status == 201, answer.body
        created: dict[str, Any] = answer.body
        return created

    async def entity(self, type_name: str, qualified_name: str, name: str | None = None) -> str:
        """A Data Map entity (Atlas) for an asset to point at; returns its guid."""
        attributes = {"qualifiedName": qualified_name, **({"name": name} if name is not None else {})}
        async with self.http.post(
            self.endpoint + "/datamap/api/atlas/v2/entity",
            json={"entity": {"typeName": type_name, "attributes": attributes}},
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            body = await response.json()
            assert response.status == 200, body
        [created] = body["mutatedEntities"]["CREATE"]
        return str(created["guid"])

    async def asset(self, guid: str, **fields: Any) -> dict[str, Any]:
        answer = await self.send("POST", "/dataAssets", {"source": {"assetId": guid}, **fields})
        assert answer.status == 201, answer.body
        created: dict[str, Any] = answer.body
        return created

    async def adls_asset(self, file: str = "moviesDB.csv") -> dict[str, Any]:
        qualified_name = f"https://test.dfs.core.windows.net/prip3/adf/{file}"
        return await self.asset(await self.entity("adls_gen2_path", qualified_name, file))

    async def relate(self, asset: str, product: str, kind: str = "Related") -> Answer:
        return await self.send(
            "POST",
            f"/dataAssets/{asset}/relationships",
            {"entityId": product, "relationshipType": kind, "description": "member of product"},
            query={"entityType": "DATAPRODUCT"},
        )


@pytest.fixture
async def catalog(
    emulator: EmulatorEndpoints, control: EmulatorControl, http: aiohttp.ClientSession, purview_token: str
) -> Catalog:
    endpoint = emulator.unified_catalog_endpoint
    assert endpoint is not None
    return Catalog(http, endpoint, purview_token)


@pytest.fixture
def oid(control: EmulatorControl) -> str:
    """The object id of the app's managed identity: the caller ``systemData`` names."""
    return control.identity().principal_id


async def other_callers_token(emulator: EmulatorEndpoints, http: aiohttp.ClientSession) -> str:
    """A Purview token for a user-assigned identity: another caller, another ``oid``."""
    async with http.get(
        emulator.identity_endpoint,
        params={"api-version": "2019-08-01", "resource": "https://purview.azure.net", "object_id": str(uuid.uuid4())},
        headers={"X-IDENTITY-HEADER": emulator.identity_header},
    ) as response:
        return str((await response.json())["access_token"])


def catalog_edges(answer: Answer) -> list[dict[str, Any]]:
    """The relationships of a list answer."""
    assert answer.status == 200, answer.body
    value: list[dict[str, Any]] = answer.body["value"]
    return value


def check_created_system_data(system_data: Mapping[str, Any], oid: str) -> None:
    assert set(system_data) == {"createdAt", "createdBy", "lastModifiedAt", "lastModifiedBy", "provisioningState"}
    assert TIMESTAMP.match(system_data["createdAt"])
    assert system_data["lastModifiedAt"] == system_data["createdAt"]
    assert (system_data["createdBy"], system_data["lastModifiedBy"]) == (oid, oid)
    assert system_data["provisioningState"] == "Succeeded"


# -- the front door ----------------------------------------------------------------------------------------


def test_the_ready_file_names_the_catalogs_endpoint_the_purview_listener(emulator: EmulatorEndpoints) -> None:
    assert emulator.app_settings["DPGOV_UNIFIED_CATALOG_ENDPOINT"] == emulator.purview_endpoint
    assert not emulator.app_settings["DPGOV_UNIFIED_CATALOG_ENDPOINT"].endswith("/")


@pytest.mark.parametrize(
    ("api_version", "expected"),
    [(None, "ApiVersionUnspecified"), ("2023-09-01", "UnsupportedApiVersion")],
    ids=["missing", "unsupported"],
)
async def test_the_api_version_is_required_and_must_be_the_catalogs(
    catalog: Catalog, api_version: str | None, expected: str
) -> None:
    answer = await catalog.send("GET", "/businessdomains", api_version=api_version)

    assert answer.error == (400, expected, None)
    assert answer.headers["x-ms-error-code"] == expected
    assert answer.headers["api-supported-versions"] == "2025-09-15-preview, 2026-03-20-preview"


async def test_the_previous_preview_api_version_is_served_too(catalog: Catalog) -> None:
    answer = await catalog.send("GET", "/businessdomains", api_version="2025-09-15-preview")

    assert (answer.status, answer.body) == (200, {"value": []})


async def test_a_token_for_another_audience_is_401_with_the_error_code_header(catalog: Catalog, token: str) -> None:
    answer = await catalog.send("GET", "/businessdomains", token=token)

    assert answer.error == (401, "Unauthorized", None)
    assert answer.headers["x-ms-error-code"] == "Unauthorized"
    assert "https://management.azure.com" in answer.body["error"]["message"]


async def test_a_request_without_a_token_is_401_with_the_error_code_header(catalog: Catalog) -> None:
    answer = await catalog.send("GET", "/dataProducts", token="")

    assert answer.error == (401, "Unauthorized", None)
    assert answer.headers["x-ms-error-code"] == "Unauthorized"


async def test_an_unknown_catalog_path_is_404_with_the_error_code_header(catalog: Catalog) -> None:
    answer = await catalog.send("GET", "/glossaryTerms")

    assert answer.error == (404, "NotFound", None)
    assert answer.headers["x-ms-error-code"] == "NotFound"


@pytest.mark.parametrize(
    ("path", "what"),
    [("/businessdomains", "business domain"), ("/dataProducts", "data product"), ("/dataAssets", "data asset")],
)
async def test_an_unknown_id_is_404_not_found_in_azure_cores_shape(catalog: Catalog, path: str, what: str) -> None:
    missing = str(uuid.uuid4())
    query = {"includeExtendedProperties": "false", "includeLineage": "false"} if path == "/dataAssets" else None

    answer = await catalog.send("GET", f"{path}/{missing}", query=query)

    assert answer.status == 404
    assert answer.body == {"error": {"code": "NotFound", "message": f"The {what} '{missing}' was not found."}}
    assert answer.headers["x-ms-error-code"] == "NotFound"
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("path", "query", "target"),
    [
        ("/businessdomains/not-a-uuid", {}, "domainId"),
        ("/dataProducts/1234", {}, "dataProductId"),
        ("/dataAssets/xyz/relationships", {"entityType": "DATAPRODUCT"}, "dataAssetId"),
    ],
)
async def test_a_malformed_uuid_in_the_path_is_400_naming_the_parameter(
    catalog: Catalog, path: str, query: dict[str, str], target: str
) -> None:
    answer = await catalog.send("GET", path, query=query)

    assert answer.error == (400, "InvalidRequest", target)
    assert answer.headers["x-ms-error-code"] == "InvalidRequest"


async def test_fixed_segments_are_case_insensitive(catalog: Catalog) -> None:
    domain = await catalog.domain()

    async with catalog.http.get(
        f"{catalog.endpoint}/DataGovernance/Catalog/BusinessDomains/{domain['id']}?api-version={API}",
        headers={"Authorization": f"Bearer {catalog.token}"},
    ) as response:
        body = await response.json()

    assert (response.status, body["id"]) == (200, domain["id"])


@pytest.mark.parametrize(
    "data", [b"", b"[1, 2]", b'"domain"', b"{not json"], ids=["empty", "array", "string", "malformed"]
)
async def test_a_body_that_is_not_a_json_object_is_400_invalid_request_body(catalog: Catalog, data: bytes) -> None:
    answer = await catalog.send("POST", "/businessdomains", data=data)

    assert answer.error == (400, "InvalidRequestBody", None)
    assert answer.headers["x-ms-error-code"] == "InvalidRequestBody"


async def test_a_fault_reaches_the_catalog_in_its_error_shape(catalog: Catalog, control: EmulatorControl) -> None:
    control.set_faults([FaultRule(status=503, count=1, path="/datagovernance/catalog/businessdomains$")])

    first = await catalog.send("GET", "/businessdomains")
    second = await catalog.send("GET", "/businessdomains")

    assert first.error == (503, "ServiceUnavailable", None)
    assert first.headers["x-ms-error-code"] == "ServiceUnavailable"
    assert second.status == 200


# -- business domains --------------------------------------------------------------------------------------


async def test_a_domain_is_created_with_the_servers_fields(catalog: Catalog, oid: str) -> None:
    answer = await catalog.send(
        "POST",
        "/businessdomains",
        {"name": "Finance", "type": "FunctionalUnit", "description": "Money", "systemData": {"createdBy": "me"}},
    )

    body = answer.body
    assert answer.status == 201
    check_created_system_data(body.pop("systemData"), oid)
    assert uuid.UUID(body.pop("id")).version == 4
    assert body == {
        "name": "Finance",
        "description": "Money",
        "type": "FunctionalUnit",
        "status": "DRAFT",
        "isRestricted": False,
        "parentId": None,
        "thumbnail": {"color": "#FFFFFF"},
        "domains": [],
        "managedAttributes": [],
    }


async def test_a_domain_keeps_the_clients_id_and_a_used_id_is_409_already_exists(catalog: Catalog) -> None:
    domain_id = str(uuid.uuid4())
    created = await catalog.domain(id=domain_id.upper())

    again = await catalog.send("POST", "/businessdomains", {"id": domain_id, "name": "Other", "type": "Project"})
    read = await catalog.send("GET", f"/businessdomains/{domain_id}")

    assert created["id"] == domain_id
    assert again.error == (409, "AlreadyExists", None)
    assert again.body["error"]["message"] == f"A business domain with id '{domain_id}' already exists."
    assert read.body == created


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"name": None}, "name"),
        ({"name": "  "}, "name"),
        ({"name": 7}, "name"),
        ({"type": None}, "type"),
        ({"type": "Department"}, "type"),
        ({"status": "Published"}, "status"),
        ({"isRestricted": "yes"}, "isRestricted"),
        ({"description": ["x"]}, "description"),
        ({"parentId": "parent"}, "parentId"),
        ({"parentId": "9b1f4c9e-6a53-4f7e-8a65-1d5c7b6f4e21"}, "parentId"),
        ({"id": 42}, "id"),
        ({"thumbnail": "#000000"}, "thumbnail"),
        ({"managedAttributes": {"name": "x"}}, "managedAttributes"),
    ],
)
async def test_an_invalid_domain_field_is_400_invalid_request_naming_it(
    catalog: Catalog, change: dict[str, Any], target: str
) -> None:
    body = {
        key: value
        for key, value in {"name": "Finance", "type": "FunctionalUnit", **change}.items()
        if value is not None
    }

    answer = await catalog.send("POST", "/businessdomains", body)

    assert answer.error == (400, "InvalidRequest", target)
    assert answer.headers["x-ms-error-code"] == "InvalidRequest"


async def test_a_name_is_unique_under_one_parent_only(catalog: Catalog) -> None:
    finance = await catalog.domain("Finance")
    sales = await catalog.domain("Sales")
    await catalog.domain("Reporting", parentId=finance["id"])

    twin = await catalog.send(
        "POST", "/businessdomains", {"name": "reporting", "type": "Project", "parentId": finance["id"]}
    )
    elsewhere = await catalog.send(
        "POST", "/businessdomains", {"name": "Reporting", "type": "Project", "parentId": sales["id"]}
    )
    top_level = await catalog.send("POST", "/businessdomains", {"name": "FINANCE", "type": "Project"})

    assert twin.error == (409, "DuplicateName", None)
    assert elsewhere.status == 201
    assert elsewhere.body["parentId"] == sales["id"]
    assert top_level.error == (409, "DuplicateName", None)


async def test_a_domain_put_replaces_it_whole(catalog: Catalog, oid: str) -> None:
    created = await catalog.domain(description="Money", isRestricted=True, thumbnail={"color": "#112233"})

    answer = await catalog.send(
        "PUT",
        f"/businessdomains/{created['id']}",
        {"name": "Finance & Risk", "type": "Regulatory", "status": "PUBLISHED"},
    )

    body = answer.body
    assert answer.status == 200
    assert body == {
        "id": created["id"],
        "name": "Finance & Risk",
        "type": "Regulatory",
        "status": "PUBLISHED",
        "isRestricted": False,
        "parentId": None,
        "thumbnail": {"color": "#FFFFFF"},
        "domains": [],
        "managedAttributes": [],
        "systemData": {**created["systemData"], "lastModifiedAt": body["systemData"]["lastModifiedAt"]},
    }
    assert body["systemData"]["lastModifiedBy"] == oid
    assert (await catalog.send("GET", f"/businessdomains/{created['id']}")).body == body


async def test_a_domain_put_checks_the_body_like_a_create(catalog: Catalog) -> None:
    created = await catalog.domain()
    path = f"/businessdomains/{created['id']}"

    other_id = await catalog.send("PUT", path, {"id": str(uuid.uuid4()), "name": "Finance", "type": "Project"})
    no_type = await catalog.send("PUT", path, {"name": "Finance"})
    own_parent = await catalog.send("PUT", path, {"name": "Finance", "type": "Project", "parentId": created["id"]})
    missing = await catalog.send("PUT", f"/businessdomains/{uuid.uuid4()}", {"name": "Finance", "type": "Project"})

    assert other_id.error == (400, "InvalidRequest", "id")
    assert no_type.error == (400, "InvalidRequest", "type")
    assert own_parent.error == (400, "InvalidRequest", "parentId")
    assert missing.error == (404, "NotFound", None)


async def test_a_domain_holding_a_product_or_a_sub_domain_cannot_be_deleted(catalog: Catalog) -> None:
    domain = await catalog.domain()
    child = await catalog.domain("Payables", parentId=domain["id"])
    product = await catalog.product(domain["id"])

    with_product = await catalog.send("DELETE", f"/businessdomains/{domain['id']}")
    await catalog.send("DELETE", f"/dataProducts/{product['id']}")
    with_child = await catalog.send("DELETE", f"/businessdomains/{domain['id']}")
    await catalog.send("DELETE", f"/businessdomains/{child['id']}")
    emptied = await catalog.send("DELETE", f"/businessdomains/{domain['id']}")
    gone = await catalog.send("GET", f"/businessdomains/{domain['id']}")

    assert with_product.error == (409, "DomainNotEmpty", None)
    assert with_child.error == (409, "DomainNotEmpty", None)
    assert (emptied.status, emptied.body) == (204, None)
    assert gone.error == (404, "NotFound", None)


async def test_the_domain_list_pages_with_an_absolute_next_link_and_a_skip_token(
    catalog: Catalog, control: EmulatorControl
) -> None:
    control.set_page_size(2)
    created = [(await catalog.domain(f"D{index}"))["id"] for index in range(5)]

    first = await catalog.send("GET", "/businessdomains")
    second = await catalog.send("GET", first.body["nextLink"])
    link = urlsplit(second.body["nextLink"])
    token = parse_qs(link.query)["$skipToken"][0]
    third = await catalog.send("GET", "/businessdomains", query={"skipToken": token})

    assert [d["id"] for d in first.body["value"]] == created[:2]
    assert first.body["nextLink"].startswith(f"{catalog.base}/businessdomains?api-version={API}&$skipToken=")
    assert [d["id"] for d in second.body["value"]] == created[2:4]
    assert [d["id"] for d in third.body["value"]] == created[4:]
    assert "nextLink" not in third.body


async def test_a_bad_skip_token_is_400(catalog: Catalog) -> None:
    answer = await catalog.send("GET", "/businessdomains", query={"$skipToken": "nonsense!"})

    assert answer.error == (400, "InvalidRequest", "skipToken")


# -- data products -----------------------------------------------------------------------------------------


async def test_a_product_is_created_with_the_servers_fields(catalog: Catalog, oid: str) -> None:
    domain = await catalog.domain()
    product_id = str(uuid.uuid4())
    sent = {
        "id": product_id,
        "name": "Sales Orders",
        "domain": domain["id"],
        "type": "Operational",
        "description": "Orders by day",
        "businessUse": "Revenue reporting",
        "updateFrequency": "Daily",
        "contacts": {"owner": [{"id": OWNER, "description": "product owner"}], "expert": []},
        "audience": ["DataAnalyst", "Executive"],
        "termsOfUse": [{"url": "https://contoso.example/terms", "name": "Terms"}],
        "documentation": [],
        "sensitivityLabel": "General",
        "endorsed": True,
        "managedAttributes": [{"name": "costCentre", "value": "cc-1", "isRequired": False}],
        "activeSubscriberCount": 12,
        "additionalProperties": {"assetCount": 99},
    }

    answer = await catalog.send("POST", "/dataProducts", sent)

    body = answer.body
    assert answer.status == 201
    check_created_system_data(body.pop("systemData"), oid)
    assert body == {
        **{key: value for key, value in sent.items() if key not in ("activeSubscriberCount", "additionalProperties")},
        "status": "DRAFT",
        "additionalProperties": {"assetCount": 0},
        "activeSubscriberCount": 0,
    }


@pytest.mark.parametrize(
    ("change", "target"),
    [
        ({"id": None}, "id"),
        ({"id": "p-1"}, "id"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"domain": None}, "domain"),
        ({"domain": "finance"}, "domain"),
        ({"domain": "3c8d2f5e-7b4a-4e1d-9f6a-2b5c8d1e4f70"}, "domain"),
        ({"type": None}, "type"),
        ({"type": "Dataset"}, "type"),
        ({"status": "Draft"}, "status"),
        ({"updateFrequency": "Daily "}, "updateFrequency"),
        ({"audience": ["Data Engineer"]}, "audience[0]"),
        ({"audience": "DataEngineer"}, "audience"),
        ({"contacts": {"steward": []}}, "contacts.steward"),
        ({"contacts": {"owner": [{"id": "alice"}]}}, "contacts.owner[0].id"),
        ({"contacts": {"owner": {"id": OWNER}}}, "contacts.owner"),
        ({"termsOfUse": [{"name": "Terms"}]}, "termsOfUse[0].url"),
        ({"documentation": [{"url": "https://x", "name": "Doc", "dataAssetId": "a"}]}, "documentation[0].dataAssetId"),
        ({"endorsed": "true"}, "endorsed"),
        ({"businessUse": 3}, "businessUse"),
    ],
)
async def test_an_invalid_product_field_is_400_invalid_request_naming_it(
    catalog: Catalog, change: dict[str, Any], target: str
) -> None:
    domain = await catalog.domain()
    sent = {"id": str(uuid.uuid4()), "name": "Sales Orders", "domain": domain["id"], "type": "Operational", **change}

    answer = await catalog.send("POST", "/dataProducts", {k: v for k, v in sent.items() if v is not None})

    assert answer.error == (400, "InvalidRequest", target)


async def test_a_product_published_in_an_unpublished_domain_is_400_domain_not_published(catalog: Catalog) -> None:
    draft = await catalog.domain("Draft domain")
    published = await catalog.domain("Published domain", status="PUBLISHED")
    product = await catalog.product(draft["id"])

    created = await catalog.send(
        "POST",
        "/dataProducts",
        {"id": str(uuid.uuid4()), "name": "P", "domain": draft["id"], "type": "AI", "status": "PUBLISHED"},
    )
    updated = await catalog.send("PUT", f"/dataProducts/{product['id']}", {**product, "status": "PUBLISHED"})
    moved = await catalog.send(
        "PUT", f"/dataProducts/{product['id']}", {**product, "domain": published["id"], "status": "PUBLISHED"}
    )

    assert created.error == (400, "DomainNotPublished", "status")
    assert created.headers["x-ms-error-code"] == "DomainNotPublished"
    assert updated.error == (400, "DomainNotPublished", "status")
    assert (moved.status, moved.body["status"], moved.body["domain"]) == (200, "PUBLISHED", published["id"])


async def test_a_product_id_is_unique_and_a_name_unique_in_its_domain(catalog: Catalog) -> None:
    finance = await catalog.domain("Finance")
    sales = await catalog.domain("Sales")
    product = await catalog.product(finance["id"], "Ledger")

    same_id = await catalog.send(
        "POST", "/dataProducts", {"id": product["id"], "name": "Other", "domain": finance["id"], "type": "AI"}
    )
    same_name = await catalog.send(
        "POST", "/dataProducts", {"id": str(uuid.uuid4()), "name": "LEDGER", "domain": finance["id"], "type": "AI"}
    )
    other_domain = await catalog.send(
        "POST", "/dataProducts", {"id": str(uuid.uuid4()), "name": "Ledger", "domain": sales["id"], "type": "AI"}
    )

    assert same_id.error == (409, "AlreadyExists", None)
    assert same_name.error == (409, "DuplicateName", None)
    assert other_domain.status == 201


async def test_a_product_put_is_a_full_replace(catalog: Catalog, oid: str) -> None:
    domain = await catalog.domain()
    product = await catalog.product(
        domain["id"], description="Orders", updateFrequency="Daily", audience=["DataAnalyst"], endorsed=True
    )

    answer = await catalog.send(
        "PUT",
        f"/dataProducts/{product['id']}",
        {"name": "Sales Orders v2", "domain": domain["id"], "type": "Analytical"},
    )

    body = answer.body
    assert answer.status == 200
    assert body == {
        "id": product["id"],
        "name": "Sales Orders v2",
        "domain": domain["id"],
        "type": "Analytical",
        "status": "DRAFT",
        "additionalProperties": {"assetCount": 0},
        "activeSubscriberCount": 0,
        "systemData": {**product["systemData"], "lastModifiedAt": body["systemData"]["lastModifiedAt"]},
    }
    assert body["systemData"]["lastModifiedBy"] == oid
    assert (await catalog.send("GET", f"/dataProducts/{product['id']}")).body == body


async def test_a_product_put_needs_the_paths_id_and_an_existing_product(catalog: Catalog) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])

    other_id = await catalog.send("PUT", f"/dataProducts/{product['id']}", {**product, "id": str(uuid.uuid4())})
    missing = await catalog.send("PUT", f"/dataProducts/{uuid.uuid4()}", {**product, "id": None})

    assert other_id.error == (400, "InvalidRequest", "id")
    assert missing.error == (404, "NotFound", None)


async def test_expiring_a_product_records_when_and_by_whom_until_it_leaves_expired(catalog: Catalog, oid: str) -> None:
    domain = await catalog.domain(status="PUBLISHED")
    product = await catalog.product(domain["id"])
    path = f"/dataProducts/{product['id']}"

    expired = (await catalog.send("PUT", path, {**product, "status": "EXPIRED"})).body
    still = (await catalog.send("PUT", path, {**product, "status": "EXPIRED", "description": "old"})).body
    published = (await catalog.send("PUT", path, {**product, "status": "PUBLISHED"})).body

    assert "expiredAt" not in product["systemData"]
    assert TIMESTAMP.match(expired["systemData"]["expiredAt"])
    assert expired["systemData"]["expiredBy"] == oid
    assert still["systemData"]["expiredAt"] == expired["systemData"]["expiredAt"]
    assert published["status"] == "PUBLISHED"
    assert {"expiredAt", "expiredBy"}.isdisjoint(published["systemData"])


async def test_deleting_a_product_is_204_then_404(catalog: Catalog) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])

    deleted = await catalog.send("DELETE", f"/dataProducts/{product['id']}")
    again = await catalog.send("DELETE", f"/dataProducts/{product['id']}")

    assert (deleted.status, deleted.body) == (204, None)
    assert again.error == (404, "NotFound", None)


async def test_the_product_list_pages_by_skip_and_top_within_a_domain(
    catalog: Catalog, control: EmulatorControl
) -> None:
    finance = await catalog.domain("Finance")
    sales = await catalog.domain("Sales")
    ids = [(await catalog.product(finance["id"], f"P{index}"))["id"] for index in range(3)]
    await catalog.product(sales["id"], "Elsewhere")

    first = await catalog.send("GET", "/dataProducts", query={"domainId": finance["id"], "top": "2", "orderBy": "name"})
    second = await catalog.send("GET", first.body["nextLink"])

    assert [p["id"] for p in first.body["value"]] == ids[:2]
    link = urlsplit(first.body["nextLink"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{catalog.base}/dataProducts"
    assert parse_qs(link.query) == {"api-version": [API], "skip": ["2"], "top": ["2"], "domainId": [finance["id"]]}
    assert [p["id"] for p in second.body["value"]] == ids[2:]
    assert "nextLink" not in second.body


async def test_top_is_capped_at_the_page_size_and_skip_passes_the_first(
    catalog: Catalog, control: EmulatorControl
) -> None:
    control.set_page_size(2)
    domain = await catalog.domain()
    ids = [(await catalog.product(domain["id"], f"P{index}"))["id"] for index in range(4)]

    capped = await catalog.send("GET", "/dataProducts", query={"top": "10"})
    skipped = await catalog.send("GET", "/dataProducts", query={"skip": "3"})

    assert [p["id"] for p in capped.body["value"]] == ids[:2]
    assert parse_qs(urlsplit(capped.body["nextLink"]).query)["skip"] == ["2"]
    assert skipped.body == {"value": [(await catalog.send("GET", f"/dataProducts/{ids[3]}")).body]}


@pytest.mark.parametrize(
    ("query", "target"),
    [({"top": "0"}, "top"), ({"skip": "-1"}, "skip"), ({"top": "two"}, "top"), ({"domainId": "sales"}, "domainId")],
)
async def test_list_parameters_are_checked(catalog: Catalog, query: dict[str, str], target: str) -> None:
    answer = await catalog.send("GET", "/dataProducts", query=query)

    assert answer.error == (400, "InvalidRequest", target)


async def test_the_product_query_filters_by_ids_domains_keyword_and_status(catalog: Catalog) -> None:
    finance = await catalog.domain("Finance", status="PUBLISHED")
    sales = await catalog.domain("Sales")
    ledger = await catalog.product(
        finance["id"], "General Ledger", status="PUBLISHED", contacts={"owner": [{"id": OWNER}]}
    )
    payables = await catalog.product(finance["id"], "Payables")
    orders = await catalog.product(sales["id"], "Sales Ledger")

    async def query(body: dict[str, Any]) -> list[str]:
        answer = await catalog.send("POST", "/dataProducts/query", body)
        assert answer.status == 200, answer.body
        return [p["name"] for p in answer.body["value"]]

    assert await query({}) == ["General Ledger", "Payables", "Sales Ledger"]
    assert await query({"ids": [ledger["id"], orders["id"]]}) == ["General Ledger", "Sales Ledger"]
    assert await query({"domainIds": [finance["id"]]}) == ["General Ledger", "Payables"]
    assert await query({"nameKeyword": "ledger"}) == ["General Ledger", "Sales Ledger"]
    assert await query({"multiStatus": ["Published"]}) == ["General Ledger"]
    assert await query({"status": "Draft", "domainIds": [finance["id"]]}) == ["Payables"]
    assert await query({"owners": [OWNER]}) == ["General Ledger"]
    assert await query({"skip": 1, "top": 1}) == [payables["name"]]


@pytest.mark.parametrize(
    ("body", "target"),
    [({"status": "DRAFT"}, "status"), ({"multiStatus": ["published"]}, "multiStatus[0]"), ({"ids": ["x"]}, "ids[0]")],
)
async def test_the_product_query_takes_the_filters_casing_of_status(
    catalog: Catalog, body: dict[str, Any], target: str
) -> None:
    answer = await catalog.send("POST", "/dataProducts/query", body)

    assert answer.error == (400, "InvalidRequest", target)


async def test_the_product_query_pages_by_a_next_link_with_skip(catalog: Catalog, control: EmulatorControl) -> None:
    control.set_page_size(2)
    domain = await catalog.domain()
    names = [(await catalog.product(domain["id"], f"P{index}"))["name"] for index in range(3)]
    body = {"domainIds": [domain["id"]]}

    first = await catalog.send("POST", "/dataProducts/query", body)
    second = await catalog.send("POST", first.body["nextLink"], body)

    assert [p["name"] for p in first.body["value"]] == names[:2]
    assert first.body["nextLink"] == f"{catalog.base}/dataProducts/query?api-version={API}&skip=2"
    assert [p["name"] for p in second.body["value"]] == names[2:]


async def test_the_product_count_counts_names_containing_the_keyword(catalog: Catalog) -> None:
    domain = await catalog.domain()
    await catalog.product(domain["id"], "General Ledger")
    await catalog.product(domain["id"], "Payables")

    counted = await catalog.send("POST", "/dataProducts/query/count", {"nameKeyword": "LEDGER"})
    missing = await catalog.send("POST", "/dataProducts/query/count", {})

    assert (counted.status, counted.body) == (200, {"count": 1})
    assert missing.error == (400, "InvalidRequest", "nameKeyword")


# -- data assets -------------------------------------------------------------------------------------------


async def test_a_data_asset_registers_an_active_data_map_entity(catalog: Catalog, oid: str) -> None:
    fqn = "https://test.dfs.core.windows.net/prip3/adf/moviesDB.csv"
    guid = await catalog.entity("adls_gen2_path", fqn, "moviesDB.csv")
    contacts = {"owner": [{"id": OWNER, "description": "steward"}]}

    answer = await catalog.send("POST", "/dataAssets", {"source": {"assetId": guid}, "contacts": contacts})

    body = answer.body
    assert answer.status == 201
    check_created_system_data(body.pop("systemData"), oid)
    assert uuid.UUID(body.pop("id")).version == 4
    assert TIMESTAMP.match(body["source"].pop("lastRefreshedAt"))
    assert body == {
        "name": "moviesDB.csv",
        "type": "ADLSGen2Path",
        "description": None,
        "classifications": [],
        "contacts": contacts,
        "openInUrl": None,
        "schema": [],
        "typeProperties": {},
        "source": {
            "type": "DataMap",
            "assetId": guid,
            "assetType": "adls_gen2_path",
            "fqn": fqn,
            "accountName": "dpgov-purview",
            "lastRefreshedBy": oid,
        },
    }


async def test_the_asset_type_follows_the_atlas_type_and_the_name_falls_back_to_the_qualified_name(
    catalog: Catalog,
) -> None:
    table = await catalog.asset(await catalog.entity("azure_sql_table", "mssql://srv/db/dbo/orders", "orders"))
    account = await catalog.asset(await catalog.entity("azure_storage_account", "https://sa.core.windows.net", "sa"))
    async with catalog.http.post(
        f"{catalog.endpoint}/datamap/api/atlas/v2/types/typedefs",
        json={"entityDefs": [{"name": "dpgov_thing", "superTypes": ["Referenceable"], "attributeDefs": []}]},
        headers={"Authorization": f"Bearer {catalog.token}"},
    ) as response:
        assert response.status == 200
    nameless = await catalog.asset(await catalog.entity("dpgov_thing", "thing://one"))

    assert (table["type"], table["name"], table["source"]["assetType"]) == (
        "AzureSqlTable",
        "orders",
        "azure_sql_table",
    )
    assert (account["type"], account["name"]) == ("General", "sa")
    assert (nameless["type"], nameless["name"]) == ("General", "thing://one")


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({}, "source"),
        ({"source": "x"}, "source"),
        ({"source": {}}, "source.assetId"),
        ({"source": {"assetId": "guid"}}, "source.assetId"),
        ({"source": {"assetId": "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"}}, "source.assetId"),
        ({"source": {"assetId": "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"}, "openInUrl": 1}, "openInUrl"),
    ],
    ids=["no-source", "source-not-object", "no-asset-id", "malformed", "unknown", "open-in-url"],
)
async def test_an_asset_needs_an_active_data_map_asset(catalog: Catalog, body: dict[str, Any], target: str) -> None:
    answer = await catalog.send("POST", "/dataAssets", body)

    assert answer.error == (400, "InvalidRequest", target)


async def test_an_asset_for_a_deleted_entity_is_400(catalog: Catalog) -> None:
    guid = await catalog.entity("adls_gen2_path", "https://test.dfs.core.windows.net/c/gone.csv", "gone.csv")
    async with catalog.http.delete(
        f"{catalog.endpoint}/datamap/api/atlas/v2/entity/guid/{guid}",
        headers={"Authorization": f"Bearer {catalog.token}"},
    ) as response:
        assert response.status == 200

    answer = await catalog.send("POST", "/dataAssets", {"source": {"assetId": guid}})

    assert answer.error == (400, "InvalidRequest", "source.assetId")


async def test_a_second_asset_for_one_data_map_asset_is_409_naming_the_first(catalog: Catalog) -> None:
    first = await catalog.adls_asset()
    guid = first["source"]["assetId"]

    answer = await catalog.send("POST", "/dataAssets", {"source": {"assetId": guid.upper()}})

    assert answer.error == (409, "AlreadyExists", None)
    assert answer.body["error"]["message"] == (
        f"The Data Map asset '{guid}' is already registered as data asset '{first['id']}'."
    )


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ({"includeLineage": "false"}, "includeExtendedProperties"),
        ({"includeExtendedProperties": "false"}, "includeLineage"),
        ({"includeExtendedProperties": "yes", "includeLineage": "false"}, "includeExtendedProperties"),
    ],
)
async def test_reading_an_asset_needs_both_booleans(catalog: Catalog, query: dict[str, str], target: str) -> None:
    asset = await catalog.adls_asset()

    answer = await catalog.send("GET", f"/dataAssets/{asset['id']}", query=query)

    assert answer.error == (400, "InvalidRequest", target)


async def test_an_asset_reads_back_with_an_empty_lineage(catalog: Catalog) -> None:
    asset = await catalog.adls_asset()

    answer = await catalog.send(
        "GET", f"/dataAssets/{asset['id']}", query={"includeExtendedProperties": "TRUE", "includeLineage": "true"}
    )

    assert (answer.status, answer.body) == (200, {**asset, "lineage": {}})


async def test_the_asset_list_needs_include_extended_properties_and_pages_by_skip(
    catalog: Catalog, control: EmulatorControl
) -> None:
    control.set_page_size(2)
    ids = [(await catalog.adls_asset(f"f{index}.csv"))["id"] for index in range(3)]

    refused = await catalog.send("GET", "/dataAssets")
    first = await catalog.send("GET", "/dataAssets", query={"includeExtendedProperties": "false"})
    second = await catalog.send("GET", first.body["nextLink"])

    assert refused.error == (400, "InvalidRequest", "includeExtendedProperties")
    assert [a["id"] for a in first.body["value"]] == ids[:2]
    assert parse_qs(urlsplit(first.body["nextLink"]).query) == {
        "api-version": [API],
        "skip": ["2"],
        "includeExtendedProperties": ["false"],
    }
    assert [a["id"] for a in second.body["value"]] == ids[2:]


async def test_an_asset_put_replaces_contacts_but_not_its_data_map_asset(catalog: Catalog) -> None:
    asset = await catalog.adls_asset()
    other = await catalog.entity("adls_gen2_path", "https://test.dfs.core.windows.net/c/other.csv", "other.csv")
    path = f"/dataAssets/{asset['id']}"

    moved = await catalog.send("PUT", path, {"source": {"assetId": other}})
    updated = await catalog.send(
        "PUT", path, {"source": {"assetId": asset["source"]["assetId"]}, "openInUrl": "https://portal/x"}
    )
    replaced = await catalog.send("PUT", path, {"contacts": {"expert": [{"id": OWNER}]}})

    assert moved.error == (400, "InvalidRequest", "source.assetId")
    assert (updated.status, updated.body["openInUrl"], updated.body["contacts"]) == (200, "https://portal/x", {})
    assert (replaced.body["openInUrl"], replaced.body["contacts"]) == (None, {"expert": [{"id": OWNER}]})
    assert replaced.body["systemData"]["createdAt"] == asset["systemData"]["createdAt"]
    assert replaced.body["source"]["assetId"] == asset["source"]["assetId"]


async def test_deleting_an_asset_is_204_then_404(catalog: Catalog) -> None:
    asset = await catalog.adls_asset()

    deleted = await catalog.send("DELETE", f"/dataAssets/{asset['id']}")
    again = await catalog.send("DELETE", f"/dataAssets/{asset['id']}")

    assert (deleted.status, deleted.body) == (204, None)
    assert again.error == (404, "NotFound", None)


async def test_the_asset_query_filters_and_leaves_out_orphans_on_request(catalog: Catalog) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])
    movies = await catalog.adls_asset("movies.csv")
    series = await catalog.adls_asset("series.csv")
    orders = await catalog.asset(
        await catalog.entity("azure_sql_table", "mssql://srv/db/dbo/orders", "orders"),
        contacts={"owner": [{"id": OWNER}]},
    )
    await catalog.relate(movies["id"], product["id"])

    async def query(body: dict[str, Any]) -> list[str]:
        answer = await catalog.send("POST", "/dataAssets/query", body)
        assert answer.status == 200, answer.body
        return [a["name"] for a in answer.body["value"]]

    assert await query({}) == ["movies.csv", "series.csv", "orders"]
    assert await query({"includingOrphans": True}) == ["movies.csv", "series.csv", "orders"]
    assert await query({"includingOrphans": False}) == ["movies.csv"]
    assert await query({"ids": [series["id"]]}) == ["series.csv"]
    assert await query({"sourceAssetIds": [orders["source"]["assetId"]]}) == ["orders"]
    assert await query({"assetTypes": ["adls_gen2_path"], "nameKeyword": "SERIES"}) == ["series.csv"]
    assert await query({"owners": [OWNER]}) == ["orders"]


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({"includingOrphans": "no"}, "includingOrphans"),
        ({"assetTypes": "x"}, "assetTypes"),
        ({"owners": [1]}, "owners[0]"),
    ],
)
async def test_the_asset_query_checks_its_filters(catalog: Catalog, body: dict[str, Any], target: str) -> None:
    answer = await catalog.send("POST", "/dataAssets/query", body)

    assert answer.error == (400, "InvalidRequest", target)


async def test_the_asset_query_pages_by_a_next_link_the_caller_posts_to(
    catalog: Catalog, control: EmulatorControl
) -> None:
    control.set_page_size(2)
    names = [(await catalog.adls_asset(f"f{index}.csv"))["name"] for index in range(5)]
    body = {"assetTypes": ["adls_gen2_path"]}

    seen: list[str] = []
    links: list[str] = []
    answer = await catalog.send("POST", "/dataAssets/query", body)
    while True:
        seen += [a["name"] for a in answer.body["value"]]
        if "nextLink" not in answer.body:
            break
        links.append(answer.body["nextLink"])
        answer = await catalog.send("POST", answer.body["nextLink"], body)

    assert seen == names
    assert links == [
        f"{catalog.base}/dataAssets/query?api-version={API}&skip=2",
        f"{catalog.base}/dataAssets/query?api-version={API}&skip=4",
    ]


# -- relationships -----------------------------------------------------------------------------------------


async def test_an_edge_made_from_the_asset_shows_on_both_sides(catalog: Catalog, oid: str) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])
    asset = await catalog.adls_asset()

    created = await catalog.relate(asset["id"], product["id"])
    from_asset = await catalog.send(
        "GET", f"/dataAssets/{asset['id']}/relationships", query={"entityType": "DATAPRODUCT"}
    )
    from_product = await catalog.send(
        "GET", f"/dataProducts/{product['id']}/relationships", query={"entityType": "DATAASSET"}
    )
    without_type = await catalog.send("GET", f"/dataProducts/{product['id']}/relationships")
    read = await catalog.send("GET", f"/dataProducts/{product['id']}")

    system_data = created.body["systemData"]
    assert created.status == 200
    assert created.body == {
        "entityId": product["id"],
        "relationshipType": "Related",
        "description": "member of product",
        "systemData": system_data,
    }
    assert set(system_data) == {"createdAt", "createdBy", "lastModifiedAt", "lastModifiedBy"}
    assert system_data["createdBy"] == oid
    assert from_asset.body == {"value": [created.body]}
    assert from_product.body == {"value": [{**created.body, "entityId": asset["id"]}]}
    assert without_type.body == from_product.body
    assert read.body["additionalProperties"] == {"assetCount": 1}


async def test_repeating_an_edge_answers_the_existing_one(catalog: Catalog) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])
    asset = await catalog.adls_asset()

    first = await catalog.relate(asset["id"], product["id"])
    second = await catalog.relate(asset["id"], product["id"], kind="Synonym")

    assert (second.status, second.body) == (200, first.body)
    assert len(catalog_edges(await catalog.send("GET", f"/dataProducts/{product['id']}/relationships"))) == 1


async def test_the_product_side_takes_the_keyed_map_and_a_flat_body(catalog: Catalog) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])
    movies = await catalog.adls_asset("movies.csv")
    series = await catalog.adls_asset("series.csv")
    orders = await catalog.adls_asset("orders.csv")
    path = f"/dataProducts/{product['id']}/relationships"

    keyed = await catalog.send(
        "POST",
        path,
        {
            "relationship1": {"entityId": movies["id"], "relationshipType": "Related"},
            "relationship2": {"entityId": series["id"], "relationshipType": "Synonym", "description": "alias"},
        },
        query={"entityType": "DATAASSET"},
    )
    flat = await catalog.send(
        "POST", path, {"entityId": orders["id"], "relationshipType": "Related"}, query={"entityType": "DATAASSET"}
    )
    from_series = await catalog.send(
        "GET", f"/dataAssets/{series['id']}/relationships", query={"entityType": "DATAPRODUCT"}
    )

    assert keyed.status == 200
    assert {k: v for k, v in keyed.body.items() if k != "systemData"} == {
        "entityId": series["id"],
        "relationshipType": "Synonym",
        "description": "alias",
    }
    assert (flat.status, flat.body["entityId"], flat.body["description"]) == (200, orders["id"], None)
    assert [
        e["entityId"] for e in catalog_edges(await catalog.send("GET", path, query={"entityType": "DATAASSET"}))
    ] == [
        movies["id"],
        series["id"],
        orders["id"],
    ]
    assert [(e["entityId"], e["relationshipType"]) for e in catalog_edges(from_series)] == [(product["id"], "Synonym")]


async def test_a_keyed_map_with_one_unknown_asset_creates_nothing(catalog: Catalog, control: EmulatorControl) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])
    movies = await catalog.adls_asset("movies.csv")
    missing = str(uuid.uuid4())

    answer = await catalog.send(
        "POST",
        f"/dataProducts/{product['id']}/relationships",
        {
            "a": {"entityId": movies["id"], "relationshipType": "Related"},
            "b": {"entityId": missing, "relationshipType": "Related"},
        },
        query={"entityType": "DATAASSET"},
    )

    assert answer.error == (404, "NotFound", None)
    assert answer.body["error"]["message"] == f"The data asset '{missing}' was not found."
    assert control.catalog().relationships == ()


@pytest.mark.parametrize(
    ("query", "body", "expected"),
    [
        ({}, {"relationshipType": "Related"}, (400, "InvalidRequest", "entityType")),
        ({"entityType": "CRITICALDATACOLUMN"}, {"relationshipType": "Related"}, (400, "InvalidRequest", "entityType")),
        ({"entityType": "dataproduct"}, {"relationshipType": "Related"}, (400, "InvalidRequest", "entityType")),
        ({"entityType": "DATAPRODUCT"}, {"relationshipType": "Related"}, (400, "InvalidRequest", "entityId")),
        ({"entityType": "DATAPRODUCT"}, {"entityId": "PRODUCT"}, (400, "InvalidRequest", "relationshipType")),
        (
            {"entityType": "DATAPRODUCT"},
            {"entityId": "PRODUCT", "relationshipType": "Contains"},
            (400, "InvalidRequest", "relationshipType"),
        ),
        (
            {"entityType": "DATAPRODUCT"},
            {"entityId": "8a3e1c2d-5b4f-4a6e-9d7c-0b1a2c3d4e5f", "relationshipType": "Related"},
            (404, "NotFound", None),
        ),
        ({"entityType": "TERM"}, {"entityId": "PRODUCT", "relationshipType": "Related"}, (404, "NotFound", None)),
    ],
    ids=[
        "no-entity-type",
        "entity-type-outside-the-enum",
        "entity-type-lower-case",
        "no-entity-id",
        "no-relationship-type",
        "relationship-type-outside-the-enum",
        "unknown-product",
        "a-category-the-emulator-holds-nothing-of",
    ],
)
async def test_an_asset_side_edge_is_checked(
    catalog: Catalog, query: dict[str, str], body: dict[str, Any], expected: tuple[int, str, str | None]
) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])
    asset = await catalog.adls_asset()
    sent = {key: product["id"] if value == "PRODUCT" else value for key, value in body.items()}

    answer = await catalog.send("POST", f"/dataAssets/{asset['id']}/relationships", sent, query=query)

    assert answer.error == expected
    assert answer.headers["x-ms-error-code"] == expected[1]


@pytest.mark.parametrize(
    ("body", "target"),
    [
        ({}, "entityId"),
        ({"relationshipType": "Related"}, "entityId"),
        ({"r1": {"entityId": "ASSET"}}, "r1.relationshipType"),
        ({"r1": {"entityId": "ASSET", "relationshipType": "Related"}, "r2": {"entityId": 5}}, "r2.entityId"),
    ],
    ids=["empty", "flat-without-entity-id", "entry-without-type", "second-entry-malformed"],
)
async def test_a_product_side_edge_is_checked_entry_by_entry(
    catalog: Catalog, control: EmulatorControl, body: dict[str, Any], target: str
) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])
    asset = await catalog.adls_asset()
    sent = json.loads(json.dumps(body).replace('"ASSET"', json.dumps(asset["id"])))

    answer = await catalog.send(
        "POST", f"/dataProducts/{product['id']}/relationships", sent, query={"entityType": "DATAASSET"}
    )

    assert answer.error == (400, "InvalidRequest", target)
    assert control.catalog().relationships == ()


async def test_other_categories_list_empty_on_both_sides(catalog: Catalog) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])
    asset = await catalog.adls_asset()
    await catalog.relate(asset["id"], product["id"])

    terms = await catalog.send("GET", f"/dataAssets/{asset['id']}/relationships", query={"entityType": "TERM"})
    columns = await catalog.send(
        "GET", f"/dataProducts/{product['id']}/relationships", query={"entityType": "DATACOLUMN"}
    )
    unknown = await catalog.send("GET", f"/dataAssets/{asset['id']}/relationships")

    assert (terms.status, terms.body) == (200, {"value": []})
    assert (columns.status, columns.body) == (200, {"value": []})
    assert unknown.error == (400, "InvalidRequest", "entityType")


async def test_an_edge_is_deleted_from_either_side_and_deleting_none_is_204(catalog: Catalog) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])
    movies = await catalog.adls_asset("movies.csv")
    series = await catalog.adls_asset("series.csv")
    await catalog.relate(movies["id"], product["id"])
    await catalog.relate(series["id"], product["id"])

    from_asset = await catalog.send(
        "DELETE",
        f"/dataAssets/{movies['id']}/relationships",
        query={"entityType": "DATAPRODUCT", "entityId": product["id"]},
    )
    from_product = await catalog.send(
        "DELETE",
        f"/dataProducts/{product['id']}/relationships",
        query={"entityType": "DATAASSET", "entityId": series["id"]},
    )
    again = await catalog.send(
        "DELETE",
        f"/dataProducts/{product['id']}/relationships",
        query={"entityType": "DATAASSET", "entityId": series["id"]},
    )
    no_entity = await catalog.send(
        "DELETE", f"/dataProducts/{product['id']}/relationships", query={"entityType": "DATAASSET"}
    )

    assert [a.status for a in (from_asset, from_product, again)] == [204, 204, 204]
    assert no_entity.error == (400, "InvalidRequest", "entityId")
    assert catalog_edges(await catalog.send("GET", f"/dataProducts/{product['id']}/relationships")) == []


async def test_deleting_a_product_or_an_asset_removes_its_edges(catalog: Catalog, control: EmulatorControl) -> None:
    domain = await catalog.domain()
    kept = await catalog.product(domain["id"], "Kept")
    dropped = await catalog.product(domain["id"], "Dropped")
    movies = await catalog.adls_asset("movies.csv")
    series = await catalog.adls_asset("series.csv")
    for asset in (movies, series):
        for product in (kept, dropped):
            await catalog.relate(asset["id"], product["id"])

    await catalog.send("DELETE", f"/dataProducts/{dropped['id']}")
    await catalog.send("DELETE", f"/dataAssets/{series['id']}")

    assert control.catalog().relationships == (
        CatalogRelationshipState(movies["id"], kept["id"], "Related", "member of product"),
    )
    assert (await catalog.send("GET", f"/dataProducts/{kept['id']}")).body["additionalProperties"] == {"assetCount": 1}


# -- the rate limit ----------------------------------------------------------------------------------------


def test_retry_after_is_the_rounded_up_wait_for_the_oldest_counted_request_and_refusals_do_not_count() -> None:
    now = [100.0]
    limit = CatalogRateLimit(CatalogRateLimitSettings(limit=2, window_seconds=20.0), clock=lambda: now[0])

    first = limit.admit("caller")
    now[0] = 100.5
    second = limit.admit("caller")
    now[0] = 103.2
    refused = limit.admit("caller")
    now[0] = 119.99
    refused_late = limit.admit("CALLER")
    other = limit.admit("someone else")
    now[0] = 120.0
    after_the_oldest = limit.admit("caller")
    refused_again = limit.admit("caller")

    assert (first, second, refused, refused_late, other) == (None, None, 17, 1, None)
    assert (after_the_oldest, refused_again) == (None, 1)


async def test_the_rate_limit_is_on_by_default_and_reset_restores_it(
    catalog: Catalog, control: EmulatorControl
) -> None:
    default = control.catalog_rate_limit()
    control.set_catalog_rate_limit(enabled=False, limit=3, window_seconds=1.5)
    changed = control.catalog()
    control.reset()

    assert default == CatalogRateLimitSettings(enabled=True, limit=100, window_seconds=20.0)
    assert changed.rate_limit == CatalogRateLimitSettings(enabled=False, limit=3, window_seconds=1.5)
    assert control.catalog_rate_limit() == default


async def test_a_request_beyond_the_limit_is_429_until_the_window_moves_on(
    catalog: Catalog, control: EmulatorControl
) -> None:
    control.set_catalog_rate_limit(limit=5, window_seconds=2.0)

    allowed = [(await catalog.send("GET", "/businessdomains")).status for _ in range(5)]
    refused = await catalog.send("GET", "/dataProducts")
    refused_again = await catalog.send("GET", "/dataProducts")
    await asyncio.sleep(int(refused.headers["Retry-After"]))
    later = await catalog.send("GET", "/dataProducts")

    assert allowed == [200] * 5
    assert refused.status == 429
    assert refused.body == {
        "error": {
            "code": "TooManyRequests",
            "message": f"Rate limit is exceeded. Try again in {refused.headers['Retry-After']} seconds.",
        }
    }
    assert refused.headers["Retry-After"] == "2"
    assert refused.headers["x-ms-error-code"] == "TooManyRequests"
    assert refused_again.status == 429
    assert later.status == 200


async def test_the_rate_limit_counts_each_caller_apart_and_not_the_data_map(
    emulator: EmulatorEndpoints, catalog: Catalog, control: EmulatorControl, http: aiohttp.ClientSession
) -> None:
    control.set_catalog_rate_limit(limit=2, window_seconds=60.0)
    other = await other_callers_token(emulator, http)

    mine = [(await catalog.send("GET", "/businessdomains")).status for _ in range(3)]
    theirs = [(await catalog.send("GET", "/businessdomains", token=other)).status for _ in range(3)]
    async with http.get(
        f"{purview_url(emulator)}/datamap/api/atlas/v2/types/typedefs",
        headers={"Authorization": f"Bearer {catalog.token}"},
    ) as data_map:
        await data_map.read()

    assert mine == [200, 200, 429]
    assert theirs == [200, 200, 429]
    assert data_map.status == 200


async def test_a_disabled_rate_limit_refuses_nothing(catalog: Catalog, control: EmulatorControl) -> None:
    control.set_catalog_rate_limit(enabled=False, limit=1, window_seconds=60.0)

    statuses = {(await catalog.send("GET", "/businessdomains")).status for _ in range(5)}

    assert statuses == {200}


async def test_the_control_api_refuses_a_bad_rate_limit(control: EmulatorControl) -> None:
    with pytest.raises(EmulatorControlError) as refused:
        control.set_catalog_rate_limit(limit=0)

    assert (refused.value.status, refused.value.message) == (400, "'limit' must be a positive integer")
    assert control.catalog_rate_limit() == CatalogRateLimitSettings()


# -- the request log and the control API -------------------------------------------------------------------


async def test_catalog_requests_are_logged_with_their_classes_and_operation_ids(
    catalog: Catalog, control: EmulatorControl
) -> None:
    domain = await catalog.domain()
    control.clear_requests()

    product = await catalog.product(domain["id"])
    await catalog.send("GET", f"/dataProducts/{product['id']}")
    await catalog.send("POST", "/dataProducts/query", {})
    await catalog.send("POST", "/dataProducts/query/count", {"nameKeyword": "x"})
    await catalog.send("PUT", f"/businessdomains/{domain['id']}", {"name": "Finance", "type": "Project"})
    await catalog.send("GET", f"/dataProducts/{product['id']}/relationships", query={"entityType": "DATAASSET"})
    await catalog.send("DELETE", f"/dataProducts/{product['id']}")

    log = control.requests_log()
    summary = control.request_summary()
    assert [(e.request_class, e.operation, e.status) for e in log] == [
        ("catalog-write", "DataProducts_Create", 201),
        ("catalog-read", "DataProducts_Get", 200),
        ("catalog-read", "DataProducts_Query", 200),
        ("catalog-read", "DataProducts_Count", 200),
        ("catalog-write", "BusinessDomain_Update", 200),
        ("catalog-read", "DataProducts_ListRelationships", 200),
        ("catalog-delete", "DataProducts_Delete", 204),
    ]
    assert (summary.catalog_reads, summary.catalog_writes, summary.catalog_deletes) == (4, 2, 1)
    assert (summary.purview_reads, summary.purview_writes, summary.purview_deletes) == (0, 0, 0)
    assert (summary.catalog_round_trips, summary.purview_round_trips, summary.total) == (7, 0, 7)


async def test_the_control_api_shows_the_catalog_and_reset_clears_it(
    catalog: Catalog, control: EmulatorControl
) -> None:
    domain = await catalog.domain()
    product = await catalog.product(domain["id"])
    asset = await catalog.adls_asset()
    await catalog.relate(asset["id"], product["id"])

    shown = control.catalog()
    in_account = control.purview().catalog
    control.reset()
    cleared = control.catalog()

    assert shown.domain(domain["id"]) == domain
    assert shown.data_product(product["id"]) == {**product, "additionalProperties": {"assetCount": 1}}
    assert shown.data_asset(asset["id"]) == asset
    assert shown.relationships == (
        CatalogRelationshipState(asset["id"], product["id"], "Related", "member of product"),
    )
    assert in_account == shown
    assert (cleared.domains, cleared.data_products, cleared.data_assets, cleared.relationships) == ((), (), (), ())
