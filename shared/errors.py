"""Which failures are worth retrying, and the error types the engine raises.

The controller rule (DESIGN.md §2): a *transient* failure (throttling, 5xx, timeouts, broken
connections) propagates, so Event Grid redelivers the event or the timer's next run repairs it; a
*terminal* failure (the request itself is wrong or forbidden) is reported and not retried, because
repeating it cannot succeed.
"""

from __future__ import annotations

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def is_transient(error: BaseException) -> bool:
    """True for failures that a later attempt can fix: throttling, server errors, network trouble."""
    if isinstance(
        error,
        ServiceRequestError | ServiceResponseError | ServiceRequestTimeoutError | ServiceResponseTimeoutError,
    ):
        return True
    if isinstance(error, ClientAuthenticationError):
        # No identity, or ARM rejected its token: a deployment problem that retrying cannot fix
        # (the SDK already retries the token endpoint itself), unless ARM answered with a 5xx.
        return error.status_code is not None and error.status_code in TRANSIENT_STATUS
    if isinstance(error, HttpResponseError):
        status = error.status_code
        return status is None or status in TRANSIENT_STATUS or status >= 500
    return isinstance(error, TimeoutError | ConnectionError)


def describe(error: BaseException) -> str:
    """A one-line account of an Azure failure: status, ARM error code and message."""
    if isinstance(error, HttpResponseError):
        code = error.error.code if error.error is not None else None
        message = error.error.message if error.error is not None else error.message
        status = f"HTTP {error.status_code}" if error.status_code else "HTTP error"
        return f"{status} {code}: {message}" if code else f"{status}: {message}"
    if isinstance(error, AzureError):
        return f"{type(error).__name__}: {error.message}"
    return f"{type(error).__name__}: {error}"


def is_azure_error(error: BaseException) -> bool:
    """Failures reported by Azure or the network path to it, as opposed to bugs in this app."""
    return isinstance(error, AzureError) or is_transient(error)
