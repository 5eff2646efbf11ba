"""Azure's built-in policy definitions the project uses, by their real ids (the same in every tenant).

Verbatim from Azure's built-in catalogue (github.com/Azure/azure-policy, 2026): parameters with
their types, defaults and allowed values, the mode, the rule and its effect — including the
``roleDefinitionIds`` a modify effect's managed identity needs.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BUILTIN_POLICY_DEFINITIONS"]

_DEFINITIONS: list[dict[str, Any]] = [
    {
        "properties": {
            "displayName": "Allowed locations",
            "policyType": "BuiltIn",
            "mode": "Indexed",
            "description": "This policy enables you to restrict the locations your organization can specify "
            "when deploying resources. Use to enforce your geo-compliance requirements. Excludes "
            "resource groups, Microsoft.AzureActiveDirectory/b2cDirectories, and resources that "
            "use the 'global' region.",
            "metadata": {"version": "1.1.0", "category": "General"},
            "version": "1.1.0",
            "parameters": {
                "listOfAllowedLocations": {
                    "type": "Array",
                    "metadata": {
                        "description": "The list of locations that can be specified when deploying resources.",
                        "strongType": "location",
                        "displayName": "Allowed locations",
                    },
                },
                "effect": {
                    "type": "String",
                    "defaultValue": "Deny",
                    "allowedValues": ["Audit", "Deny", "Disabled"],
                    "metadata": {
                        "displayName": "Effect",
                        "description": "Enable or disable the execution of the policy",
                    },
                },
            },
            "policyRule": {
                "if": {
                    "allOf": [
                        {"field": "location", "notIn": "[parameters('listOfAllowedLocations')]"},
                        {"field": "location", "notEquals": "global"},
                        {"field": "type", "notEquals": "Microsoft.AzureActiveDirectory/b2cDirectories"},
                    ]
                },
                "then": {"effect": "[parameters('effect')]"},
            },
            "versions": ["1.1.0", "1.0.0"],
        },
        "id": "/providers/Microsoft.Authorization/policyDefinitions/e56962a6-4747-49cd-b67b-bf8b01975c4c",
        "name": "e56962a6-4747-49cd-b67b-bf8b01975c4c",
        "type": "Microsoft.Authorization/policyDefinitions",
    },
    {
        "properties": {
            "displayName": "Require a tag on resources",
            "policyType": "BuiltIn",
            "mode": "Indexed",
            "description": "Enforces existence of a tag. Does not apply to resource groups.",
            "metadata": {"version": "1.0.1", "category": "Tags"},
            "version": "1.0.1",
            "parameters": {
                "tagName": {
                    "type": "String",
                    "metadata": {"displayName": "Tag Name", "description": "Name of the tag, such as 'environment'"},
                }
            },
            "policyRule": {
                "if": {"field": "[concat('tags[', parameters('tagName'), ']')]", "exists": "false"},
                "then": {"effect": "deny"},
            },
            "versions": ["1.0.1"],
        },
        "id": "/providers/Microsoft.Authorization/policyDefinitions/871b6d14-10aa-478d-b590-94f262ecfa99",
        "name": "871b6d14-10aa-478d-b590-94f262ecfa99",
        "type": "Microsoft.Authorization/policyDefinitions",
    },
    {
        "properties": {
            "displayName": "Inherit a tag from the resource group",
            "policyType": "BuiltIn",
            "mode": "Indexed",
            "description": "Adds or replaces the specified tag and value from the parent resource group when "
            "any resource is created or updated. Existing resources can be remediated by "
            "triggering a remediation task.",
            "metadata": {"version": "1.0.0", "category": "Tags"},
            "version": "1.0.0",
            "parameters": {
                "tagName": {
                    "type": "String",
                    "metadata": {"displayName": "Tag Name", "description": "Name of the tag, such as 'environment'"},
                }
            },
            "policyRule": {
                "if": {
                    "allOf": [
                        {
                            "field": "[concat('tags[', parameters('tagName'), ']')]",
                            "notEquals": "[resourceGroup().tags[parameters('tagName')]]",
                        },
                        {"value": "[resourceGroup().tags[parameters('tagName')]]", "notEquals": ""},
                    ]
                },
                "then": {
                    "effect": "modify",
                    "details": {
                        "roleDefinitionIds": [
                            "/providers/microsoft.authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"
                        ],
                        "operations": [
                            {
                                "operation": "addOrReplace",
                                "field": "[concat('tags[', parameters('tagName'), ']')]",
                                "value": "[resourceGroup().tags[parameters('tagName')]]",
                            }
                        ],
                    },
                },
            },
            "versions": ["1.0.0"],
        },
        "id": "/providers/Microsoft.Authorization/policyDefinitions/cd3aa116-8754-49c9-a813-ad46512ece54",
        "name": "cd3aa116-8754-49c9-a813-ad46512ece54",
        "type": "Microsoft.Authorization/policyDefinitions",
    },
    {
        "properties": {
            "displayName": "Require a tag on resource groups",
            "policyType": "BuiltIn",
            "mode": "All",
            "description": "Enforces existence of a tag on resource groups.",
            "metadata": {"version": "1.0.0", "category": "Tags"},
            "version": "1.0.0",
            "parameters": {
                "tagName": {
                    "type": "String",
                    "metadata": {"displayName": "Tag Name", "description": "Name of the tag, such as 'environment'"},
                }
            },
            "policyRule": {
                "if": {
                    "allOf": [
                        {"field": "type", "equals": "Microsoft.Resources/subscriptions/resourceGroups"},
                        {"field": "[concat('tags[', parameters('tagName'), ']')]", "exists": "false"},
                    ]
                },
                "then": {"effect": "deny"},
            },
            "versions": ["1.0.0"],
        },
        "id": "/providers/Microsoft.Authorization/policyDefinitions/96670d01-0a4d-4649-9c89-2d3abc0a5025",
        "name": "96670d01-0a4d-4649-9c89-2d3abc0a5025",
        "type": "Microsoft.Authorization/policyDefinitions",
    },
    {
        "properties": {
            "displayName": "Secure transfer to storage accounts should be enabled",
            "policyType": "BuiltIn",
            "mode": "Indexed",
            "description": "Audit requirement of Secure transfer in your storage account. Secure transfer is an "
            "option that forces your storage account to accept requests only from secure "
            "connections (HTTPS). Use of HTTPS ensures authentication between the server and the "
            "service and protects data in transit from network layer attacks such as "
            "man-in-the-middle, eavesdropping, and session-hijacking",
            "metadata": {"version": "2.0.0", "category": "Storage"},
            "version": "2.0.0",
            "parameters": {
                "effect": {
                    "type": "string",
                    "defaultValue": "Audit",
                    "allowedValues": ["Audit", "Deny", "Disabled"],
                    "metadata": {
                        "displayName": "Effect",
                        "description": "The effect determines what happens when the policy rule is evaluated to match",
                    },
                }
            },
            "policyRule": {
                "if": {
                    "allOf": [
                        {"field": "type", "equals": "Microsoft.Storage/storageAccounts"},
                        {
                            "anyOf": [
                                {
                                    "allOf": [
                                        {"value": "[requestContext().apiVersion]", "less": "2019-04-01"},
                                        {
                                            "field": "Microsoft.Storage/storageAccounts/supportsHttpsTrafficOnly",
                                            "exists": "false",
                                        },
                                    ]
                                },
                                {
                                    "field": "Microsoft.Storage/storageAccounts/supportsHttpsTrafficOnly",
                                    "equals": "false",
                                },
                            ]
                        },
                    ]
                },
                "then": {"effect": "[parameters('effect')]"},
            },
            "versions": ["2.0.0"],
        },
        "id": "/providers/Microsoft.Authorization/policyDefinitions/404c3081-a854-4457-ae30-26a93ef643f9",
        "name": "404c3081-a854-4457-ae30-26a93ef643f9",
        "type": "Microsoft.Authorization/policyDefinitions",
    },
]

BUILTIN_POLICY_DEFINITIONS: dict[str, dict[str, Any]] = {
    str(definition["name"]).casefold(): definition for definition in _DEFINITIONS
}
