"""The example estate's prerequisites: what a platform team has in place before dpgov runs.

The governance config (``governance.example.yaml``) names principals, a management group and a
custom initiative that dpgov only *uses*: in Azure they exist already (Entra groups and service
principals, the management-group hierarchy, the initiative deployed with the platform's IaC). On a
fresh emulator the demo, the benchmarks and the tests set them up the same way: principals and the
management group through the control API (they are outside ARM's resource API), the initiative
through the official policy SDK, as a platform engineer's pipeline would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.mgmt.resource.policy.aio import PolicyClient
from azure.mgmt.resource.policy.models import PolicySetDefinition

from emulator.control.client import EmulatorControl

EMEA = "11111111-1111-1111-1111-111111111111"
AMER = "22222222-2222-2222-2222-222222222222"
MANAGEMENT_GROUP = "mg-contoso-data"
SALES_INITIATIVE = "dpgov-sales-baseline"
BUILTIN = "/providers/Microsoft.Authorization/policyDefinitions"
PRINCIPALS = (
    ("33333333-3333-4333-8333-333333333333", "Group", "sales data scientists"),
    ("44444444-4444-4444-8444-444444444444", "Group", "sales report authors"),
    ("55555555-5555-4555-8555-555555555555", "ServicePrincipal", "Power BI gateway"),
)


def sales_initiative() -> dict[str, Any]:
    """Allowed locations, Require a tag on resources, Inherit a tag from the resource group (modify)."""

    def member(reference: str, definition: str, parameter: str, value: str) -> dict[str, Any]:
        return {
            "policyDefinitionReferenceId": reference,
            "policyDefinitionId": f"{BUILTIN}/{definition}",
            "parameters": {parameter: {"value": f"[parameters('{value}')]"}},
        }

    return {
        "properties": {
            "displayName": "Sales data products baseline",
            "description": "Where sales data products may run, and that their resources carry the cost centre.",
            "policyType": "Custom",
            "metadata": {"category": "Data products"},
            "parameters": {
                "allowedLocations": {"type": "Array", "metadata": {"displayName": "Allowed locations"}},
                "costCenterTag": {"type": "String", "metadata": {"displayName": "Cost centre tag name"}},
            },
            "policyDefinitions": [
                member(
                    "allowedLocations",
                    "e56962a6-4747-49cd-b67b-bf8b01975c4c",
                    "listOfAllowedLocations",
                    "allowedLocations",
                ),
                member("requireCostCenterTag", "871b6d14-10aa-478d-b590-94f262ecfa99", "tagName", "costCenterTag"),
                member("inheritCostCenterTag", "cd3aa116-8754-49c9-a813-ad46512ece54", "tagName", "costCenterTag"),
            ],
        }
    }


def prepare_directory(control: EmulatorControl, subscriptions: Sequence[str] = (EMEA, AMER)) -> None:
    """The config's principals in the tenant, and the landing zones under the data management group."""
    for principal_id, principal_type, name in PRINCIPALS:
        control.add_principal(principal_id, principal_type=principal_type, display_name=name)
    control.add_management_group(MANAGEMENT_GROUP, subscriptions=subscriptions, display_name="Contoso data")


async def define_initiatives(
    credential: AsyncTokenCredential, arm_endpoint: str, *, connection_verify: str | bool = True
) -> None:
    """The platform team's custom initiative at the management group, through the policy SDK."""
    async with PolicyClient(credential, EMEA, base_url=arm_endpoint, connection_verify=connection_verify) as client:
        await client.policy_set_definitions.create_or_update_at_management_group(
            MANAGEMENT_GROUP, SALES_INITIATIVE, PolicySetDefinition(sales_initiative())
        )
