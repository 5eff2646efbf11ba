"""Bursts of events through the host and the emulator: what they cost in reconciles and ARM reads.

Events are posted straight to the host's Event Grid webhook, one delivery each and many at once, as
Event Grid does when a deployment writes hundreds of resources: the emulator's request log says what
reached ARM. The example config has tag recognition on and the app's object id set, as deployed.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence

import aiohttp
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import Tags, TagsPatchResource

from tests.integration.conftest import EMEA, LocalAzure
from tests.integration.support import governed, group_reads, tag_writes, tags_of

STORAGE_WRITE = "Microsoft.Storage/storageAccounts/write"


def resource_event(group: str, event_id: str) -> dict[str, object]:
    """A storage account written in ``group`` by a team's deployment (Event Grid schema)."""
    uri = f"/subscriptions/{EMEA}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/st{event_id[-4:]}"
    return {
        "id": event_id,
        "topic": f"/subscriptions/{EMEA}",
        "subject": uri,
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "eventTime": "2026-11-25T10:00:00.0000000Z",
        "data": {
            "operationName": STORAGE_WRITE,
            "resourceUri": uri,
            "resourceProvider": "Microsoft.Storage",
            "status": "Succeeded",
            "subscriptionId": EMEA,
            "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": "team-deployer"},
        },
        "dataVersion": "2",
        "metadataVersion": "1",
    }


async def deliver_each(azure: LocalAzure, events: Sequence[dict[str, object]], *, spread: float) -> list[int]:
    """Post each event as its own delivery, the sends spread evenly over ``spread`` seconds; the statuses.

    Each delivery is answered only when its invocation returned (the reconcile it shares finished),
    so all are in flight at once, as Event Grid's are.
    """
    headers = {"aeg-event-type": "Notification"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:

        async def one(index: int, event: dict[str, object]) -> int:
            await asyncio.sleep(spread * index / len(events))
            async with session.post(azure.webhook(), json=[event], headers=headers) as response:
                await response.read()
                return response.status

        return list(await asyncio.gather(*(one(i, event) for i, event in enumerate(events))))


async def test_200_events_for_one_group_within_a_second_cause_two_reconciles(
    azure: LocalAzure, arm: ResourceManagementClient
) -> None:
    await arm.resource_groups.create_or_update("dp-sales-orders-rg", {"location": "westeurope"})
    azure.control.wait_for_deliveries_idle(timeout=15)
    await asyncio.sleep(1.1)  # past the window (DPGOV_COALESCE_WINDOW_MS, 1000) after that run: a leading edge
    azure.control.clear_requests()
    events = [resource_event("dp-sales-orders-rg", f"burst-{i:04d}") for i in range(200)]

    started = time.monotonic()
    statuses = await deliver_each(azure, events, spread=0.8)
    elapsed = time.monotonic() - started

    assert statuses == [202] * 200
    assert group_reads(azure.control, "dp-sales-orders-rg") == 2, "the leading run and one trailing run"
    assert tag_writes(azure.control) == [], "governed already: both runs found nothing to do"
    assert elapsed < 0.8 + 1.0 + 5.0, "the last answer came within the window after the burst (bounded at 5 s)"


async def test_1000_resource_writes_in_groups_their_names_rule_out_reach_no_azure(azure: LocalAzure) -> None:
    # dp-<domain>-<product>-rg names a domain the config does not have: tags cannot override a name.
    groups = [f"dp-hr-payroll{i}-rg" for i in range(10)]
    azure.control.seed_groups(EMEA, {group: {"DataDomain": "sales", "DataProduct": "x"} for group in groups})
    events = [resource_event(group, f"hr-{i:04d}") for i, group in zip(range(1000), itertools.cycle(groups))]

    statuses = await deliver_each(azure, events, spread=1.0)

    assert statuses == [202] * 1000
    assert azure.control.requests_log() == [], "no ARM request, no token: decided from the names alone"


async def test_1000_resource_writes_in_untagged_groups_read_each_group_once(azure: LocalAzure) -> None:
    # Names the pattern cannot match: with tag recognition on, only tags could make them products.
    groups = [f"team-sandbox-{i}" for i in range(10)]
    azure.control.seed_groups(EMEA, {group: {"team": "analytics"} for group in groups})
    events = [resource_event(group, f"sb-{i:04d}") for i, group in zip(range(1000), itertools.cycle(groups))]

    statuses = await deliver_each(azure, events, spread=1.0)

    assert statuses == [202] * 1000
    assert [group_reads(azure.control, group) for group in groups] == [1] * 10, "read once to learn it is not one"
    arm_reads = [entry for entry in azure.control.requests_log() if entry.operation != "ManagedIdentity_GetToken"]
    assert len(arm_reads) == 10, [entry.operation for entry in arm_reads]


async def test_a_screened_group_tagged_as_a_product_is_governed_by_its_tag_event(
    azure: LocalAzure, arm: ResourceManagementClient, team_arm: ResourceManagementClient
) -> None:
    azure.control.seed_groups(EMEA, {"team-churn": {"team": "analytics"}})
    await deliver_each(azure, [resource_event("team-churn", "before-0001")], spread=0)
    await deliver_each(azure, [resource_event("team-churn", "before-0002")], spread=0)
    screened = group_reads(azure.control, "team-churn")

    scope = f"/subscriptions/{EMEA}/resourceGroups/team-churn"
    claim = TagsPatchResource(operation="Merge", properties=Tags(tags={"DataDomain": "sales", "DataProduct": "churn"}))
    await (await team_arm.tags.begin_update_at_scope(scope, claim)).result()
    azure.control.wait_for_deliveries_idle(timeout=15)
    tagged = group_reads(azure.control, "team-churn")
    statuses = await deliver_each(azure, [resource_event("team-churn", "after-0001")], spread=0)
    after = group_reads(azure.control, "team-churn")

    assert screened == 1, "the second resource write was acknowledged without reading the group"
    assert tagged == 2, "the team's tag write event read it (it may have just become a product)"
    assert (statuses, after) == ([202], 3), "a product's resource writes are reconciled again"
    assert await tags_of(arm, "team-churn") == {"team": "analytics", **governed("sales", "churn")}
