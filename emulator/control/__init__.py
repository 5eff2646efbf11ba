"""The emulator's control API: the server side, its wire models, and the typed client.

Importing this package must stay light (no aiohttp): the client is used by test code and scripts.
"""
