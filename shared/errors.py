"""What an Azure failure means for the control loop, decided by Azure's error code first.

The controller rule: a *transient* failure propagates, so Event Grid redelivers the event or the
timer's retry runs again; a *terminal* one is reported and not retried, because repeating the same
request cannot succeed. HTTP status alone is not enough to tell them apart — a 409 can mean "another
operation is in progress" (retry), "the group is being deleted" (stop, not a failure) or "that role
assignment already exists" (done) — so the table below maps ARM's error codes, and each aspect
decides what its own 404 and 409 mean before falling back to it (``Aspect.interpret``).

The same table is in docs/architecture.md ("Errors"); keep the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from shared.aspects.base import Disposition

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})

ERROR_CODES: Mapping[str, Disposition] = {
    # Throttling and service trouble: ARM, resource providers and the storage service.
    "SubscriptionRequestsThrottled": Disposition.TRANSIENT,
    "TenantRequestsThrottled": Disposition.TRANSIENT,
    "ResourceCollectionRequestsThrottled": Disposition.TRANSIENT,
    "TooManyRequests": Disposition.TRANSIENT,
    "ServerBusy": Disposition.TRANSIENT,
    "ServiceUnavailable": Disposition.TRANSIENT,
    "InternalServerError": Disposition.TRANSIENT,
    "GatewayTimeout": Disposition.TRANSIENT,
    "OperationTimedOut": Disposition.TRANSIENT,
    # Retryable conflicts: someone else is changing the same thing right now.
    "AnotherOperationInProgress": Disposition.TRANSIENT,
    "OperationPreempted": Disposition.TRANSIENT,
    "ConcurrentRequestsConflict": Disposition.TRANSIENT,
    # A token that expired between fetch and use: the next attempt fetches a fresh one.
    "ExpiredAuthenticationToken": Disposition.TRANSIENT,
    # The resource group itself.
    "ResourceGroupNotFound": Disposition.GROUP_GONE,
    "ResourceGroupBeingDeleted": Disposition.GROUP_DELETING,
    # Deliberate refusals: repeating them cannot succeed.
    "AuthorizationFailed": Disposition.TERMINAL,
    "LinkedAuthorizationFailed": Disposition.TERMINAL,
    "InvalidAuthenticationTokenAudience": Disposition.TERMINAL,
    "ScopeLocked": Disposition.TERMINAL,
    "RequestDisallowedByPolicy": Disposition.TERMINAL,
}


def error_code(error: BaseException) -> str | None:
    """Azure's error code (``{"error": {"code"}}``), when the failure carries one."""
    if isinstance(error, HttpResponseError):
        if error.error is not None and error.error.code:
            return str(error.error.code)
        # The storage SDKs put the service's ``x-ms-error-code`` here instead.
        code = getattr(error, "error_code", None)
        return str(code) if code else None
    return None


def disposition(error: BaseException) -> Disposition:
    """The default meaning of a failure, for any aspect: code first, then status, then type.

    404s other than ``ResourceGroupNotFound`` are terminal here: an aspect that knows what a missing
    thing means for its action (gone already, a parent not yet created) maps it before calling this.
    """
    code = error_code(error)
    if code is not None and code in ERROR_CODES:
        return ERROR_CODES[code]
    if isinstance(error, ClientAuthenticationError):
        # No status: the token could not be fetched (the managed-identity endpoint is unreachable
        # or hiccuping: CredentialUnavailableError). The platform's endpoint recovers; retry.
        status = error.status_code
        return Disposition.TRANSIENT if status is None or status in TRANSIENT_STATUS else Disposition.TERMINAL
    if isinstance(error, HttpResponseError):
        status = error.status_code
        if status is None or status in TRANSIENT_STATUS or status >= 500:
            return Disposition.TRANSIENT
        return Disposition.TERMINAL
    if isinstance(error, ServiceRequestError | ServiceResponseError | TimeoutError | ConnectionError):
        return Disposition.TRANSIENT
    return Disposition.TERMINAL


def is_transient(error: BaseException) -> bool:
    """True for failures that a later attempt can fix: throttling, server errors, network trouble."""
    return is_azure_error(error) and disposition(error) is Disposition.TRANSIENT


def is_azure_error(error: BaseException) -> bool:
    """Failures reported by Azure or the network path to it, as opposed to bugs in this app."""
    return isinstance(error, AzureError | TimeoutError | ConnectionError)


def describe(error: BaseException) -> str:
    """A one-line account of an Azure failure: status, Azure's error code and message."""
    if isinstance(error, HttpResponseError):
        code = error_code(error)
        message = error.error.message if error.error is not None and error.error.message else error.message
        status = f"HTTP {error.status_code}" if error.status_code else "HTTP error"
        return f"{status} {code}: {message}" if code else f"{status}: {message}"
    if isinstance(error, AzureError):
        return f"{type(error).__name__}: {error.message}"
    return f"{type(error).__name__}: {error}"
