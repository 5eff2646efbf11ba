"""Benchmarks (not tests): ARM requests, sequential round trips and wall time, on the emulator.

    python -m bench [--latency-ms 50] [--groups 2000] [--json]

Every request goes through the official SDKs to the emulator, which adds the given latency to each
ARM response and logs every request; "sequential round trips" is the emulator's critical path (the
longest chain of requests each starting after the previous one ended). Scenarios:

1. one new-group event, cold (first event of the process: includes the managed-identity token) and
   warm, delivered to the local Functions host as Event Grid would;
2. reconcile-all of N compliant groups over two subscriptions (the timer on a governed estate);
3. the same estate with 10% drift (the timer repairing drift);
4. 400 drifted groups in one subscription with ARM's token buckets on: the rate gate keeps the
   repair at the write bucket's refill rate;
5. side by side: the same compliant estate observed with a GET per group, the shape bulk listing
   avoids.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from emulator.tls import ensure_ca

# aiohttp reads SSL_CERT_FILE when imported: trust the emulator's CA before anything imports it.
_CA_DIR = Path(tempfile.mkdtemp(prefix="dpgov-bench-ca-"))
os.environ["SSL_CERT_FILE"] = str(ensure_ca(_CA_DIR).ca_bundle)

from bench.scenarios import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(_CA_DIR))
