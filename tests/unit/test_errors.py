"""Failures are classified by Azure's error code first, then status, then type."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError, ServiceResponseError
from azure.identity import CredentialUnavailableError

from shared.aspects.base import Disposition
from shared.errors import describe, disposition, is_transient
from tests.unit.fakes import arm_error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (arm_error(409, "ResourceGroupBeingDeleted"), Disposition.GROUP_DELETING),
        (arm_error(404, "ResourceGroupNotFound"), Disposition.GROUP_GONE),
        (arm_error(409, "AnotherOperationInProgress"), Disposition.TRANSIENT),
        (arm_error(409, "RoleAssignmentExists"), Disposition.TERMINAL),
        (arm_error(404, "PolicyDefinitionNotFound"), Disposition.TERMINAL),
        (arm_error(403, "AuthorizationFailed"), Disposition.TERMINAL),
        (arm_error(400, "InvalidTagName"), Disposition.TERMINAL),
        (arm_error(429, "SubscriptionRequestsThrottled"), Disposition.TRANSIENT),
        (arm_error(503, "ServiceUnavailable"), Disposition.TRANSIENT),
        (arm_error(500, "SomethingNew"), Disposition.TRANSIENT),
        (arm_error(401, "ExpiredAuthenticationToken"), Disposition.TRANSIENT),
        (arm_error(401, "InvalidAuthenticationTokenAudience"), Disposition.TERMINAL),
    ],
)
def test_arm_error_codes_decide_before_status(error: Exception, expected: Disposition) -> None:
    assert disposition(error) is expected


def test_an_unreachable_identity_endpoint_is_transient_so_the_event_is_redelivered() -> None:
    assert disposition(CredentialUnavailableError("ManagedIdentityCredential authentication unavailable")) is (
        Disposition.TRANSIENT
    )
    assert disposition(ClientAuthenticationError("token endpoint answered 503")) is Disposition.TRANSIENT


def test_network_failures_are_transient() -> None:
    assert is_transient(ServiceRequestError("connection refused"))
    assert is_transient(ServiceResponseError("connection reset"))
    assert is_transient(TimeoutError())


def test_a_bug_is_not_an_azure_failure() -> None:
    assert not is_transient(KeyError("x"))


def test_describe_names_status_code_and_message() -> None:
    error = arm_error(409, "ResourceGroupBeingDeleted", "The resource group 'x' is in deprovisioning state.")
    assert describe(error) == "HTTP 409 ResourceGroupBeingDeleted: The resource group 'x' is in deprovisioning state."
