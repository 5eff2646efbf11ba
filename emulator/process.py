"""Start the emulator as a subprocess and learn where it listens.

The emulator runs in its own process (its own event loop, like a remote service), started with the
same interpreter as ``python -m emulator``; it starts Azurite for storage unless told not to. It
reports its endpoints and the app settings that point an app at it through a ready file; if it dies
first, the error carries its stderr. Leaving the context manager sends SIGTERM and waits (the
emulator stops Azurite with it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["EmulatorEndpoints", "EmulatorStartError", "StorageEndpoints", "start_emulator"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 40.0
STOP_TIMEOUT_SECONDS = 15.0


class EmulatorStartError(RuntimeError):
    """The emulator exited or did not get ready in time."""


@dataclass(frozen=True)
class StorageEndpoints:
    """Azurite's account URLs (``https://127.0.0.1:PORT/devstoreaccount1``) and its process id."""

    blob: str
    queue: str
    table: str
    pid: int


@dataclass(frozen=True)
class EmulatorEndpoints:
    """Where a running emulator serves, the secrets an app needs to use it, and its app settings."""

    url: str
    ca_bundle: str
    identity_endpoint: str
    identity_header: str
    app_settings: Mapping[str, str] = field(default_factory=dict)
    storage: StorageEndpoints | None = None
    outcome_topic_key: str | None = None  # the custom topic's access key (aeg-sas-key); the app uses its identity

    def app_environment(self) -> dict[str, str]:
        """The app settings that point an unmodified app at the emulator, as the ready file lists them.

        ``IDENTITY_ENDPOINT``/``IDENTITY_HEADER`` make azure-identity use the App Service managed
        identity; the CA bundle variables make aiohttp and requests trust the emulator's certificate;
        ``DPGOV_ARM_ENDPOINT`` is ARM; the ``AzureWebJobsStorage`` settings name Azurite (absent
        without storage).
        """
        return dict(self.app_settings)

    @property
    def purview_endpoint(self) -> str | None:
        """The Purview data plane's URL (``DPGOV_PURVIEW_ENDPOINT``), or ``None`` with ``--no-purview``."""
        return self.app_settings.get("DPGOV_PURVIEW_ENDPOINT")

    @property
    def outcome_topic_endpoint(self) -> str | None:
        """The custom topic's publish URL (``DPGOV_OUTCOME_TOPIC_ENDPOINT``, ending in ``/api/events``)."""
        return self.app_settings.get("DPGOV_OUTCOME_TOPIC_ENDPOINT")

    @property
    def unified_catalog_endpoint(self) -> str | None:
        """The Unified Catalog's base URL (``DPGOV_UNIFIED_CATALOG_ENDPOINT``; add ``/datagovernance/catalog``)."""
        return self.app_settings.get("DPGOV_UNIFIED_CATALOG_ENDPOINT")


def _read_ready(path: Path) -> EmulatorEndpoints | None:
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    storage = data.get("storage")
    return EmulatorEndpoints(
        url=str(data["url"]),
        ca_bundle=str(data["ca_bundle"]),
        identity_endpoint=str(data["identity_endpoint"]),
        identity_header=str(data["identity_header"]),
        app_settings={str(name): str(value) for name, value in data["app_settings"].items()},
        storage=(
            StorageEndpoints(str(storage["blob"]), str(storage["queue"]), str(storage["table"]), int(storage["pid"]))
            if storage
            else None
        ),
        outcome_topic_key=(data.get("outcome_topic") or {}).get("key"),
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def start_emulator(
    *,
    ca_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    page_size: int | None = None,
    host: str = "127.0.0.1",
    storage: bool = True,
    purview: bool = True,
    purview_account: str | None = None,
) -> Iterator[EmulatorEndpoints]:
    """Run ``python -m emulator`` (with Azurite unless ``storage`` is false, a Purview account — named
    ``purview_account`` or the default — unless ``purview`` is false) for the ``with`` block."""
    with tempfile.TemporaryDirectory(prefix="dpgov-emulator-") as workdir:
        ready_file = Path(workdir) / "ready.json"
        stderr_path = Path(workdir) / "stderr.log"
        command = [sys.executable, "-m", "emulator", "--port", "0", "--host", host, "--ready-file", str(ready_file)]
        command += ["--ca-dir", str((ca_dir or Path(workdir) / "ca").resolve())]
        if page_size is not None:
            command += ["--page-size", str(page_size)]
        if not storage:
            command.append("--no-storage")
        if not purview:
            command.append("--no-purview")
        elif purview_account is not None:
            command += ["--purview-account", purview_account]
        environment = dict(os.environ if env is None else env)
        environment["PYTHONPATH"] = os.pathsep.join(
            part for part in (str(PROJECT_ROOT), environment.get("PYTHONPATH", "")) if part
        )
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=stderr, env=environment)
        try:
            yield _wait_ready(process, ready_file, stderr_path)
        finally:
            _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], ready_file: Path, stderr_path: Path) -> EmulatorEndpoints:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        endpoints = _read_ready(ready_file)
        if endpoints is not None:
            return endpoints
        if process.poll() is not None:
            raise EmulatorStartError(
                f"the emulator exited with code {process.returncode} before it was ready:\n"
                + stderr_path.read_text(errors="replace")
            )
        time.sleep(0.05)
    raise EmulatorStartError(
        f"the emulator was not ready after {READY_TIMEOUT_SECONDS:.0f} s:\n" + stderr_path.read_text(errors="replace")
    )
