"""Session-wide test setup: trust the emulator's CA before anything imports aiohttp.

aiohttp builds its default SSL context when it is imported, reading ``SSL_CERT_FILE`` then; the app
code under test uses that default (as it does in Azure). So the emulator's CA is created here, at
collection time, and the emulator started later reuses it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from emulator.tls import ensure_ca

CA_DIR = Path(tempfile.mkdtemp(prefix="dpgov-test-ca-"))
CA_FILES = ensure_ca(CA_DIR)
os.environ["SSL_CERT_FILE"] = str(CA_FILES.ca_bundle)
os.environ["REQUESTS_CA_BUNDLE"] = str(CA_FILES.ca_bundle)
