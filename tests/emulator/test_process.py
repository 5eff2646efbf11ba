"""The emulator as a process: the ready file, clean shutdown, and the CA that tests share."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emulator.process import EmulatorEndpoints
from emulator.tls import ensure_ca

ROOT = Path(__file__).resolve().parents[2]


def test_ready_file_names_both_endpoints_and_sigterm_exits_cleanly(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--ready-file", str(ready), "--ca-dir", str(tmp_path / "ca")],
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        content = json.loads(ready.read_text())
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)

    assert set(content) == {"url", "ca_bundle", "identity_endpoint", "identity_header"}
    assert content["url"].startswith("https://127.0.0.1:")
    assert content["identity_endpoint"].startswith("http://127.0.0.1:")
    assert content["identity_endpoint"].endswith("/msi/token")
    assert content["ca_bundle"] == str((tmp_path / "ca" / "ca.pem").resolve())
    assert len(content["identity_header"]) >= 16
    assert process.returncode == 0, stderr.decode()


def test_app_environment_points_an_app_at_the_emulator(emulator: EmulatorEndpoints) -> None:
    environment = emulator.app_environment()

    assert environment == {
        "IDENTITY_ENDPOINT": emulator.identity_endpoint,
        "IDENTITY_HEADER": emulator.identity_header,
        "SSL_CERT_FILE": emulator.ca_bundle,
        "REQUESTS_CA_BUNDLE": emulator.ca_bundle,
        "DPGOV_ARM_ENDPOINT": emulator.url,
    }


def test_the_ca_is_reused_and_tls_does_not_import_aiohttp(tmp_path: Path) -> None:
    first = ensure_ca(tmp_path)
    pem = first.ca_bundle.read_bytes()

    again = ensure_ca(tmp_path)

    assert again == first
    assert again.ca_bundle.read_bytes() == pem
    probe = "import sys, emulator.tls; sys.exit('aiohttp' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=False).returncode == 0


@pytest.mark.parametrize("argument", ["--page-size=0", "--port=notaport"])
def test_bad_arguments_exit_with_usage(argument: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", argument], cwd=ROOT, capture_output=True, check=False, timeout=30
    )

    assert result.returncode == 2
    assert b"usage" in result.stderr
