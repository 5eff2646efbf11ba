// One data landing zone (an Azure subscription): what the app's identity may do there, and where the
// subscription's resource events come from. Deployed at the landing zone's subscription scope.
//
// The app's identity gets exactly: Reader (observe groups, resources and assignments), Tag
// Contributor (the cross-charging tags), Resource Policy Contributor (policy assignments and their
// remediation), a custom role that may only read and write resource groups (the visualization
// groups), and Role Based Access Control Administrator fenced by an ABAC condition to the roles in
// governance.yaml's rbac.allowed_roles and the principal types the config grants to. Never Owner,
// User Access Administrator or Contributor (tests/infra/test_roles.py).
targetScope = 'subscription'

param environmentName string
param location string
param tags object
param eventsGroupName string
param systemTopicName string
param appPrincipalId string

@minLength(1)
@description('ABAC condition (version 2.0) from governance.yaml, written by the preprovision hook (shared.abac).')
param rbacCondition string

@description('Object id of the Purview account\'s managed identity, to be given Reader here. Empty: no grant.')
param purviewPrincipalId string = ''

var roles = {
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  tagContributor: '4a9ae827-6dc8-4573-8ac7-8239d42aa03f'
  resourcePolicyContributor: '36243c78-bf99-498c-9df9-86d9f8d28608'
  roleBasedAccessControlAdministrator: 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
}

// Role names are unique in the tenant: the environment and the subscription make this one's unique.
resource groupWriterRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, environmentName, 'dpgov-resource-group-writer')
  properties: {
    roleName: 'dpgov-${environmentName}-resource-group-writer-${subscription().subscriptionId}'
    description: 'Create and update resource groups (the visualization groups dpgov creates); nothing inside them.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Resources/subscriptions/resourceGroups/read'
          'Microsoft.Resources/subscriptions/resourceGroups/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [
      subscription().id
    ]
  }
}

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, roles.reader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.reader)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: observe resource groups, resources, role and policy assignments'
  }
}

resource tagContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, roles.tagContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.tagContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: cross-charging tags on data-product groups'
  }
}

resource resourcePolicyContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, roles.resourcePolicyContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.resourcePolicyContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: policy assignments on data-product groups and their remediation'
  }
}

resource groupWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, groupWriterRole.id)
  properties: {
    roleDefinitionId: groupWriterRole.id
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: create the visualization resource groups'
  }
}

// Delegated, fenced: role-assignment writes and deletes only for the allow-listed role definition ids
// and principal types (the condition is printed by `dpgov rbac-condition`).
resource roleAssignmentWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, appPrincipalId, roles.roleBasedAccessControlAdministrator)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.roleBasedAccessControlAdministrator)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: grant only the roles in governance.yaml rbac.allowed_roles'
    condition: rbacCondition
    conditionVersion: '2.0'
  }
}

// Optional: Purview's own identity reads the subscription (registering it as a source).
resource purviewReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(purviewPrincipalId)) {
  name: guid(subscription().id, purviewPrincipalId, roles.reader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.reader)
    principalId: purviewPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: the Purview account reads this landing zone'
  }
}

// A small group for the subscription's system topic (not a data product: the app never governs it).
resource eventsGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: eventsGroupName
  location: location
  tags: tags
}

module topic 'system-topic.bicep' = {
  name: take('dpgov-${environmentName}-system-topic', 64)
  scope: eventsGroup
  params: {
    name: systemTopicName
    tags: tags
  }
}

output eventsGroupName string = eventsGroup.name
output topicName string = topic.outputs.name
output topicPrincipalId string = topic.outputs.principalId
