"""One emulated Microsoft Purview account: its data plane (collections, metadata policies, scanning, Data Map).

The data plane has its own HTTPS listener (``emulator.purview.gateway``), routed on path whatever the
host, because Purview's services answer under several host names and prefixes. The ARM resource
``Microsoft.Purview/accounts`` lives in :mod:`emulator.arm.providers.purview`.

This package imports nothing heavy at import time: the control client reads
:mod:`emulator.purview.snapshot` without pulling in aiohttp.
"""
