// The Function App: Flex Consumption (FC1), Linux, Python 3.11, one user-assigned identity, and every
// app setting the code reads (shared/settings.py; tests/infra/test_app_settings.py keeps them in step).
// Every value comes in as a parameter, so the settings loop below is known when the deployment starts.
param name string
param location string
param tags object
param planId string
param identityId string
param identityClientId string
param identityPrincipalId string
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string
param maximumInstanceCount int
param instanceMemoryMB int
param maxConcurrency int
param maxWritesPerSubscription int
param coalesceWindowMs int
param resourceGraphMinZones int
param maxGroupsInFlight int
param requestTimeoutSeconds int
param ledgerTable string
param reconcileSchedule string
param reconcileQueue string
param runsTable string
param purviewAccountResourceId string
param unifiedCatalogEndpoint string
param unifiedCatalogApiVersion string
param unifiedCatalogRateLimit string
param outcomeTopicEndpoint string

// azd deploys the code to the site tagged with the service name in azure.yaml.
var serviceName = 'api'
var purviewAccount = empty(purviewAccountResourceId) ? '' : last(split(purviewAccountResourceId, '/'))
var purviewEndpoint = empty(purviewAccount) ? '' : 'https://${purviewAccount}.purview.azure.com'
var purviewScanEndpoint = empty(purviewAccount) ? '' : 'https://${purviewAccount}.scan.purview.azure.com'

var appSettings = {
  // Host storage by identity (no connection string, no keys): the user-assigned identity's client id.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  // DefaultAzureCredential: only the managed identity, and which one.
  AZURE_CLIENT_ID: identityClientId
  AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential'
  // Telemetry with Entra authentication (the component has local auth off).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // The app's own settings (shared/settings.py). GOVERNANCE_CONFIG stays unset on purpose: the app then
  // reads the governance.yaml deployed with its code, the very file the preprovision hook turned into
  // this deployment's landing zones and ABAC condition.
  DPGOV_ARM_ENDPOINT: environment().resourceManager
  DPGOV_MAX_CONCURRENCY: string(maxConcurrency)
  DPGOV_MAX_WRITES_PER_SUBSCRIPTION: string(maxWritesPerSubscription)
  DPGOV_COALESCE_WINDOW_MS: string(coalesceWindowMs)
  DPGOV_RESOURCE_GRAPH_MIN_ZONES: string(resourceGraphMinZones)
  DPGOV_MAX_GROUPS_IN_FLIGHT: string(maxGroupsInFlight)
  DPGOV_REQUEST_TIMEOUT_SECONDS: string(requestTimeoutSeconds)
  DPGOV_IDENTITY_OBJECT_ID: identityPrincipalId
  DPGOV_LEDGER_TABLE: ledgerTable
  DPGOV_RECONCILE_SCHEDULE: reconcileSchedule
  DPGOV_RECONCILE_QUEUE: reconcileQueue
  DPGOV_RUNS_TABLE: runsTable
  DPGOV_PURVIEW_ACCOUNT: purviewAccount
  DPGOV_PURVIEW_ENDPOINT: purviewEndpoint
  DPGOV_PURVIEW_SCAN_ENDPOINT: purviewScanEndpoint
  DPGOV_PURVIEW_RESOURCE_ID: purviewAccountResourceId
  DPGOV_UNIFIED_CATALOG_ENDPOINT: unifiedCatalogEndpoint
  DPGOV_UNIFIED_CATALOG_API_VERSION: unifiedCatalogApiVersion
  DPGOV_UNIFIED_CATALOG_RATE_LIMIT: unifiedCatalogRateLimit
  DPGOV_OUTCOME_TOPIC_ENDPOINT: outcomeTopicEndpoint
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: planId
    httpsOnly: true
    clientAffinityEnabled: false
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [for setting in items(appSettings): {
        name: setting.key
        value: setting.value
      }]
    }
  }
}

// No publishing passwords: azd deploys with Entra tokens.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output id string = site.id
output uri string = 'https://${site.properties.defaultHostName}'
output purviewEndpoint string = purviewEndpoint
