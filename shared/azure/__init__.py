"""Adapters over the official Azure SDKs: the only modules that perform I/O against Azure."""
