"""Launcher options for Purview: the account's name, and serving none."""

from __future__ import annotations

import pytest

from emulator.client import EmulatorControl, EmulatorControlError
from emulator.process import start_emulator
from tests.conftest import CA_DIR

PURVIEW_SETTINGS = {
    "DPGOV_PURVIEW_ACCOUNT",
    "DPGOV_PURVIEW_ENDPOINT",
    "DPGOV_PURVIEW_SCAN_ENDPOINT",
    "DPGOV_PURVIEW_RESOURCE_ID",
    "DPGOV_UNIFIED_CATALOG_ENDPOINT",
}


def test_no_purview_serves_no_account_and_names_no_purview_settings() -> None:
    with start_emulator(ca_dir=CA_DIR, storage=False, purview=False) as endpoints:
        control = EmulatorControl(endpoints.url, endpoints.ca_bundle)
        with pytest.raises(EmulatorControlError) as refused:
            control.purview()
        control.close()

    assert not PURVIEW_SETTINGS & set(endpoints.app_settings)
    assert endpoints.purview_endpoint is None
    assert endpoints.unified_catalog_endpoint is None
    assert refused.value.status == 400


def test_the_account_name_is_a_launcher_option_and_names_the_root_collection() -> None:
    with start_emulator(ca_dir=CA_DIR, storage=False, purview_account="contoso-pv") as endpoints:
        control = EmulatorControl(endpoints.url, endpoints.ca_bundle)
        snapshot = control.purview()
        control.close()

    assert endpoints.app_settings["DPGOV_PURVIEW_ACCOUNT"] == "contoso-pv"
    assert endpoints.app_settings["DPGOV_PURVIEW_RESOURCE_ID"].endswith(
        "/providers/Microsoft.Purview/accounts/contoso-pv"
    )
    assert [c.name for c in snapshot.collections] == ["contoso-pv"]
    assert snapshot.endpoint == endpoints.purview_endpoint
