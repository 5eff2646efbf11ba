"""Governed aspects: one module per aspect, each behind the protocol in ``base``."""
