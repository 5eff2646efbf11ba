"""Managed-identity access tokens: issued by the identity endpoint, checked by the ARM gateway.

Tokens are JWT-shaped (HS256 with a key only this emulator process knows) so that code which peeks
at claims sees what Entra ID would put there, and so the gateway can tell who is calling: the caller's
object id keys ARM's throttling buckets and fills the ``claims`` of the events its writes cause.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..arm.errors import ArmError
from ..control.models import EmulatorIdentity

__all__ = ["ARM_AUDIENCES", "Caller", "IssuedToken", "TokenIssuer"]

TOKEN_LIFETIME_SECONDS = 24 * 3600
ARM_AUDIENCES = (
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
)
_NAMESPACE = uuid.UUID("5d0c4f1e-6a3b-4c55-9d3e-2f7a1b0c9e41")
# Query parameters App Service accepts to select a user-assigned identity.
USER_ASSIGNED_SELECTORS = ("client_id", "principal_id", "object_id", "mi_res_id", "msi_res_id")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Caller:
    """Who sent an ARM request, from the validated token."""

    object_id: str
    claims: Mapping[str, Any]

    def event_claims(self) -> dict[str, str]:
        """The caller's claims as ARM puts them into events: strings, long URIs for the ids."""
        claims = {key: str(value) for key, value in self.claims.items() if key not in {"oid", "tid"}}
        claims["http://schemas.microsoft.com/identity/claims/objectidentifier"] = str(self.claims["oid"])
        claims["http://schemas.microsoft.com/identity/claims/tenantid"] = str(self.claims["tid"])
        claims["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"] = str(self.claims["oid"])
        return claims


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_on: int
    resource: str
    client_id: str


class TokenIssuer:
    """Signs and checks tokens for the emulated tenant's managed identities."""

    def __init__(self, tenant_id: str) -> None:
        self._key = secrets.token_bytes(32)
        self.tenant_id = tenant_id
        self.system_identity = EmulatorIdentity(
            tenant_id=tenant_id,
            principal_id=str(uuid.uuid5(_NAMESPACE, f"{tenant_id}/system-assigned/principal")),
            client_id=str(uuid.uuid5(_NAMESPACE, f"{tenant_id}/system-assigned/client")),
        )
        # Every identity a token was issued for exists in the tenant's directory (RBAC can grant it roles).
        self._issued: dict[str, EmulatorIdentity] = {}

    def known_identities(self) -> list[EmulatorIdentity]:
        """The system-assigned identity and every user-assigned identity a token was issued for."""
        return [self.system_identity, *(i for i in self._issued.values() if i != self.system_identity)]

    def identity_for(self, selector: Mapping[str, str]) -> EmulatorIdentity:
        """The system-assigned identity, or a stable user-assigned one named by a selector parameter."""
        for key in USER_ASSIGNED_SELECTORS:
            value = selector.get(key)
            if value:
                if key == "client_id":
                    client_id = value
                    principal_id = str(uuid.uuid5(_NAMESPACE, f"{self.tenant_id}/ua/{value.lower()}"))
                elif key in {"principal_id", "object_id"}:
                    principal_id = value
                    client_id = str(uuid.uuid5(_NAMESPACE, f"{self.tenant_id}/ua-client/{value.lower()}"))
                else:
                    principal_id = str(uuid.uuid5(_NAMESPACE, f"{self.tenant_id}/ua/{value.lower()}"))
                    client_id = str(uuid.uuid5(_NAMESPACE, f"{self.tenant_id}/ua-client/{value.lower()}"))
                return EmulatorIdentity(self.tenant_id, principal_id, client_id)
        return self.system_identity

    def issue(self, resource: str, identity: EmulatorIdentity) -> IssuedToken:
        self._issued.setdefault(identity.principal_id.casefold(), identity)
        now = int(time.time())
        expires_on = now + TOKEN_LIFETIME_SECONDS
        claims: dict[str, Any] = {
            "aud": resource,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": expires_on,
            "aio": _b64url(secrets.token_bytes(12)),
            "appid": identity.client_id,
            "appidacr": "2",
            "idp": f"https://sts.windows.net/{self.tenant_id}/",
            "idtyp": "app",
            "oid": identity.principal_id,
            "rh": "0.emulator.",
            "sub": identity.principal_id,
            "tid": self.tenant_id,
            "uti": _b64url(secrets.token_bytes(16)),
            "ver": "1.0",
        }
        header = {"alg": "HS256", "typ": "JWT", "kid": "emulator"}
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = _b64url(hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest())
        return IssuedToken(f"{signing_input}.{signature}", expires_on, resource, identity.client_id)

    def authenticate(self, authorization: str | None, audiences: Sequence[str] = ARM_AUDIENCES) -> Caller:
        """Check an ``Authorization`` header the way ARM does; raise ARM's 401 errors.

        ``audiences`` are the ``aud`` values the receiving service accepts (ARM's unless another
        service, such as Purview, checks its own tokens).
        """
        if not authorization:
            raise ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            )
        claims = self._verify(token.strip())
        now = time.time()
        expiry = float(claims.get("exp", 0))
        if expiry <= now:
            raise ArmError(
                401,
                "ExpiredAuthenticationToken",
                f"The access token expiry UTC time '{_utc(expiry)}' is earlier than current UTC time '{_utc(now)}'.",
                self._challenge("The access token has expired."),
            )
        if claims.get("aud") not in audiences:
            raise ArmError(
                401,
                "InvalidAuthenticationTokenAudience",
                f"The access token has been obtained for wrong audience or resource '{claims.get('aud')}'. "
                "It should exactly match with one of the allowed audiences "
                + ",".join(f"'{audience}'" for audience in audiences)
                + ".",
                self._challenge("The access token has been obtained for wrong audience."),
            )
        return Caller(object_id=str(claims["oid"]), claims=claims)

    def _verify(self, token: str) -> dict[str, Any]:
        invalid = ArmError(
            401, "InvalidAuthenticationToken", "The access token is invalid.", self._challenge("Invalid token.")
        )
        parts = token.split(".")
        if len(parts) != 3:
            raise invalid
        expected = hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
        try:
            signature = _b64url_decode(parts[2])
            claims = json.loads(_b64url_decode(parts[1]))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise invalid from None
        if not hmac.compare_digest(signature, expected) or not isinstance(claims, dict) or "oid" not in claims:
            raise invalid
        return claims

    def _challenge(self, description: str) -> dict[str, str]:
        return {
            "WWW-Authenticate": f'Bearer authorization_uri="https://login.windows.net/{self.tenant_id}", '
            f'error="invalid_token", error_description="{description}"'
        }


def _utc(epoch: float) -> str:
    return time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(epoch))
