"""A local, faithful emulator of the Azure surface dpgov uses (dev and test only).

Importing this package must stay cheap and must not import aiohttp: tests create the emulator's CA
(``emulator.tls``) and point ``SSL_CERT_FILE`` at it before aiohttp builds its default SSL context.
"""
