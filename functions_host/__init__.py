"""A small local Azure Functions host (dev and test only): serves a FunctionApp's functions over HTTP.

``python -m functions_host`` (or ``python -m emulator.host``) runs it; :func:`functions_host.host.start_host`
runs it as a subprocess. See :mod:`functions_host.host` for the command line.
"""
