"""The emulator's own certificate authority and server certificate.

The official SDKs only talk HTTPS to ARM, so the emulator needs a certificate that the test process
and the app trust. The CA is made once per directory and reused: a test session creates it (and sets
``SSL_CERT_FILE``) before anything imports aiohttp, whose default SSL context is built at import
time, and the emulator process started later serves a certificate from the same CA.

This module must not import aiohttp (see above).
"""

from __future__ import annotations

import fcntl
import os
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import trustme

__all__ = ["CaFiles", "ensure_ca"]

SERVER_IDENTITIES = ("127.0.0.1", "localhost", "::1")
CA_FILE = "ca.pem"
SERVER_CERT_FILE = "server-cert.pem"
SERVER_KEY_FILE = "server-key.pem"


@dataclass(frozen=True)
class CaFiles:
    """Where the CA certificate and the server's certificate chain and key live."""

    ca_bundle: Path
    server_cert: Path
    server_key: Path

    def server_ssl_context(self) -> ssl.SSLContext:
        """A TLS server context presenting the emulator's certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.server_cert, self.server_key)
        return context

    def client_ssl_context(self) -> ssl.SSLContext:
        """A TLS client context that trusts the system store plus the emulator's CA."""
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=str(self.ca_bundle))
        return context


def ensure_ca(ca_dir: Path) -> CaFiles:
    """Create the CA and server certificate in ``ca_dir``, or reuse the ones already there.

    Creation holds an exclusive lock on the directory, so two processes racing on a fresh directory
    end up with one consistent CA; every file is written to a temporary name and renamed.
    """
    ca_dir = ca_dir.resolve()
    ca_dir.mkdir(parents=True, exist_ok=True)
    files = CaFiles(ca_dir / CA_FILE, ca_dir / SERVER_CERT_FILE, ca_dir / SERVER_KEY_FILE)
    with _locked(ca_dir / ".lock"):
        if all(path.is_file() for path in (files.ca_bundle, files.server_cert, files.server_key)):
            return files
        authority = trustme.CA(organization_name="dpgov local Azure emulator")
        leaf = authority.issue_cert(*SERVER_IDENTITIES)
        chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
        _write_atomically(files.server_key, leaf.private_key_pem.bytes(), mode=0o600)
        _write_atomically(files.server_cert, chain)
        # The CA file is the marker of a complete set, so it is written last.
        _write_atomically(files.ca_bundle, authority.cert_pem.bytes())
    return files


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    temporary.chmod(mode)
    temporary.replace(path)
