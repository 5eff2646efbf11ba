"""Small helpers for integration tests: governed tags, reading tags and counting the app's writes."""

from __future__ import annotations

from azure.mgmt.resource.resources.aio import ResourceManagementClient

from emulator.client import Delivery, EmulatorControl
from shared.aspects.tags import cross_charging_tags
from shared.config import load_config
from shared.model import DataProduct
from tests.integration.conftest import EXAMPLE_CONFIG

CONFIG = load_config(EXAMPLE_CONFIG)
TAGS_PATH = "/providers/microsoft.resources/tags/default"


def governed(domain: str, product: str, environment: str = "prd", zone: str = "lz-emea") -> dict[str, str]:
    """The tags the example config wants on a data product."""
    return cross_charging_tags(CONFIG, DataProduct(zone, domain, product, environment))


async def tags_of(arm: ResourceManagementClient, group: str) -> dict[str, str]:
    return dict((await arm.resource_groups.get(group)).tags or {})


def tag_writes(control: EmulatorControl) -> list[str]:
    """Paths of the tag writes ARM received since the log was last cleared."""
    return [
        entry.path
        for entry in control.requests_log()
        if entry.method in {"PUT", "PATCH", "DELETE"} and entry.path.lower().endswith(TAGS_PATH)
    ]


def group_writes(control: EmulatorControl, group: str) -> list[Delivery]:
    """Event Grid deliveries of ``resourceGroups/write`` events about this one group."""
    return [
        delivery
        for delivery in control.deliveries()
        if delivery.operation_name.lower() == "microsoft.resources/subscriptions/resourcegroups/write"
        and delivery.subject.lower().endswith(f"/resourcegroups/{group.lower()}")
    ]


def group_reads(control: EmulatorControl, group: str) -> int:
    """How many times ARM was asked for this group (GET), since the log was last cleared."""
    return sum(
        1
        for entry in control.requests_log()
        if entry.method == "GET" and entry.path.lower().rstrip("/").endswith(f"/resourcegroups/{group.lower()}")
    )
