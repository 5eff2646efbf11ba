"""Azurite, Microsoft's Azure Storage emulator, run as a child of the emulator process.

Storage is not emulated here: Azurite (npm package ``azurite``, pinned in package.json) serves blob,
queue and table. It is started the way the local Azure needs it:

- HTTPS with a certificate issued by the emulator's own CA, so clients trust it like the ARM endpoint;
- ``--oauth basic``, so the app authenticates with managed-identity bearer tokens as in Azure
  (Azurite checks the issuer prefix, the audience and the lifetime, not the signature);
- in-memory persistence (nothing is written anywhere, least of all into the repository);
- every port picked by the OS (``--*Port 0``); the real ports are read from Azurite's startup lines;
- in its own process group, with a parent-death signal on Linux, so it never outlives the emulator.

``--skipApiVersionCheck`` is passed because the storage SDKs may send an ``x-ms-version`` newer than
this Azurite release knows; Azure accepts those versions, so refusing them would be the unfaithful part.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import re
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ACCOUNT_KEY",
    "ACCOUNT_NAME",
    "AZURITE_ENV",
    "Azurite",
    "AzuriteEndpoints",
    "AzuriteError",
    "AzuriteNotFound",
    "find_azurite",
]

# Azurite's well-known development account (the same for every Azurite and the old storage emulator).
ACCOUNT_NAME = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZURITE_ENV = "DPGOV_AZURITE"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 5.0
# Azurite keeps in-memory blob data in "extents"; without a limit it may claim half the machine's memory.
EXTENT_MEMORY_LIMIT_MB = 256
_LISTENING = re.compile(r"Azurite (Blob|Queue|Table) service is successfully listening at (https?://\S+)")
_PR_SET_PDEATHSIG = 1


class AzuriteError(RuntimeError):
    """Azurite could not be started (it exited, or did not report its ports in time)."""


class AzuriteNotFound(AzuriteError):
    """No azurite executable: the project's npm dependencies are not installed."""


@dataclass(frozen=True)
class AzuriteEndpoints:
    """The account URLs of a running Azurite (``https://127.0.0.1:PORT/devstoreaccount1``)."""

    blob: str
    queue: str
    table: str
    pid: int

    def connection_string(self) -> str:
        """A connection string with the well-known account and key and explicit HTTPS endpoints."""
        return (
            f"DefaultEndpointsProtocol=https;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.blob};QueueEndpoint={self.queue};TableEndpoint={self.table};"
        )


def find_azurite(project_root: Path = PROJECT_ROOT, environ: dict[str, str] | None = None) -> Path:
    """The azurite executable: the project's ``node_modules/.bin``, then ``$DPGOV_AZURITE``, then PATH."""
    environment = os.environ if environ is None else environ
    local = project_root / "node_modules" / ".bin" / "azurite"
    if local.is_file() and os.access(local, os.X_OK):
        return local
    override = environment.get(AZURITE_ENV)
    if override:
        candidate = Path(override)
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        raise AzuriteNotFound(f"{AZURITE_ENV}={override} is not an executable file.")
    found = shutil.which("azurite", path=environment.get("PATH"))
    if found:
        return Path(found)
    raise AzuriteNotFound(
        f"Azurite (the Azure Storage emulator) is not installed: no {local}, no ${AZURITE_ENV}, and no "
        f"'azurite' on PATH. Run `npm ci` in {project_root} (make does this for you), or start the "
        "emulator with --no-storage."
    )


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM Azurite if the emulator dies, even by SIGKILL (no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Azurite:
    """One Azurite child process: start it, learn its endpoints, stop it (with its whole group)."""

    def __init__(self, *, executable: Path, cert: Path, key: Path, host: str = "127.0.0.1") -> None:
        self._executable = executable
        self._cert = cert
        self._key = key
        self._host = host
        self._process: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None
        self._output: list[str] = []
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    def command(self) -> list[str]:
        host = self._host
        return [
            str(self._executable),
            *("--blobHost", host, "--blobPort", "0"),
            *("--queueHost", host, "--queuePort", "0"),
            *("--tableHost", host, "--tablePort", "0"),
            *("--cert", str(self._cert), "--key", str(self._key)),
            *("--oauth", "basic"),
            "--inMemoryPersistence",
            *("--extentMemoryLimit", str(EXTENT_MEMORY_LIMIT_MB)),
            "--silent",
            "--disableTelemetry",
            "--skipApiVersionCheck",
        ]

    async def start(self) -> AzuriteEndpoints:
        """Start Azurite and return once blob, queue and table all listen."""
        # Azurite's working directory: in memory nothing is written, but never let it be the repository.
        self._workdir = tempfile.TemporaryDirectory(prefix="dpgov-azurite-")
        self._process = await asyncio.create_subprocess_exec(
            *self.command(),
            cwd=self._workdir.name,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # safe: the emulator starts no threads before Azurite
        )
        try:
            urls = await asyncio.wait_for(self._read_ports(self._process), START_TIMEOUT_SECONDS)
        except (TimeoutError, AzuriteError) as error:
            await self.stop()
            output = "".join(self._output)[-4000:]
            reason = "did not report its ports in time" if isinstance(error, TimeoutError) else str(error)
            raise AzuriteError(f"Azurite {reason}. Its output:\n{output}") from None
        self._drain = asyncio.get_running_loop().create_task(self._keep_draining(self._process))
        return AzuriteEndpoints(
            blob=f"{urls['Blob']}/{ACCOUNT_NAME}",
            queue=f"{urls['Queue']}/{ACCOUNT_NAME}",
            table=f"{urls['Table']}/{ACCOUNT_NAME}",
            pid=self._process.pid,
        )

    async def _read_ports(self, process: asyncio.subprocess.Process) -> dict[str, str]:
        urls: dict[str, str] = {}
        assert process.stdout is not None
        while len(urls) < 3:
            line = await process.stdout.readline()
            if not line:
                code = await process.wait()
                raise AzuriteError(f"exited with code {code} before it was ready")
            text = line.decode("utf-8", errors="replace")
            self._output.append(text)
            match = _LISTENING.search(text)
            if match:
                urls[match.group(1)] = match.group(2).rstrip("/")
        return urls

    @staticmethod
    async def _keep_draining(process: asyncio.subprocess.Process) -> None:
        """Read (and drop) later output so Azurite never blocks on a full pipe."""
        assert process.stdout is not None
        while await process.stdout.readline():
            pass

    async def stop(self) -> None:
        """SIGTERM Azurite's process group, SIGKILL it if it lingers, and wait for it."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
            self._drain = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
