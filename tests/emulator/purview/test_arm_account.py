"""``Microsoft.Purview/accounts`` through ARM: the account's stable identity and endpoints naming the data plane."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.resource.resources.aio import ResourceManagementClient
from azure.mgmt.resource.resources.models import GenericResource

from emulator.client import EmulatorControl
from emulator.process import EmulatorEndpoints
from emulator.purview.identity import account_principal_id
from tests.emulator.conftest import OTHER_SUB, SUB, client_options
from tests.emulator.purview.conftest import ROOT, purview_url, status_and_code

API = "2021-07-01"


def _account_id(name: str, group: str = "rg-gov") -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Purview/accounts/{name}"


async def _put(arm: ResourceManagementClient, name: str, **extra: Any) -> GenericResource:
    poller = await arm.resources.begin_create_or_update_by_id(
        _account_id(name), GenericResource(location="westeurope", **extra), api_version=API
    )
    return await poller.result()


async def test_an_account_has_a_stable_system_assigned_identity_and_data_plane_endpoints(
    arm: ResourceManagementClient, control: EmulatorControl, emulator: EmulatorEndpoints
) -> None:
    control.seed_groups(SUB, {"rg-gov": {}})

    account = await _put(arm, ROOT)
    again = await _put(arm, ROOT, tags={"owner": "platform"})

    snapshot = control.purview()
    assert account.identity is not None
    assert again.identity is not None
    assert account.properties is not None
    assert (account.identity.type, account.identity.principal_id) == ("SystemAssigned", snapshot.principal_id)
    assert again.identity.principal_id == snapshot.principal_id
    assert account.properties["endpoints"] == {
        "catalog": purview_url(emulator),
        "scan": purview_url(emulator),
        "guardian": purview_url(emulator),
    }
    assert account.properties["friendlyName"] == ROOT


async def test_the_principal_id_is_derived_from_tenant_and_account_name(
    arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    control.seed_groups(SUB, {"rg-gov": {}})

    other = await _put(arm, "other-purview")

    assert other.identity is not None
    assert other.identity.principal_id == account_principal_id(control.identity().tenant_id, "other-purview")
    assert control.purview().principal_id == account_principal_id(control.identity().tenant_id, ROOT)


@pytest.mark.parametrize("name", ["ab", "-lead", "dou--ble", "under_score"])
async def test_an_invalid_account_name_is_400(
    arm: ResourceManagementClient, control: EmulatorControl, name: str
) -> None:
    control.seed_groups(SUB, {"rg-gov": {}})

    with pytest.raises(HttpResponseError) as raised:
        await _put(arm, name)

    assert status_and_code(raised.value) == (400, "InvalidAccountName")


async def test_an_unsupported_api_version_is_refused(arm: ResourceManagementClient, control: EmulatorControl) -> None:
    control.seed_groups(SUB, {"rg-gov": {}})

    with pytest.raises(HttpResponseError) as raised:
        await arm.resources.get_by_id(_account_id(ROOT), api_version="2019-01-01")

    assert status_and_code(raised.value) == (400, "NoRegisteredProviderFound")


async def test_the_control_api_seeds_the_accounts_arm_resource(
    arm: ResourceManagementClient, control: EmulatorControl
) -> None:
    resource_id = control.seed_purview_account(SUB, "rg-platform")

    account = await arm.resources.get_by_id(resource_id, api_version=API)

    assert resource_id == _account_id(ROOT, "rg-platform")
    assert account.identity is not None
    assert account.identity.principal_id == control.purview().principal_id
    assert control.request_summary().writes == 0


async def test_the_ready_files_resource_id_names_an_account_that_exists_after_every_reset(
    emulator: EmulatorEndpoints, control: EmulatorControl, credential: DefaultAzureCredential
) -> None:
    resource_id = emulator.app_settings["DPGOV_PURVIEW_RESOURCE_ID"]
    subscription = resource_id.split("/")[2]
    assert subscription not in {SUB, OTHER_SUB}

    async with ResourceManagementClient(credential, subscription, **client_options(emulator)) as arm:
        account = await arm.resources.get_by_id(resource_id, api_version=API)
        groups = [group.name async for group in arm.resource_groups.list()]

    assert resource_id.endswith(f"/resourceGroups/rg-dpgov-purview/providers/Microsoft.Purview/accounts/{ROOT}")
    assert account.identity is not None
    assert account.identity.principal_id == control.purview().principal_id
    assert account.properties is not None
    assert account.properties["endpoints"]["scan"] == purview_url(emulator)
    assert groups == ["rg-dpgov-purview"]


async def test_account_principals_lists_the_accounts_identity_for_a_directory() -> None:
    from emulator.arm.providers.purview import account_principals
    from emulator.purview.account import PurviewAccount
    from emulator.state import EmulatorState
    from tests.conftest import CA_FILES

    state = EmulatorState(client_ssl_context=CA_FILES.client_ssl_context(), purview_account="pv-one")
    assert isinstance(state.purview, PurviewAccount)
    state.purview.endpoint = "https://127.0.0.1:1"
    await state.reset()

    [principal] = account_principals(state)

    assert (principal.principal_id, principal.display_name, principal.principal_type) == (
        account_principal_id(state.tenant_id, "pv-one"),
        "pv-one",
        "ServicePrincipal",
    )
