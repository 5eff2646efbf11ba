"""Benchmarks (not tests): ARM requests, sequential round trips and wall time, on the emulator.

    python -m bench [--latency-ms 50] [--groups 2000] [--json]

Every request goes through the official SDKs to the emulator, which adds the given latency to each
ARM and Purview response and logs every request; "sequential round trips" is the emulator's critical
path (the longest chain of requests each starting after the previous one ended). The ledger's Table
storage (Azurite) is counted from azure-core's request log in this process. Every scenario starts
from the platform's prerequisites (principals, the management group, the sales initiative). Scenarios:

1. one new product's event, cold (first event of the process: tokens, definitions, the landing
   zone's collections) and warm, and warm with an ADLS Gen2 account, delivered to the local
   Functions host as Event Grid would;
2. reconcile-all governing N new products over two subscriptions (a mix of the example's domains,
   every tenth with a data store): every aspect's writes;
3. reconcile-all of the same, now compliant (the timer on a governed estate);
4. the same estate with 10% retagged (the timer repairing drift);
5. side by side: the same estate reconciled group by group, the shape bulk listing avoids;
6. 400 retagged groups in one subscription with ARM's token buckets on: the rate gate keeps the
   repair at the write bucket's refill rate;
7. the same repair split over 1, 2 and 4 app instances (separate processes, bench/instance.py, each
   its own rate gate and a share of the groups) against one throttled emulator: 429s and failed
   writes when instances share a subscription's bucket.
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

if __name__ == "__main__":
    from shared.collector import tune_collector

    tune_collector()  # the in-process runs measure the app as its worker runs it (function_app.py)
    if sys.argv[1:2] == ["estate"]:  # the large estate (bench/estate.py): python -m bench estate [options]
        from bench.estate import main as estate

        sys.exit(estate(sys.argv[2:], _CA_DIR))
    from bench.scenarios import main

    sys.exit(main(_CA_DIR))
