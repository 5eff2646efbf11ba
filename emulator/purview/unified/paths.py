"""Which requests belong to the Unified Catalog, and how the request log classes them.

The catalog answers under ``/datagovernance/catalog`` (fixed segments case-insensitive, like every
Purview route). Its requests are logged apart from the rest of Purview's: ``catalog-read`` for GETs
and for the POSTs that only read (``…/query``, ``…/query/count``, ``…/facets``), ``catalog-delete``
for DELETEs, ``catalog-write`` for every other POST and PUT.
"""

from __future__ import annotations

import re

from ...control.models import RequestClass

__all__ = ["CATALOG_PREFIX", "catalog_request_class", "is_catalog_path"]

CATALOG_PREFIX = "/datagovernance/catalog"
_PREFIX = re.compile(r"^/datagovernance/catalog(?:/|$)", re.IGNORECASE)
_READING_POSTS = re.compile(r"/(?:query|query/count|facets)/?$", re.IGNORECASE)


def is_catalog_path(path: str) -> bool:
    return _PREFIX.match(path) is not None


def catalog_request_class(method: str, path: str) -> RequestClass:
    method = method.upper()
    if method in ("GET", "HEAD"):
        return "catalog-read"
    if method == "DELETE":
        return "catalog-delete"
    if method == "POST" and _READING_POSTS.search(path) is not None:
        return "catalog-read"
    return "catalog-write"
