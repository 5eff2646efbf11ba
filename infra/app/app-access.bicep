// The app identity's grants in its own resource group, each on the narrowest scope that works:
// host storage (the Functions host keeps its state and the deployment package in blobs), the ledger
// table only, and telemetry publishing on its Application Insights component.
param appPrincipalId string
@description('The operator running azd: reads dead-lettered events to replay them. Empty: no grant.')
param operatorPrincipalId string
param storageAccountName string
param ledgerTable string
param reconcileQueue string
param runsTable string
param deadLetterContainerName string
param applicationInsightsName string

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource ledger 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = {
  name: '${storageAccountName}/default/${ledgerTable}'
}

resource runs 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = {
  name: '${storageAccountName}/default/${runsTable}'
}

// The fan-out's queue and its poison queue: the app sends, the host's queue trigger receives,
// deletes and moves poison messages.
resource reconcile 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  name: '${storageAccountName}/default/${reconcileQueue}'
}

resource poison 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  name: '${storageAccountName}/default/${reconcileQueue}-poison'
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  name: '${storageAccountName}/default/${deadLetterContainerName}'
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// The Functions host with an identity-based AzureWebJobsStorage needs Blob Data Owner (leases, keys,
// timer state, the package). Queue and table roles are granted on the app's own queues and tables only.
resource hostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: Functions host storage (AzureWebJobsStorage)'
  }
}

resource ledgerWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(ledger.id, appPrincipalId, roles.storageTableDataContributor)
  scope: ledger
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: the ledger table (DPGOV_LEDGER_TABLE)'
  }
}

resource runsWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runs.id, appPrincipalId, roles.storageTableDataContributor)
  scope: runs
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: the runs table (DPGOV_RUNS_TABLE)'
  }
}

resource reconcileQueueUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(reconcile.id, appPrincipalId, roles.storageQueueDataContributor)
  scope: reconcile
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: the fan-out queue (DPGOV_RECONCILE_QUEUE)'
  }
}

resource poisonQueueUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(poison.id, appPrincipalId, roles.storageQueueDataContributor)
  scope: poison
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: the fan-out poison queue (DPGOV_RECONCILE_QUEUE-poison)'
  }
}

resource telemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: telemetry with Entra authentication'
  }
}

resource operatorDeadLetterReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(deadLetters.id, operatorPrincipalId, roles.storageBlobDataReader)
  scope: deadLetters
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    principalId: operatorPrincipalId
    description: 'dpgov: the operator reads dead-lettered events to replay them'
  }
}
