"""``python -m emulator.host``: the local Functions host under its documented old name.

The host is not part of the Azure emulator; it lives in the top-level :mod:`functions_host`
package. This alias keeps the documented command and the ``emulator.host`` import path working.
"""

from __future__ import annotations

import sys

from functions_host.host import HostEndpoints, HostStartError, main, start_host

__all__ = ["HostEndpoints", "HostStartError", "main", "start_host"]

if __name__ == "__main__":
    sys.exit(main())
