"""The local Azure: the emulator and the local Functions host serving ``function_app``, per session.

Each test starts from a reset emulator holding the example config's two landing-zone subscriptions,
with an Event Grid subscription delivering to the host's ``on_resource_event`` (Event Grid schema
unless the test asks for CloudEvents), exactly as a subscription system topic would in Azure.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from azure.data.tables.aio import TableClient
from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
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

    def run_timer(self, function: str = "reconcile") -> requests.Response:
        return requests.post(f"{self.host_url}/admin/functions/{function}", json={"input": ""}, timeout=120)


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
async def azure(blank_azure: EmulatorControl, host: HostEndpoints) -> LocalAzure:
    """A blank local Azure with what the platform team has in place before dpgov runs, its events
    delivered to the local Functions host."""
    control = blank_azure
    local = LocalAzure(control, host.url)
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
