"""The local Functions host, run as a subprocess around tests/host/sample_app.py, driven over HTTP.

One host serves the whole module (starting one costs about half a second); each test clears the
record file the sample functions append to, then looks at what its own requests caused.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.host import HostEndpoints, HostStartError, start_host

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_APP = "tests.host.sample_app:app"
GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
NEVER = "0 0 0 1 1 *"  # once a year: the shared host's timer does not fire on its own
TIMEOUT = 10
RG_WRITE = {"operationName": "Microsoft.Resources/subscriptions/resourceGroups/write"}
HOST_API_REASON = "Reason='This function was programmatically called via the host APIs.'"

Records = Callable[[], list[dict[str, Any]]]


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def record_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("host") / "records.jsonl"


@pytest.fixture(scope="module")
def host(record_file: Path) -> Iterator[HostEndpoints]:
    env = {"SAMPLE_RECORD_FILE": str(record_file), "SAMPLE_TIMER_SCHEDULE": NEVER}
    with start_host(app=SAMPLE_APP, env=env, cwd=REPO_ROOT) as endpoints:
        yield endpoints


@pytest.fixture
def records(record_file: Path) -> Records:
    """What the sample functions recorded since this test started."""
    record_file.unlink(missing_ok=True)
    return lambda: read_records(record_file)


def eg_event(*, data: dict[str, Any] | None = None, event_id: str | None = None) -> dict[str, Any]:
    """A subscription-topic ResourceWriteSuccess in the Event Grid schema."""
    sub = "00000000-0000-0000-0000-000000000001"
    return {
        "topic": f"/subscriptions/{sub}",
        "subject": f"/subscriptions/{sub}/resourcegroups/rg-dp-one",
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "eventTime": "2018-07-19T18:38:04.6117357Z",
        "id": event_id or str(uuid.uuid4()),
        "data": data if data is not None else RG_WRITE,
        "dataVersion": "2",
        "metadataVersion": "1",
    }


def cloud_event(*, data: dict[str, Any] | None = None) -> dict[str, Any]:
    sub = "00000000-0000-0000-0000-000000000001"
    return {
        "source": f"/subscriptions/{sub}",
        "subject": f"/subscriptions/{sub}/resourcegroups/rg-dp-one",
        "type": "Microsoft.Resources.ResourceWriteSuccess",
        "time": "2018-07-19T18:38:04.6117357Z",
        "id": str(uuid.uuid4()),
        "data": data if data is not None else RG_WRITE,
        "specversion": "1.0",
    }


def deliver(host: HostEndpoints, body: object, *, event_type: str = "Notification", **kw: Any) -> requests.Response:
    headers = {"aeg-event-type": event_type, "Content-Type": "application/json; charset=utf-8"}
    headers.update(kw.pop("headers", {}))
    return requests.post(
        kw.pop("url", host.webhook_url("on_event")), data=json.dumps(body), headers=headers, timeout=TIMEOUT
    )


# -- HTTP triggers ------------------------------------------------------------------------------


def test_sync_http_function_gets_route_params_and_runs_in_the_thread_pool(host: HostEndpoints) -> None:
    response = requests.get(f"{host.url}/api/hello/World", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.text == "hello World"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["X-Thread"].startswith("function")


def test_async_http_function_gets_the_request_under_its_declared_name(host: HostEndpoints) -> None:
    response = requests.put(
        f"{host.url}/api/items/{GUID}/more%20stuff?dryRun=true&tag=a&tag=b",
        data=b"payload",
        headers={"x-sample": "yes"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/json"
    echo = response.json()
    assert echo["method"] == "PUT"
    assert echo["route_params"] == {"id": GUID, "rest": "more stuff"}
    assert echo["params"] == {"dryRun": "true", "tag": "a,b"}
    assert echo["header"] == "yes"
    assert echo["body"] == "payload"
    assert echo["url"].endswith(f"/api/items/{GUID}/more%20stuff?dryRun=true&tag=a&tag=b")
    assert echo["function_name"] == "item"
    assert echo["request_type"] == "azure.functions.http.HttpRequest"  # what the worker builds


def test_optional_route_parameter_is_absent_when_omitted(host: HostEndpoints) -> None:
    response = requests.get(f"{host.url}/api/items/{GUID}", timeout=TIMEOUT)
    assert response.status_code == 201
    assert response.json()["route_params"] == {"id": GUID}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/hello/R2D2"),  # fails the alpha constraint
        ("GET", "/api/items/not-a-guid"),  # fails the guid constraint
        ("POST", "/api/hello/World"),  # method not accepted by the function
        ("GET", "/api/nothing/here"),
        ("GET", "/hello/World"),  # missing the route prefix
    ],
)
def test_unmatched_routes_are_404(host: HostEndpoints, method: str, path: str) -> None:
    assert requests.request(method, host.url + path, timeout=TIMEOUT).status_code == 404


def test_literal_route_beats_a_parameter(host: HostEndpoints) -> None:
    assert requests.get(f"{host.url}/api/things/all", timeout=TIMEOUT).text == "all things"
    assert requests.get(f"{host.url}/api/things/chair", timeout=TIMEOUT).text == "thing chair"


def test_named_http_output_binding_is_the_response(host: HostEndpoints) -> None:
    response = requests.post(f"{host.url}/api/direct", data=b"\x00\x01raw", timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.content == b"\x00\x01raw"
    assert response.headers["Content-Type"] == "application/octet-stream"


def test_function_raising_is_500_and_logged(host: HostEndpoints) -> None:
    response = requests.get(f"{host.url}/api/boom", timeout=TIMEOUT)
    assert response.status_code == 500
    log = host.log_text()
    assert "Executed 'Functions.boom' (Failed, Id=" in log
    assert "RuntimeError: the sample function failed on purpose" in log


def test_invocations_and_app_logs_appear_in_the_host_log(host: HostEndpoints) -> None:
    invocation_id = requests.get(f"{host.url}/api/items/{GUID}", timeout=TIMEOUT).json()["invocation_id"]
    log = host.log_text()
    assert f"Executing 'Functions.item' ({HOST_API_REASON}, Id={invocation_id})" in log
    assert f"Executed 'Functions.item' (Succeeded, Id={invocation_id}, Duration=" in log
    assert f"INFO sample_app [Functions.item {invocation_id[:8]}]: item {GUID} called" in log


def test_async_functions_run_concurrently(host: HostEndpoints) -> None:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(lambda _: requests.get(f"{host.url}/api/slow", timeout=TIMEOUT), range(5)))
    elapsed = time.perf_counter() - started
    assert [r.status_code for r in responses] == [200] * 5
    assert elapsed < 1.5, f"5 x 0.4 s sleeps took {elapsed:.2f} s: not concurrent"


def test_host_status_and_function_listing(host: HostEndpoints) -> None:
    assert requests.get(f"{host.url}/admin/host/status", timeout=TIMEOUT).json()["state"] == "Running"
    listing = requests.get(f"{host.url}/", timeout=TIMEOUT).json()
    by_name = {function["name"]: function for function in listing["functions"]}
    assert by_name["hello"]["route"] == "hello/{name:alpha}"
    assert by_name["on_event"]["trigger"] == "eventGridTrigger"
    assert by_name["tick"]["schedule"] == NEVER  # %SAMPLE_TIMER_SCHEDULE% resolved from the app settings


# -- Event Grid webhook -------------------------------------------------------------------------


def test_validation_handshake_is_answered_without_invoking_the_function(host: HostEndpoints, records: Records) -> None:
    validation = {
        "id": str(uuid.uuid4()),
        "topic": "/subscriptions/00000000-0000-0000-0000-000000000001",
        "subject": "",
        "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6", "validationUrl": "https://x/validate"},
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2022-10-28T04:23:35.1981776Z",
        "metadataVersion": "1",
        "dataVersion": "1",
    }
    response = deliver(host, [validation], event_type="SubscriptionValidation")
    assert response.status_code == 200
    assert response.text == '{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}'
    assert records() == []


def test_cloudevents_abuse_protection_options_is_answered(host: HostEndpoints) -> None:
    response = requests.options(
        host.webhook_url("on_event"), headers={"WebHook-Request-Origin": "eventgrid.azure.net"}, timeout=TIMEOUT
    )
    assert response.status_code == 200
    assert response.headers["WebHook-Allowed-Origin"] == "eventgrid.azure.net"
    assert response.headers["Allow"] == "POST"


def test_event_grid_array_invokes_once_per_element_with_an_event_grid_event(
    host: HostEndpoints, records: Records
) -> None:
    events = [eg_event(data={"n": n}) for n in range(3)]
    response = deliver(host, events)
    assert response.status_code == 202  # the Event Grid extension's answer to a successful delivery
    got = sorted(records(), key=lambda r: r["data"]["n"])
    assert [r["id"] for r in got] == [e["id"] for e in events]
    first = got[0]
    assert first["kind"] == "EventGridEvent"
    assert first["type"] == "Microsoft.Resources.ResourceWriteSuccess"
    assert first["topic"] == "/subscriptions/00000000-0000-0000-0000-000000000001"
    assert first["subject"].endswith("/resourcegroups/rg-dp-one")
    assert first["data_version"] == "2"
    assert first["time"] == "2018-07-19T18:38:04.611735+00:00"  # the worker trims the 7th digit


def test_cloud_event_object_invokes_once_with_a_cloud_event(host: HostEndpoints, records: Records) -> None:
    event = cloud_event()
    response = deliver(host, event, headers={"Content-Type": "application/cloudevents+json; charset=utf-8"})
    assert response.status_code == 202
    (got,) = records()
    assert got["kind"] == "CloudEvent"
    assert got["id"] == event["id"]
    assert got["type"] == "Microsoft.Resources.ResourceWriteSuccess"
    assert got["source"] == event["source"]
    assert got["specversion"] == "1.0"


def test_cloud_events_batch_array_invokes_once_per_element(host: HostEndpoints, records: Records) -> None:
    events = [cloud_event(), cloud_event()]
    assert deliver(host, events).status_code == 202
    got = records()
    assert {r["id"] for r in got} == {e["id"] for e in events}
    assert {r["kind"] for r in got} == {"CloudEvent"}


def test_a_failing_invocation_fails_the_whole_delivery_with_500(host: HostEndpoints, records: Records) -> None:
    bad = eg_event(data={"fail": True})
    response = deliver(host, [eg_event(), bad])
    assert response.status_code == 500  # so Event Grid redelivers
    assert f"event {bad['id']} asked to fail" in response.text
    assert len(records()) == 2  # the other element still ran, as in the real host


@pytest.mark.parametrize("function_name", ["no_such_function", "hello", "ON_EVENT"])
def test_unknown_event_grid_function_is_404(host: HostEndpoints, records: Records, function_name: str) -> None:
    response = deliver(host, [eg_event()], url=host.webhook_url(function_name))
    assert response.status_code == 404
    assert response.text == f"cannot find function: '{function_name}'"
    assert records() == []


def test_function_name_query_key_and_path_are_case_insensitive(host: HostEndpoints, records: Records) -> None:
    response = deliver(host, [eg_event()], url=f"{host.url}/runtime/webhooks/EventGrid?FunctionName=on_event")
    assert response.status_code == 202
    assert len(records()) == 1


def test_malformed_json_is_400_and_invokes_nothing(host: HostEndpoints, records: Records) -> None:
    response = requests.post(
        host.webhook_url("on_event"), data=b"[{not json", headers={"aeg-event-type": "Notification"}, timeout=TIMEOUT
    )
    assert response.status_code == 400
    assert records() == []


def test_missing_or_unknown_event_type_header_is_400(host: HostEndpoints, records: Records) -> None:
    assert requests.post(host.webhook_url("on_event"), json=[eg_event()], timeout=TIMEOUT).status_code == 400
    assert deliver(host, [eg_event()], event_type="Whatever").status_code == 400
    assert records() == []


# -- admin API ----------------------------------------------------------------------------------


def test_admin_invokes_the_timer_with_a_timer_request(host: HostEndpoints, records: Records) -> None:
    response = requests.post(host.admin_url("tick"), json={"input": ""}, timeout=TIMEOUT)
    assert response.status_code == 202
    (got,) = records()
    assert got["function"] == "tick"
    assert got["past_due"] is False
    assert got["thread"].startswith("function")


def test_admin_invocation_failure_is_500_with_the_error(host: HostEndpoints, records: Records) -> None:
    bad = eg_event(data={"fail": True})
    response = requests.post(host.admin_url("on_event"), json={"input": json.dumps(bad)}, timeout=TIMEOUT)
    assert response.status_code == 500
    assert f"event {bad['id']} asked to fail" in response.text
    assert records()[0]["kind"] == "EventGridEvent"


def test_admin_unknown_function_is_404(host: HostEndpoints) -> None:
    assert requests.post(host.admin_url("nope"), json={"input": ""}, timeout=TIMEOUT).status_code == 404


# -- process lifecycle --------------------------------------------------------------------------


def test_timers_fire_on_their_schedule_with_run_timers(tmp_path: Path) -> None:
    record_file = tmp_path / "records.jsonl"
    env = {"SAMPLE_RECORD_FILE": str(record_file), "SAMPLE_TIMER_SCHEDULE": "* * * * * *"}
    with start_host(app=SAMPLE_APP, env=env, cwd=REPO_ROOT, run_timers=True):
        deadline = time.monotonic() + 5
        while len(read_records(record_file)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    ticks = read_records(record_file)
    assert len(ticks) >= 2
    assert {tick["function"] for tick in ticks} == {"tick"}


def test_host_json_route_prefix_and_local_settings_apply_like_func_start(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0", "extensions": {"http": {"routePrefix": "v1"}}}))
    settings = {"Values": {"SAMPLE_TIMER_SCHEDULE": "0 0 0 2 2 *", "SAMPLE_RECORD_FILE": "/overridden/by/env"}}
    (tmp_path / "local.settings.json").write_text(json.dumps(settings))
    env = {"SAMPLE_RECORD_FILE": str(tmp_path / "records.jsonl")}
    with start_host(app=SAMPLE_APP, env=env, cwd=tmp_path, local_settings=True) as started:
        assert requests.get(f"{started.url}/v1/hello/World", timeout=TIMEOUT).text == "hello World"
        assert requests.get(f"{started.url}/api/hello/World", timeout=TIMEOUT).status_code == 404
        assert requests.post(started.admin_url("tick"), json={"input": ""}, timeout=TIMEOUT).status_code == 202
        functions = requests.get(f"{started.url}/admin/functions", timeout=TIMEOUT).json()
    assert {f["name"]: f.get("schedule") for f in functions}["tick"] == "0 0 0 2 2 *"
    assert read_records(tmp_path / "records.jsonl")[0]["function"] == "tick"  # the environment won


def test_start_host_reports_the_log_of_a_host_that_cannot_start(tmp_path: Path) -> None:
    with (
        pytest.raises(HostStartError, match=r"No module named 'tests\.host\.no_such_module'"),
        start_host(app="tests.host.no_such_module:app", env={}, cwd=REPO_ROOT),
    ):
        pass


@pytest.mark.parametrize("module", ["functions_host", "emulator.host"])
def test_cli_writes_the_ready_file_and_exits_0_on_sigterm(tmp_path: Path, module: str) -> None:
    ready = tmp_path / "ready.json"
    env = {**os.environ, "SAMPLE_RECORD_FILE": str(tmp_path / "r.jsonl"), "SAMPLE_TIMER_SCHEDULE": NEVER}
    command = [sys.executable, "-m", module, "--port", "0", "--app", SAMPLE_APP, "--ready-file", str(ready)]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        url = json.loads(ready.read_text(encoding="utf-8"))["url"]
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/admin/host/status", timeout=TIMEOUT).status_code == 200
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr.decode()
    assert b"Stopping host" in stderr
