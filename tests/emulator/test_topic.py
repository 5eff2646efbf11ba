"""The custom topic: publishing through azure-eventgrid, its authentication, refusals and fault rules."""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import requests
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent
from azure.eventgrid.aio import EventGridPublisherClient
from azure.identity.aio import DefaultAzureCredential

from emulator.client import EmulatorControl, FaultRule, TopicEvent, TopicPublish
from emulator.process import EmulatorEndpoints

WHEN = datetime.datetime(2026, 11, 27, 14, 0, 0, tzinfo=datetime.UTC)
CLOUD_BATCH = "application/cloudevents-batch+json; charset=utf-8"
GOOD = {"specversion": "1.0", "id": "e-1", "source": "/dpgov/lz-emea", "type": "DataProduct.Governed"}


def topic_endpoint(emulator: EmulatorEndpoints) -> str:
    endpoint = emulator.outcome_topic_endpoint
    assert endpoint is not None
    return endpoint


@pytest.fixture
async def publisher(
    emulator: EmulatorEndpoints, credential: DefaultAzureCredential
) -> AsyncIterator[EventGridPublisherClient]:
    """The SDK's publisher with the managed identity, as the app builds it."""
    async with EventGridPublisherClient(
        topic_endpoint(emulator),
        credential,
        connection_verify=emulator.ca_bundle,
        retry_total=1,
        retry_backoff_factor=0,
    ) as client:
        yield client


def post(
    emulator: EmulatorEndpoints, body: Any, *, headers: dict[str, str] | None = None, api_version: str = "2018-01-01"
) -> requests.Response:
    """A raw publish, for what the SDK never sends."""
    sent = {"Content-Type": CLOUD_BATCH, "aeg-sas-key": str(emulator.outcome_topic_key), **(headers or {})}
    return requests.post(
        topic_endpoint(emulator),
        params={"api-version": api_version},
        data=body if isinstance(body, bytes) else json.dumps(body),
        headers={name: value for name, value in sent.items() if value},
        verify=emulator.ca_bundle,
        timeout=30,
    )


async def test_a_cloud_events_batch_published_with_the_managed_identity_is_kept_in_order(
    control: EmulatorControl, publisher: EventGridPublisherClient
) -> None:
    await publisher.send(
        [
            CloudEvent(
                source="/dpgov/lz-emea", type="DataProduct.Governed", subject="/a", data={"n": 1}, id="e-1", time=WHEN
            ),
            CloudEvent(
                source="/dpgov/lz-emea", type="DataProduct.Retired", subject="/b", data={"n": 2}, id="e-2", time=WHEN
            ),
        ]
    )

    events = control.topic_events()
    assert [(e.schema, e.id, e.type, e.source, e.subject, e.data) for e in events] == [
        ("CloudEventSchemaV1_0", "e-1", "DataProduct.Governed", "/dpgov/lz-emea", "/a", {"n": 1}),
        ("CloudEventSchemaV1_0", "e-2", "DataProduct.Retired", "/dpgov/lz-emea", "/b", {"n": 2}),
    ]
    assert events[0].event["specversion"] == "1.0"
    assert str(events[0].time).startswith("2026-11-27T14:00:00")
    assert control.topic_publishes() == [TopicPublish(200, "CloudEventSchemaV1_0", 2)]


async def test_each_publish_says_how_many_were_in_flight_when_it_arrived(
    control: EmulatorControl, publisher: EventGridPublisherClient
) -> None:
    def one(n: int) -> CloudEvent[dict[str, int]]:
        return CloudEvent(source="/dpgov/lz-emea", type="DataProduct.Governed", data={"n": n}, id=f"e-{n}", time=WHEN)

    await publisher.send([one(0)])  # the token, fetched before the latency applies
    control.set_latency(600)
    try:
        await asyncio.gather(publisher.send([one(1)]), publisher.send([one(2)]))
        await publisher.send([one(3)])
    finally:
        control.set_latency(0)

    assert [p.in_flight for p in control.topic_publishes()] == [1, 1, 2, 1], "the two sent together overlapped"


async def test_the_event_grid_schema_with_the_access_key_is_kept_with_what_event_grid_stamps(
    emulator: EmulatorEndpoints, control: EmulatorControl
) -> None:
    async with EventGridPublisherClient(
        topic_endpoint(emulator),
        AzureKeyCredential(str(emulator.outcome_topic_key)),
        connection_verify=emulator.ca_bundle,
    ) as client:
        await client.send([EventGridEvent(subject="/a", event_type="Dpgov.Test", data={"n": 1}, data_version="1.0")])

    [event] = control.topic_events()
    assert (event.schema, event.type, event.subject, event.data) == ("EventGridSchema", "Dpgov.Test", "/a", {"n": 1})
    assert event.source.endswith("/providers/Microsoft.EventGrid/topics/dpgov-outcomes"), "the topic's id, stamped"
    assert (event.event["dataVersion"], event.event["metadataVersion"]) == ("1.0", "1")


async def test_a_token_for_another_audience_is_refused_401_and_nothing_is_kept(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> None:
    arm_token = (await credential.get_token("https://management.azure.com/.default")).token

    refused = post(emulator, [GOOD], headers={"aeg-sas-key": "", "Authorization": f"Bearer {arm_token}"})

    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "Unauthorized"
    assert "audience" in refused.json()["error"]["message"]
    assert control.topic_events() == []


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"aeg-sas-key": ""}, "no credential"),
        ({"aeg-sas-key": "bm90IHRoZSBrZXk="}, "a wrong key"),
        ({"aeg-sas-key": "", "Authorization": "Bearer not.a.token"}, "a forged token"),
    ],
)
def test_no_credential_or_a_wrong_one_is_401(
    emulator: EmulatorEndpoints, control: EmulatorControl, headers: dict[str, str], why: str
) -> None:
    refused = post(emulator, [GOOD], headers=headers)

    assert refused.status_code == 401, why
    assert refused.json()["error"]["code"] == "Unauthorized"
    assert control.topic_events() == []
    assert control.topic_publishes() == [TopicPublish(401, None, 0, "Unauthorized")]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            b"{not json",
            "the body is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (GOOD, "the body must be a JSON array of events"),
        ([], "the array holds no event"),
        ([{**GOOD, "specversion": "0.3"}], "event 0: 'specversion' must be '1.0', got '0.3'"),
        (
            [GOOD, {k: v for k, v in GOOD.items() if k != "source"}],
            "event 1: required attribute 'source' is missing or empty",
        ),
        ([{**GOOD, "id": ""}], "event 0: required attribute 'id' is missing or empty"),
        ([{**GOOD, "time": "yesterday"}], "event 0: 'time' is not an RFC 3339 timestamp: 'yesterday'"),
        ([{**GOOD, "data": {}, "data_base64": "e30="}], "event 0: 'data' and 'data_base64' cannot both be present"),
        (
            [{**GOOD, "Traceparent": "x"}],
            "event 0: attribute name 'Traceparent' must be lower-case letters and digits only",
        ),
        ([{**GOOD, "subject": 7}], "event 0: attribute 'subject' must be a string"),
    ],
)
def test_a_malformed_cloud_events_batch_is_400_in_event_grids_error_shape_and_nothing_is_kept(
    emulator: EmulatorEndpoints, control: EmulatorControl, body: Any, problem: str
) -> None:
    refused = post(emulator, body)

    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["details"] == [{"code": "InputJsonInvalid", "message": problem}]
    assert error["message"].startswith(f"The request is invalid: {problem} Report '")
    assert control.topic_events() == []


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"id": "1", "eventType": "T", "eventTime": "2026-11-27T14:00:00Z"}, "required property 'subject'"),
        ({"id": "1", "subject": "/a", "eventType": "T", "eventTime": "now"}, "'eventTime' is not a date-time"),
    ],
)
def test_a_malformed_event_grid_schema_event_is_400(
    emulator: EmulatorEndpoints, control: EmulatorControl, event: dict[str, str], problem: str
) -> None:
    refused = post(emulator, [event], headers={"Content-Type": "application/json"})

    assert refused.status_code == 400
    assert problem in refused.json()["error"]["details"][0]["message"]
    assert control.topic_events() == []


def test_the_api_version_is_required_and_must_be_2018_01_01(emulator: EmulatorEndpoints) -> None:
    missing = requests.post(
        topic_endpoint(emulator),
        data=json.dumps([GOOD]),
        headers={"Content-Type": CLOUD_BATCH, "aeg-sas-key": str(emulator.outcome_topic_key)},
        verify=emulator.ca_bundle,
        timeout=30,
    )
    unknown = post(emulator, [GOOD], api_version="2020-01-01")

    assert (missing.status_code, missing.json()["error"]["details"][0]["code"]) == (400, "ApiVersionMissing")
    assert (unknown.status_code, unknown.json()["error"]["details"][0]["code"]) == (400, "ApiVersionUnsupported")


def test_a_request_over_one_megabyte_is_413(emulator: EmulatorEndpoints, control: EmulatorControl) -> None:
    big = [{**GOOD, "id": str(i), "data": "x" * 60_000} for i in range(20)]

    refused = post(emulator, big)

    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "RequestEntityTooLarge"
    assert control.topic_events() == []


async def test_a_fault_rule_makes_the_topic_fail_and_the_sdk_retries_then_raises(
    control: EmulatorControl, publisher: EventGridPublisherClient
) -> None:
    control.set_faults([FaultRule(status=503, path="^/api/events$")])

    with pytest.raises(HttpResponseError) as raised:
        await publisher.send([CloudEvent(source="/s", type="T", id="e-1")])

    assert raised.value.status_code == 503
    assert [(p.status, p.error_code) for p in control.topic_publishes()] == [(503, "ServiceUnavailable")] * 2, (
        "the first attempt and the one retry the client allows"
    )
    assert control.topic_events() == []


async def test_an_unknown_path_is_404(emulator: EmulatorEndpoints, control: EmulatorControl) -> None:
    async with EventGridPublisherClient(
        topic_endpoint(emulator).replace("/api/events", "/api/other"),
        AzureKeyCredential(str(emulator.outcome_topic_key)),
        connection_verify=emulator.ca_bundle,
    ) as client:
        with pytest.raises(ResourceNotFoundError):
            await client.send([CloudEvent(source="/s", type="T")])

    assert control.topic_publishes() == [TopicPublish(404, None, 0, "NotFound")]


async def test_the_sdk_reports_a_wrong_key_as_an_authentication_error(emulator: EmulatorEndpoints) -> None:
    async with EventGridPublisherClient(
        topic_endpoint(emulator), AzureKeyCredential("bm90IHRoZSBrZXk="), connection_verify=emulator.ca_bundle
    ) as client:
        with pytest.raises(ClientAuthenticationError):
            await client.send([CloudEvent(source="/s", type="T")])


def test_reset_forgets_what_the_topic_received(emulator: EmulatorEndpoints, control: EmulatorControl) -> None:
    assert post(emulator, [GOOD]).status_code == 200
    assert [event.id for event in control.topic_events()] == ["e-1"]

    control.reset()

    assert (control.topic_events(), control.topic_publishes()) == ([], [])
    assert post(emulator, [GOOD]).status_code == 200, "the key survives a reset"


def test_topic_events_round_trip_through_the_control_models() -> None:
    event = TopicEvent("CloudEventSchemaV1_0", {**GOOD, "subject": "/a", "data": {"n": 1}}, "2026-11-27T14:00:00Z")

    assert TopicEvent.from_json(event.to_json()) == event
    assert (event.type, event.source, event.subject, event.time) == (
        "DataProduct.Governed",
        "/dpgov/lz-emea",
        "/a",
        None,
    )
