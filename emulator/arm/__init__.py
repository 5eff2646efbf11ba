"""Azure Resource Manager as the emulator serves it: the gateway, paths, listing, LROs, throttling, the store.

Resource types live in :mod:`emulator.arm.providers`, one module per resource provider, declared in a
registry the gateway dispatches through (:mod:`emulator.arm.registry`).
"""
