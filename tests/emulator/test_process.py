"""The emulator as a process: the ready file and its app settings, Azurite's lifecycle, the shared CA."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.process import EmulatorEndpoints, start_emulator
from emulator.storage.azurite import AZURITE_ENV, AzuriteNotFound, find_azurite
from emulator.tls import ensure_ca
from tests.conftest import CA_DIR

ROOT = Path(__file__).resolve().parents[2]
STORAGE_SETTINGS = {
    "AzureWebJobsStorage",
    "AzureWebJobsStorage__blobServiceUri",
    "AzureWebJobsStorage__queueServiceUri",
    "AzureWebJobsStorage__tableServiceUri",
    "AzureWebJobsStorage__credential",
}


def run_until_ready(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    ready = tmp_path / "ready.json"
    command = [
        sys.executable,
        "-m",
        "emulator",
        "--port",
        "0",
        "--ready-file",
        str(ready),
        "--ca-dir",
        str(CA_DIR),
        *extra,
    ]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 40
    while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    if not ready.exists():
        process.kill()
        _, stderr = process.communicate(timeout=10)
        pytest.fail(f"the emulator did not get ready: {stderr.decode()}")
    return process, json.loads(ready.read_text())


def is_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie waiting to be reaped)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not is_running(pid)


def test_ready_file_names_the_endpoints_and_the_app_settings(tmp_path: Path) -> None:
    process, content = run_until_ready(tmp_path)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)

    assert set(content) == {
        "url",
        "ca_bundle",
        "identity_endpoint",
        "identity_header",
        "storage",
        "outcome_topic",
        "app_settings",
    }
    assert content["url"].startswith("https://127.0.0.1:")
    assert content["identity_endpoint"].startswith("http://127.0.0.1:")
    assert content["identity_endpoint"].endswith("/msi/token")
    assert content["ca_bundle"] == str((CA_DIR / "ca.pem").resolve())
    assert len(content["identity_header"]) >= 16
    storage = content["storage"]
    assert set(storage) == {"blob", "queue", "table", "pid"}
    assert content["app_settings"] == {
        "IDENTITY_ENDPOINT": content["identity_endpoint"],
        "IDENTITY_HEADER": content["identity_header"],
        "SSL_CERT_FILE": content["ca_bundle"],
        "REQUESTS_CA_BUNDLE": content["ca_bundle"],
        "DPGOV_ARM_ENDPOINT": content["url"],
        "AzureWebJobsStorage": (
            "DefaultEndpointsProtocol=https;AccountName=devstoreaccount1;"
            "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
            f"BlobEndpoint={storage['blob']};QueueEndpoint={storage['queue']};TableEndpoint={storage['table']};"
        ),
        "AzureWebJobsStorage__blobServiceUri": storage["blob"],
        "AzureWebJobsStorage__queueServiceUri": storage["queue"],
        "AzureWebJobsStorage__tableServiceUri": storage["table"],
        "AzureWebJobsStorage__credential": "managedidentity",
        "DPGOV_PURVIEW_ACCOUNT": "dpgov-purview",
        "DPGOV_PURVIEW_ENDPOINT": content["app_settings"]["DPGOV_PURVIEW_ENDPOINT"],
        "DPGOV_PURVIEW_SCAN_ENDPOINT": content["app_settings"]["DPGOV_PURVIEW_ENDPOINT"],
        "DPGOV_PURVIEW_RESOURCE_ID": content["app_settings"]["DPGOV_PURVIEW_RESOURCE_ID"],
        "DPGOV_UNIFIED_CATALOG_ENDPOINT": content["app_settings"]["DPGOV_PURVIEW_ENDPOINT"],
        "DPGOV_OUTCOME_TOPIC_ENDPOINT": content["outcome_topic"]["endpoint"],
    }
    assert content["app_settings"]["DPGOV_PURVIEW_ENDPOINT"].startswith("https://127.0.0.1:")
    assert content["app_settings"]["DPGOV_PURVIEW_ENDPOINT"] != content["url"]
    topic = content["outcome_topic"]
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/api/events", topic["endpoint"]), "a topic's own host"
    assert len(topic["key"]) >= 32
    assert topic["resource_id"].endswith("/providers/Microsoft.EventGrid/topics/dpgov-outcomes")
    assert process.returncode == 0, stderr.decode()
    assert wait_gone(storage["pid"])


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "SIGKILL"]
)
def test_azurite_never_outlives_the_emulator(tmp_path: Path, signum: signal.Signals) -> None:
    process, content = run_until_ready(tmp_path)
    azurite = int(content["storage"]["pid"])
    assert is_running(azurite)

    process.send_signal(signum)
    process.communicate(timeout=20)

    assert wait_gone(azurite), f"Azurite ({azurite}) is still running after the emulator got {signum.name}"
    assert process.returncode == (-signal.SIGKILL if signum == signal.SIGKILL else 0)


def test_no_storage_starts_no_azurite_and_names_no_storage_settings(tmp_path: Path) -> None:
    process, content = run_until_ready(tmp_path, "--no-storage")
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(process.pid)], capture_output=True, text=True, check=False
    )
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=20)

    assert content["storage"] is None
    assert set(content["app_settings"]) == {
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "DPGOV_ARM_ENDPOINT",
        "DPGOV_PURVIEW_ACCOUNT",
        "DPGOV_PURVIEW_ENDPOINT",
        "DPGOV_PURVIEW_SCAN_ENDPOINT",
        "DPGOV_PURVIEW_RESOURCE_ID",
        "DPGOV_UNIFIED_CATALOG_ENDPOINT",
        "DPGOV_OUTCOME_TOPIC_ENDPOINT",
    }
    assert children.stdout.split() == []
    assert process.returncode == 0


def test_start_emulator_without_storage_gives_an_app_environment_without_storage() -> None:
    with start_emulator(ca_dir=CA_DIR, storage=False) as endpoints:
        environment = endpoints.app_environment()

    assert endpoints.storage is None
    assert not STORAGE_SETTINGS & set(environment)
    assert environment["DPGOV_ARM_ENDPOINT"] == endpoints.url


def test_app_environment_is_the_ready_files_app_settings(emulator: EmulatorEndpoints) -> None:
    environment = emulator.app_environment()

    assert emulator.storage is not None
    assert environment == dict(emulator.app_settings)
    assert environment["IDENTITY_ENDPOINT"] == emulator.identity_endpoint
    assert environment["IDENTITY_HEADER"] == emulator.identity_header
    assert environment["SSL_CERT_FILE"] == environment["REQUESTS_CA_BUNDLE"] == emulator.ca_bundle
    assert environment["DPGOV_ARM_ENDPOINT"] == emulator.url
    assert environment["AzureWebJobsStorage__tableServiceUri"] == emulator.storage.table
    environment["IDENTITY_HEADER"] = "changed"
    assert emulator.app_environment()["IDENTITY_HEADER"] == emulator.identity_header, "a copy each time"


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_azurite_is_found_in_node_modules_then_the_override_then_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    on_path = _executable(bin_dir / "azurite")
    override = _executable(tmp_path / "my-azurite")
    project = tmp_path / "project"
    local = project / "node_modules" / ".bin"
    local.mkdir(parents=True)

    assert find_azurite(project, {"PATH": str(bin_dir)}) == on_path
    assert find_azurite(project, {"PATH": str(bin_dir), AZURITE_ENV: str(override)}) == override
    installed = _executable(local / "azurite")
    assert find_azurite(project, {"PATH": str(bin_dir), AZURITE_ENV: str(override)}) == installed


def test_a_missing_azurite_says_to_run_npm_ci(tmp_path: Path) -> None:
    with pytest.raises(AzuriteNotFound) as missing:
        find_azurite(tmp_path, {"PATH": str(tmp_path)})
    with pytest.raises(AzuriteNotFound) as broken_override:
        find_azurite(tmp_path, {"PATH": "", AZURITE_ENV: str(tmp_path / "nothing")})

    assert "Run `npm ci` in" in str(missing.value)
    assert "--no-storage" in str(missing.value)
    assert str(broken_override.value) == f"{AZURITE_ENV}={tmp_path / 'nothing'} is not an executable file."


def test_the_emulator_exits_with_the_npm_ci_hint_when_azurite_is_missing(tmp_path: Path) -> None:
    """Run a copy of the emulator package from a tree without node_modules and with nothing on PATH."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "emulator", tree / "emulator", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(tree)}
    env.pop(AZURITE_ENV, None)

    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", "0", "--ca-dir", str(CA_DIR)],
        cwd=tree,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert b"python -m emulator: Azurite (the Azure Storage emulator) is not installed" in result.stderr
    assert b"Run `npm ci` in " + str(tree).encode() in result.stderr


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
