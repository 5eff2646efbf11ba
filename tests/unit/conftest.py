"""Fixtures for the pure core: the example config, loaded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import GovernanceConfig, load_config

EXAMPLE_CONFIG = Path(__file__).resolve().parents[2] / "governance.example.yaml"


@pytest.fixture(scope="session")
def config() -> GovernanceConfig:
    return load_config(EXAMPLE_CONFIG)
