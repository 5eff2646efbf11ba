"""Azure's built-in role definitions the emulator serves, by their real ids (the same in every tenant).

Verbatim from Azure's catalogue (``az role definition list``, 2026): name, description, the one
permissions block, ``assignableScopes`` ``["/"]`` and the timestamps (to the microsecond the
catalogue gives, in ARM's ``Z`` form). Ids are in their tenant form here; a read under a
subscription prefixes ``/subscriptions/{id}``, as ARM does.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BUILTIN_ROLES"]

_ROLES: list[dict[str, Any]] = [
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
        "name": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Reader",
            "type": "BuiltInRole",
            "description": "View all resources, but does not allow you to make any changes.",
            "assignableScopes": ["/"],
            "permissions": [{"actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": []}],
            "createdOn": "2015-02-02T21:55:09.880642Z",
            "updatedOn": "2021-11-11T20:13:47.862868Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c",
        "name": "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Contributor",
            "type": "BuiltInRole",
            "description": "Grants full access to manage all resources, but does not allow you to assign roles "
            "in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": ["*"],
                    "notActions": [
                        "Microsoft.Authorization/*/Delete",
                        "Microsoft.Authorization/*/Write",
                        "Microsoft.Authorization/elevateAccess/Action",
                        "Microsoft.Blueprint/blueprintAssignments/write",
                        "Microsoft.Blueprint/blueprintAssignments/delete",
                        "Microsoft.Compute/galleries/share/action",
                        "Microsoft.Purview/consents/write",
                        "Microsoft.Purview/consents/delete",
                        "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                        "Microsoft.Subscription/cancel/action",
                        "Microsoft.Subscription/enable/action",
                    ],
                    "dataActions": [],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2015-02-02T21:55:09.880642Z",
            "updatedOn": "2024-11-19T20:03:30.321264Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "name": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Owner",
            "type": "BuiltInRole",
            "description": "Grants full access to manage all resources, including the ability to assign roles "
            "in Azure RBAC.",
            "assignableScopes": ["/"],
            "permissions": [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}],
            "createdOn": "2015-02-02T21:55:09.880642Z",
            "updatedOn": "2021-11-11T20:13:45.897885Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "name": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "User Access Administrator",
            "type": "BuiltInRole",
            "description": "Lets you manage user access to Azure resources.",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
                    "notActions": [],
                    "dataActions": [],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2015-02-02T21:55:09.880642Z",
            "updatedOn": "2021-11-11T20:13:57.793202Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "name": "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Role Based Access Control Administrator",
            "type": "BuiltInRole",
            "description": "Manage access to Azure resources by assigning roles using Azure RBAC. This role "
            "does not allow you to manage access using other ways, such as Azure Policy.",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": [
                        "Microsoft.Authorization/roleAssignments/write",
                        "Microsoft.Authorization/roleAssignments/delete",
                        "*/read",
                        "Microsoft.Support/*",
                    ],
                    "notActions": [],
                    "dataActions": [],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2022-09-07T00:28:32.177965Z",
            "updatedOn": "2023-11-08T20:50:17.210344Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/f6c7c914-8db3-469d-8ca1-694a8f32e121",
        "name": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "AzureML Data Scientist",
            "type": "BuiltInRole",
            "description": "Can perform all actions within an Azure Machine Learning workspace, except for "
            "creating or deleting compute resources and modifying the workspace itself.",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": [
                        "Microsoft.MachineLearningServices/workspaces/*/read",
                        "Microsoft.MachineLearningServices/workspaces/*/action",
                        "Microsoft.MachineLearningServices/workspaces/*/delete",
                        "Microsoft.MachineLearningServices/workspaces/*/write",
                    ],
                    "notActions": [
                        "Microsoft.MachineLearningServices/workspaces/delete",
                        "Microsoft.MachineLearningServices/workspaces/write",
                        "Microsoft.MachineLearningServices/workspaces/computes/*/write",
                        "Microsoft.MachineLearningServices/workspaces/computes/*/delete",
                        "Microsoft.MachineLearningServices/workspaces/computes/listKeys/action",
                        "Microsoft.MachineLearningServices/workspaces/listKeys/action",
                        "Microsoft.MachineLearningServices/workspaces/hubs/write",
                        "Microsoft.MachineLearningServices/workspaces/hubs/delete",
                        "Microsoft.MachineLearningServices/workspaces/featurestores/write",
                        "Microsoft.MachineLearningServices/workspaces/featurestores/delete",
                    ],
                    "dataActions": [],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2021-07-14T21:51:06.036121Z",
            "updatedOn": "2023-05-30T15:09:08.445724Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        "name": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Storage Blob Data Reader",
            "type": "BuiltInRole",
            "description": "Allows for read access to Azure Storage blob containers and data",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": [
                        "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                        "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
                    ],
                    "notActions": [],
                    "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2017-12-21T00:01:24.797231Z",
            "updatedOn": "2021-11-11T20:13:55.297507Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        "name": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Storage Blob Data Contributor",
            "type": "BuiltInRole",
            "description": "Allows for read, write and delete access to Azure Storage blob containers and data",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": [
                        "Microsoft.Storage/storageAccounts/blobServices/containers/delete",
                        "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                        "Microsoft.Storage/storageAccounts/blobServices/containers/write",
                        "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
                    ],
                    "notActions": [],
                    "dataActions": [
                        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
                        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
                        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
                        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
                    ],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2017-12-21T00:01:24.797231Z",
            "updatedOn": "2021-11-11T20:13:54.939745Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/4a9ae827-6dc8-4573-8ac7-8239d42aa03f",
        "name": "4a9ae827-6dc8-4573-8ac7-8239d42aa03f",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Tag Contributor",
            "type": "BuiltInRole",
            "description": "Lets you manage tags on entities, without providing access to the entities themselves.",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": [
                        "Microsoft.Authorization/*/read",
                        "Microsoft.Resources/subscriptions/resourceGroups/read",
                        "Microsoft.Resources/subscriptions/resourceGroups/resources/read",
                        "Microsoft.Resources/subscriptions/resources/read",
                        "Microsoft.Resources/deployments/*",
                        "Microsoft.Insights/alertRules/*",
                        "Microsoft.Support/*",
                        "Microsoft.Resources/tags/*",
                    ],
                    "notActions": [],
                    "dataActions": [],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2020-02-18T23:19:19.297764Z",
            "updatedOn": "2021-11-11T20:14:20.017204Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/36243c78-bf99-498c-9df9-86d9f8d28608",
        "name": "36243c78-bf99-498c-9df9-86d9f8d28608",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Resource Policy Contributor",
            "type": "BuiltInRole",
            "description": "Users with rights to create/modify resource policy, create support ticket and read "
            "resources/hierarchy.",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": [
                        "*/read",
                        "Microsoft.Authorization/policyassignments/*",
                        "Microsoft.Authorization/policydefinitions/*",
                        "Microsoft.Authorization/policyexemptions/*",
                        "Microsoft.Authorization/policyenrollments/*",
                        "Microsoft.Authorization/policysetdefinitions/*",
                        "Microsoft.PolicyInsights/*",
                        "Microsoft.Resources/deployments/*",
                        "Microsoft.Support/*",
                    ],
                    "notActions": [],
                    "dataActions": [],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2017-08-25T19:08:01.386163Z",
            "updatedOn": "2025-03-25T15:25:05.173150Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/43d0d8ad-25c7-4714-9337-8ba259a9fe05",
        "name": "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Monitoring Reader",
            "type": "BuiltInRole",
            "description": "Can read all monitoring data.",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": [
                        "*/read",
                        "Microsoft.OperationalInsights/workspaces/search/action",
                        "Microsoft.Support/*",
                    ],
                    "notActions": [],
                    "dataActions": [],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2016-09-21T19:19:52.493937Z",
            "updatedOn": "2025-06-18T13:42:52.389198Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/73c42c96-874c-492b-b04d-ab87d138a893",
        "name": "73c42c96-874c-492b-b04d-ab87d138a893",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Log Analytics Reader",
            "type": "BuiltInRole",
            "description": "Log Analytics Reader can view and search all monitoring data as well as and view "
            "monitoring settings, including viewing the configuration of Azure diagnostics on "
            "all Azure resources.",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": [
                        "*/read",
                        "Microsoft.OperationalInsights/workspaces/analytics/query/action",
                        "Microsoft.OperationalInsights/workspaces/search/action",
                        "Microsoft.Support/*",
                    ],
                    "notActions": ["Microsoft.OperationalInsights/workspaces/sharedKeys/read"],
                    "dataActions": ["Microsoft.OperationalInsights/workspaces/jobs/export/action"],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2017-05-02T00:20:28.144901Z",
            "updatedOn": "2026-05-20T16:21:48.682455Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6",
        "name": "4633458b-17de-408a-b874-0445c86b69e6",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Key Vault Secrets User",
            "type": "BuiltInRole",
            "description": "Read secret contents. Only works for key vaults that use the 'Azure role-based "
            "access control' permission model.",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": [],
                    "notActions": [],
                    "dataActions": [
                        "Microsoft.KeyVault/vaults/secrets/getSecret/action",
                        "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
                    ],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2020-05-19T17:52:47.204924Z",
            "updatedOn": "2021-11-11T20:14:30.954282Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
    {
        "id": "/providers/Microsoft.Authorization/roleDefinitions/673868aa-7521-48a0-acc6-0f60742d39f5",
        "name": "673868aa-7521-48a0-acc6-0f60742d39f5",
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": "Data Factory Contributor",
            "type": "BuiltInRole",
            "description": "Create and manage data factories, as well as child resources within them.",
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": [
                        "Microsoft.Authorization/*/read",
                        "Microsoft.DataFactory/dataFactories/*",
                        "Microsoft.DataFactory/factories/*",
                        "Microsoft.Insights/alertRules/*",
                        "Microsoft.ResourceHealth/availabilityStatuses/read",
                        "Microsoft.Resources/deployments/*",
                        "Microsoft.Resources/subscriptions/resourceGroups/read",
                        "Microsoft.Support/*",
                        "Microsoft.EventGrid/eventSubscriptions/write",
                    ],
                    "notActions": [],
                    "dataActions": [],
                    "notDataActions": [],
                }
            ],
            "createdOn": "2015-02-02T21:55:09.880642Z",
            "updatedOn": "2021-11-11T20:13:30.742017Z",
            "createdBy": None,
            "updatedBy": None,
        },
    },
]

BUILTIN_ROLES: dict[str, dict[str, Any]] = {str(role["name"]).casefold(): role for role in _ROLES}
