// Deployed in the Purview account's resource group: the app reads the account through ARM (to learn
// its managed identity, the principal that scans). Data-plane roles are granted by the postprovision
// hook (infra/scripts/purview_roles.py): Purview's collections are not ARM RBAC.
param accountName string
param appPrincipalId string

var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

resource account 'Microsoft.Purview/accounts@2021-12-01' existing = {
  name: accountName
}

resource accountReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, appPrincipalId, reader)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: read the Purview account (its managed identity)'
  }
}

output principalId string = account.identity.principalId
