"""The Purview account's system-assigned managed identity.

Purview scans sources with its own identity, whose display name is the account's name; callers grant
it roles (Storage Blob Data Reader, …) on what it scans. The emulator derives its principal id from
the tenant and the account name, so it is the same for the ARM resource, the data plane and any
principal directory that registers it, across resets and restarts. Account names are unique across
Azure, which is why the name (not the resource id) keys it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

__all__ = ["AccountPrincipal", "account_principal", "account_principal_id"]

_NAMESPACE = uuid.UUID("7f0b9a0e-2f3c-4d6a-8b1e-4c5d6e7f8a90")


def account_principal_id(tenant_id: str, account_name: str) -> str:
    """The object id of the account's system-assigned identity (stable per tenant and account name)."""
    return str(uuid.uuid5(_NAMESPACE, f"{tenant_id.casefold()}/purview/{account_name.casefold()}"))


@dataclass(frozen=True)
class AccountPrincipal:
    """What a principal directory needs to know of the account's identity."""

    principal_id: str
    display_name: str
    tenant_id: str
    principal_type: str = "ServicePrincipal"


def account_principal(tenant_id: str, account_name: str) -> AccountPrincipal:
    """The account's identity as a directory lists it: a service principal named after the account."""
    return AccountPrincipal(account_principal_id(tenant_id, account_name), account_name, tenant_id)
