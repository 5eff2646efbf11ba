"""The Functions worker runs with the app's garbage-collector thresholds (shared/collector.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from shared.collector import THRESHOLDS

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_function_app_sets_the_workers_collector_thresholds() -> None:
    """The worker imports function_app.py once per process: that is where the thresholds are set."""
    shown = subprocess.run(
        [sys.executable, "-c", "import gc, function_app; print(gc.get_threshold())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    assert shown.stdout.strip() == str(THRESHOLDS) == "(50000, 20, 100)"
