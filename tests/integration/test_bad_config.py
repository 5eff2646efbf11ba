"""A broken governance config: a clear error everywhere, nothing changed, no event lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.client import EmulatorControl
from emulator.host import HostEndpoints, start_host
from emulator.process import EmulatorEndpoints
from tests.integration.conftest import EMEA, ROOT


@pytest.fixture(scope="module")
def broken_host(
    emulator: EmulatorEndpoints, app_environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostEndpoints]:
    config = tmp_path_factory.mktemp("config") / "governance.yaml"
    config.write_text(
        (ROOT / "governance.example.yaml")
        .read_text(encoding="utf-8")
        .replace("cost_center: CC-1001", "cost_centre: CC-1001"),
        encoding="utf-8",
    )
    with start_host(
        app="function_app:app", env={**app_environment, "GOVERNANCE_CONFIG": str(config)}, cwd=Path(ROOT)
    ) as host:
        yield host


def test_broken_config_is_reported_by_health_and_sync_and_events_are_kept_for_redelivery(
    emulator: EmulatorEndpoints, broken_host: HostEndpoints
) -> None:
    control = EmulatorControl(emulator.url, str(emulator.ca_bundle))
    control.reset()
    control.seed_subscriptions([EMEA])
    control.seed_groups(EMEA, {"dp-sales-orders-rg": {}})

    health = requests.get(f"{broken_host.url}/api/health", timeout=30)
    details = requests.get(f"{broken_host.url}/api/health/details", timeout=30)
    sync = requests.post(f"{broken_host.url}/api/dataproducts/{EMEA}/dp-sales-orders-rg/sync", timeout=30)
    uri = f"/subscriptions/{EMEA}/resourceGroups/dp-sales-orders-rg"
    event = {
        "id": "e1",
        "subject": uri,
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "eventTime": "2026-11-25T10:00:00Z",
        "data": {"operationName": "Microsoft.Resources/subscriptions/resourceGroups/write", "resourceUri": uri},
        "dataVersion": "2",
    }
    delivery = requests.post(
        broken_host.webhook_url("on_resource_event"),
        data=json.dumps([event]),
        headers={"aeg-event-type": "Notification", "Content-Type": "application/json"},
        timeout=30,
    )

    assert health.status_code == 503
    assert health.json() == {"status": "unhealthy"}, "the anonymous probe tells no config details"
    assert details.status_code == 503
    assert "domains.sales.cost_centre: Extra inputs are not permitted" in details.json()["error"]
    assert sync.status_code == 500
    assert sync.json()["error"]["code"] == "InvalidGovernanceConfig"
    assert delivery.status_code == 500, "Event Grid keeps the event (retries, then dead-letters)"
    assert control.request_summary().total == 0
