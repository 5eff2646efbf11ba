"""One emulator process for the emulator tests, reset and seeded before each test.

Tests drive it the way the app does: the official SDK clients with ``DefaultAzureCredential``
finding the App Service managed identity through ``IDENTITY_ENDPOINT``/``IDENTITY_HEADER``.
``connection_verify`` names the emulator's CA explicitly, so these tests do not depend on how the
session configured ``SSL_CERT_FILE``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.policyinsights.aio import PolicyInsightsClient
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import EmulatorControl, SeedSubscription
from emulator.process import EmulatorEndpoints, start_emulator
from emulator.tls import CaFiles
from tests.conftest import CA_DIR, CA_FILES
from tests.emulator.webhook import WebhookReceiver

SUB = "11111111-1111-1111-1111-111111111111"
OTHER_SUB = "22222222-2222-2222-2222-222222222222"
ARM_SCOPE = "https://management.azure.com/.default"
CREDENTIAL_VARIABLES = (
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "IMDS_ENDPOINT",
)


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorEndpoints]:
    with start_emulator(ca_dir=CA_DIR) as endpoints:
        yield endpoints


@pytest.fixture(scope="session")
def ca_files() -> CaFiles:
    return CA_FILES


@pytest.fixture
def control(emulator: EmulatorEndpoints) -> Iterator[EmulatorControl]:
    """A reset emulator holding two empty subscriptions."""
    client = EmulatorControl(emulator.url, emulator.ca_bundle)
    client.reset()
    client.seed([SeedSubscription(SUB), SeedSubscription(OTHER_SUB)])
    yield client
    client.close()


@pytest.fixture
def identity_env(emulator: EmulatorEndpoints, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTITY_ENDPOINT", emulator.identity_endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", emulator.identity_header)


def client_options(emulator: EmulatorEndpoints, **extra: Any) -> dict[str, Any]:
    """Keyword arguments for an ARM SDK client aimed at the emulator (fast LRO polling)."""
    return {"base_url": emulator.url, "connection_verify": emulator.ca_bundle, "polling_interval": 0.05, **extra}


@pytest.fixture
async def credential(identity_env: None) -> AsyncIterator[DefaultAzureCredential]:
    async with DefaultAzureCredential() as credential:
        yield credential


@pytest.fixture
async def arm(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> AsyncIterator[ResourceManagementClient]:
    async with ResourceManagementClient(credential, SUB, **client_options(emulator)) as client:
        yield client


@pytest.fixture
async def authorization(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> AsyncIterator[AuthorizationManagementClient]:
    """``azure-mgmt-authorization`` (role assignments and definitions, api-version 2022-04-01)."""
    async with AuthorizationManagementClient(credential, SUB, **client_options(emulator)) as client:
        yield client


@pytest.fixture
async def policy(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> AsyncIterator[PolicyClient]:
    """``azure-mgmt-resource-policy`` (definitions, initiatives, assignments, api-version 2026-06-01)."""
    async with PolicyClient(credential, SUB, **client_options(emulator)) as client:
        yield client


@pytest.fixture
async def insights(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> AsyncIterator[PolicyInsightsClient]:
    """``azure-mgmt-policyinsights`` (remediations, api-version 2019-07-01)."""
    async with PolicyInsightsClient(credential, SUB, **client_options(emulator)) as client:
        yield client


@pytest.fixture
async def token(credential: DefaultAzureCredential) -> str:
    return (await credential.get_token(ARM_SCOPE)).token


@pytest.fixture
async def http(ca_files: CaFiles) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw HTTP client trusting the emulator's CA, for wire-level assertions."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ca_files.client_ssl_context())) as session:
        yield session


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()
