"""The local Azure: the emulator and the local Functions host serving ``function_app``, per session.

Each test starts from a reset emulator holding the example config's two landing-zone subscriptions,
with an Event Grid subscription delivering to the host's ``on_resource_event`` (Event Grid schema
unless the test asks for CloudEvents), exactly as a subscription system topic would in Azure.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient as SyncTableClient
from azure.data.tables.aio import TableClient
from azure.identity import DefaultAzureCredential as SyncDefaultAzureCredential
from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import EmulatorControl
from emulator.host import HostEndpoints, start_host
from emulator.process import EmulatorEndpoints, start_emulator
from emulator.scenario import define_initiatives, prepare_directory
from tests.conftest import CA_DIR

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = ROOT / "governance.example.yaml"
EMEA = "11111111-1111-1111-1111-111111111111"
AMER = "22222222-2222-2222-2222-222222222222"
EVENT_FUNCTION = "on_resource_event"


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorEndpoints]:
    with start_emulator(ca_dir=CA_DIR) as endpoints:
        yield endpoints


@pytest.fixture(scope="session")
def app_environment(emulator: EmulatorEndpoints) -> Iterator[dict[str, str]]:
    """The app settings a deployed Function App would have, pointed at the emulator.

    Also applied to this process, so in-process engine tests use the same credential chain.
    """
    identity = EmulatorControl(emulator.url, str(emulator.ca_bundle)).identity()
    environment = {
        **emulator.app_environment(),
        "GOVERNANCE_CONFIG": str(EXAMPLE_CONFIG),
        "DPGOV_IDENTITY_OBJECT_ID": identity.principal_id,  # as infra sets it from the identity
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    yield environment
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def host(app_environment: dict[str, str]) -> Iterator[HostEndpoints]:
    with start_host(app="function_app:app", env=app_environment, cwd=ROOT) as endpoints:
        yield endpoints


@dataclass(frozen=True)
class LocalAzure:
    """What a test drives: the emulator's control API and the host's URLs."""

    control: EmulatorControl
    host_url: str
    table_url: str = ""  # the app's table service (Azurite): the runs table

    def webhook(self, function: str = EVENT_FUNCTION) -> str:
        return f"{self.host_url}/runtime/webhooks/eventgrid?functionName={function}"

    def api(self, path: str) -> str:
        return f"{self.host_url}/api/{path.lstrip('/')}"

    def post(self, path: str, **params: str) -> requests.Response:
        return requests.post(self.api(path), params=params, timeout=60)

    def get(self, path: str, **params: str) -> requests.Response:
        return requests.get(self.api(path), params=params, timeout=60)

    def delete(self, path: str, **params: str) -> requests.Response:
        return requests.delete(self.api(path), params=params, timeout=60)

    def run_timer(self) -> requests.Response:
        """Fire the timer (it enqueues one message per landing zone) and wait for the run it started."""
        return self.run_timer_and_wait()[0]

    def sync_all(self, timeout: float = 180, **params: str) -> requests.Response:
        """``POST /api/sync`` (202 with a status URL), then the run's status once every zone is done."""
        started = self.post("sync", **params)
        assert started.status_code == 202, started.text
        return follow_run(started.headers["Location"], timeout)

    def timer_runs(self) -> list[dict[str, Any]]:
        """The runs the timer started, oldest first (the runs table, read as an operator would)."""
        with (
            SyncDefaultAzureCredential() as credential,
            SyncTableClient(self.table_url, RUNS_TABLE, credential=credential) as table,
        ):
            try:
                runs = [dict(entity) for entity in table.query_entities("RowKey eq 'run' and Trigger eq 'timer'")]
            except ResourceNotFoundError:
                return []
        return sorted(runs, key=lambda run: run["CreatedAt"])

    def run_timer_and_wait(self, timeout: float = 180) -> tuple[requests.Response, requests.Response | None]:
        """Fire the timer; when it enqueued a run, also that run's final status (None otherwise)."""
        before = {run["PartitionKey"] for run in self.timer_runs()}
        fired = requests.post(f"{self.host_url}/admin/functions/reconcile", json={"input": ""}, timeout=120)
        started = [run["PartitionKey"] for run in self.timer_runs() if run["PartitionKey"] not in before]
        if fired.status_code != 202 or not started:
            return fired, None
        assert len(started) == 1, started
        return fired, follow_run(self.api(f"sync/runs/{started[0]}"), timeout)


RUNS_TABLE = "dpgovruns"


def follow_run(status_url: str, timeout: float = 180) -> requests.Response:
    """Poll a run's status URL (202 while running) until it answers otherwise; that answer."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(status_url, timeout=60)
        if response.status_code != 202:
            return response
        if time.monotonic() > deadline:
            raise AssertionError(f"the run did not finish within {timeout:.0f} s: {response.text}")
        time.sleep(0.2)


def subscription_name(subscription_id: str, schema: str = "EventGridSchema") -> str:
    return f"dpgov-{subscription_id[:8]}-{schema.lower()}"


def subscribe_events(azure: LocalAzure, schema: str = "EventGridSchema") -> None:
    for subscription_id in (EMEA, AMER):
        azure.control.add_event_subscription(
            name=subscription_name(subscription_id, schema),
            endpoint=azure.webhook(),
            schema=schema,  # type: ignore[arg-type]
            subscription_id=subscription_id,
        )


def unsubscribe_events(azure: LocalAzure) -> None:
    """Pause event delivery (as a deleted or disabled event subscription would): changes go unseen."""
    for subscription_id in (EMEA, AMER):
        azure.control.remove_event_subscription(subscription_name(subscription_id))


@pytest.fixture
async def blank_azure(emulator: EmulatorEndpoints, app_environment: dict[str, str]) -> EmulatorControl:
    """A blank local Azure with what the platform team has in place before dpgov runs; no event is
    delivered anywhere (no Functions host needed)."""
    control = EmulatorControl(emulator.url, str(emulator.ca_bundle))
    control.reset()
    control.seed_subscriptions([EMEA, AMER])
    prepare_directory(control)
    async with DefaultAzureCredential() as credential:
        await define_initiatives(credential, app_environment["DPGOV_ARM_ENDPOINT"])
    return control


@pytest.fixture
async def azure(blank_azure: EmulatorControl, host: HostEndpoints, app_environment: dict[str, str]) -> LocalAzure:
    """A blank local Azure with what the platform team has in place before dpgov runs, its events
    delivered to the local Functions host."""
    control = blank_azure
    local = LocalAzure(control, host.url, app_environment["AzureWebJobsStorage__tableServiceUri"])
    subscribe_events(local)
    control.clear_requests()
    return local


@pytest.fixture
async def arm(app_environment: dict[str, str]) -> AsyncIterator[ResourceManagementClient]:
    """An ARM client for the landing zone EMEA, as a platform engineer's script would use it."""
    async with (
        DefaultAzureCredential() as credential,
        ResourceManagementClient(credential, EMEA, base_url=app_environment["DPGOV_ARM_ENDPOINT"]) as client,
    ):
        yield client


@pytest.fixture
async def authorization(app_environment: dict[str, str]) -> AsyncIterator[AuthorizationManagementClient]:
    """The authorization API for the landing zone EMEA, to read back the grants the app made."""
    async with (
        DefaultAzureCredential() as credential,
        AuthorizationManagementClient(credential, EMEA, base_url=app_environment["DPGOV_ARM_ENDPOINT"]) as client,
    ):
        yield client


TEAM_CLIENT_ID = "0b0e7a11-7ea4-4a11-9e11-00000000feed"


@pytest.fixture
async def policy(app_environment: dict[str, str]) -> AsyncIterator[PolicyClient]:
    """The policy API for the landing zone EMEA, as the app's identity."""
    async with (
        DefaultAzureCredential() as credential,
        PolicyClient(credential, EMEA, base_url=app_environment["DPGOV_ARM_ENDPOINT"]) as client,
    ):
        yield client


@pytest.fixture
async def team_arm(app_environment: dict[str, str]) -> AsyncIterator[ResourceManagementClient]:
    """An ARM client acting as a product team's own identity, not the app's."""
    async with (
        ManagedIdentityCredential(client_id=TEAM_CLIENT_ID) as credential,
        ResourceManagementClient(credential, EMEA, base_url=app_environment["DPGOV_ARM_ENDPOINT"]) as client,
    ):
        yield client


@pytest.fixture
async def ledger_table(app_environment: dict[str, str]) -> AsyncIterator[TableClient]:
    """The ledger's table in Azurite, read as an operator would (managed identity, table SDK)."""
    async with (
        DefaultAzureCredential() as credential,
        TableClient(
            app_environment["AzureWebJobsStorage__tableServiceUri"], "dpgovledger", credential=credential
        ) as table,
    ):
        yield table
