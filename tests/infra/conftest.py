"""Fixtures for the deployment's tests: the example config, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.functions.decorators.function_app import Function

from shared.config import GovernanceConfig, load_config

EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "governance.example.yaml"


@pytest.fixture(scope="session")
def config() -> GovernanceConfig:
    return load_config(EXAMPLE_CONFIG)


@pytest.fixture(scope="session")
def app_functions() -> list[Function]:
    """The Function App's functions as the host indexes them (azure-functions builds them once per app)."""
    from function_app import app

    return app.get_functions()
