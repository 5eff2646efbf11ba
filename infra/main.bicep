// dpgov on Azure: a Flex Consumption Function App (Python 3.11) with a user-assigned identity, its own
// storage (identity-only: host state, the code package, the ledger table, dead-lettered events),
// Application Insights with Entra authentication, and per landing zone: a system topic on the
// subscription, the app's role assignments, and (once the code is deployed) the event subscription.
// Deployed by `azd up`; docs/deploy.md explains every part.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment: names the resource groups and seeds the unique resource names.')
param environmentName string

@minLength(1)
@description('Region of the app and its resources: one that offers Flex Consumption with Python 3.11.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Name of the app\'s resource group (default: rg-<environmentName>).')
param resourceGroupName string = ''

@description('Object id of the operator running azd (AZURE_PRINCIPAL_ID): may read dead-lettered events to replay them. Empty: no grant.')
param principalId string = ''

@description('Create the Event Grid subscriptions to the function. Azure refuses them until the code is deployed: the postdeploy hook turns this on and provisions again.')
param eventSubscriptions bool = false

@minValue(1)
@description('DPGOV_MAX_CONCURRENCY: resource groups reconciled at once per worker.')
param maxConcurrency int = 16

@minValue(1)
@description('DPGOV_MAX_WRITES_PER_SUBSCRIPTION: ARM write requests in flight per subscription per instance (4 instances × 2 ≈ the 10/s write refill).')
param maxWritesPerSubscription int = 2

@minValue(0)
@maxValue(10000)
@description('DPGOV_COALESCE_WINDOW_MS: events for one group within this window after a run share one trailing reconcile (0: none).')
param coalesceWindowMs int = 1000

@minValue(1)
@description('DPGOV_RESOURCE_GRAPH_MIN_ZONES: from this many landing zones, runs go in batches of this many zones, each read with Resource Graph queries.')
param resourceGraphMinZones int = 10

@minValue(1)
@description('DPGOV_MAX_GROUPS_IN_FLIGHT: resource groups one bulk run (a queue message) reconciles at once; bounds its memory.')
param maxGroupsInFlight int = 256

@minValue(1)
@description('DPGOV_REQUEST_TIMEOUT_SECONDS: timeout of one Azure request.')
param requestTimeoutSeconds int = 60

@minLength(3)
@maxLength(63)
@description('DPGOV_LEDGER_TABLE: the ledger table in the app\'s storage account (created here).')
param ledgerTable string = 'dpgovledger'

@description('DPGOV_RECONCILE_SCHEDULE: NCRONTAB (six fields) of the reconcile timer.')
param reconcileSchedule string = '0 */30 * * * *'

@minLength(3)
@maxLength(56)
@description('DPGOV_RECONCILE_QUEUE: the estate fan-out\'s queue (one message per landing zone); its poison queue is <name>-poison (both created here).')
param reconcileQueue string = 'dpgov-reconcile'

@minLength(3)
@maxLength(63)
@description('DPGOV_RUNS_TABLE: the estate fan-out\'s runs table (progress and zone reports; created here).')
param runsTable string = 'dpgovruns'

@description('Resource id of the Microsoft Purview account. Empty: the Purview aspect is off.')
param purviewAccountResourceId string = ''

@description('DPGOV_UNIFIED_CATALOG_ENDPOINT: the Unified Catalog API (preview), e.g. https://api.purview-service.microsoft.com. Empty: the catalog aspect is off.')
param unifiedCatalogEndpoint string = ''

@description('DPGOV_UNIFIED_CATALOG_API_VERSION: the Unified Catalog api-version the app sends.')
param unifiedCatalogApiVersion string = '2026-03-20-preview'

@description('DPGOV_UNIFIED_CATALOG_RATE_LIMIT: requests per seconds the app paces itself to (REQUESTS/SECONDS).')
param unifiedCatalogRateLimit string = '100/20'

@description('DPGOV_OUTCOME_TOPIC_ENDPOINT: an Event Grid custom topic (CloudEvents 1.0) the platform team supplies for outcome events, https://<topic>.<region>-1.eventgrid.azure.net/api/events; the app identity needs EventGrid Data Sender on it. Empty (and createOutcomeTopic false): no outcome events.')
param outcomeTopicEndpoint string = ''

@description('Create the outcome events\' custom topic in the app\'s resource group, with the app identity as EventGrid Data Sender (outcomeTopicEndpoint is then ignored).')
param createOutcomeTopic bool = false

@description('Give the Purview account\'s managed identity Reader on each landing-zone subscription (to register subscriptions as sources).')
param purviewReaderOnLandingZones bool = false

@allowed([
  'Standard_ZRS'
  'Standard_LRS'
  'Standard_GZRS'
])
@description('SKU of the app\'s storage account (host state, package, ledger, dead letters). Regions without availability zones need Standard_LRS.')
param storageSku string = 'Standard_ZRS'

@minValue(1)
@maxValue(1000)
@description('Flex Consumption: most instances the app scales out to (each runs its own reconciles against ARM).')
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
@description('Flex Consumption: memory of one instance.')
param instanceMemoryMB int = 2048

@minValue(30)
@maxValue(730)
@description('Log Analytics retention in days.')
param logRetentionDays int = 30

// Written by the preprovision hook (python -m infra.scripts.governance_params) from governance.yaml:
// the landing zones and the ABAC condition of the app's role-assignment rights. Never edited by hand,
// never committed, so the deployed grants cannot drift from the config the app runs with.
var governance = loadJsonContent('governance.generated.json')
var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = '${abbrs.webSitesFunctions}dpgov-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
var deadLetterContainerName = 'eventgrid-deadletter'
var eventsGroupName = '${abbrs.resourcesResourceGroups}dpgov-events-${environmentName}'
var systemTopicName = '${abbrs.eventGridSystemTopics}dpgov-${environmentName}'
var purviewParts = split(purviewAccountResourceId, '/')
var purviewEnabled = !empty(purviewAccountResourceId)
var purviewAccountName = purviewEnabled ? last(purviewParts) : ''

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The app's one identity: ARM, the ledger, host storage, Application Insights and Purview.
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}dpgov-${resourceToken}'
    location: location
    tags: tags
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.7.0' = {
  name: 'logAnalytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: logRetentionDays
  }
}

// Entra authentication only: the app sends telemetry with its identity (Monitoring Metrics Publisher).
module monitoring 'br/public:avm/res/insights/component:0.4.1' = {
  name: 'monitoring'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}dpgov${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    ledgerTable: ledgerTable
    reconcileQueue: reconcileQueue
    runsTable: runsTable
    skuName: storageSku
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'plan'
  scope: rg
  params: {
    name: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
  }
}

// Outcome events (README, "Outcome events"): a topic of the app's own, when asked for.
module outcomeTopic 'app/outcome-topic.bicep' = if (createOutcomeTopic) {
  name: 'outcomeTopic'
  scope: rg
  params: {
    name: '${abbrs.eventGridTopics}dpgov-${resourceToken}'
    location: location
    tags: tags
    appPrincipalId: identity.outputs.principalId
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.resourceId
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    identityPrincipalId: identity.outputs.principalId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    maxConcurrency: maxConcurrency
    maxWritesPerSubscription: maxWritesPerSubscription
    coalesceWindowMs: coalesceWindowMs
    resourceGraphMinZones: resourceGraphMinZones
    maxGroupsInFlight: maxGroupsInFlight
    requestTimeoutSeconds: requestTimeoutSeconds
    ledgerTable: ledgerTable
    reconcileSchedule: reconcileSchedule
    reconcileQueue: reconcileQueue
    runsTable: runsTable
    purviewAccountResourceId: purviewAccountResourceId
    unifiedCatalogEndpoint: unifiedCatalogEndpoint
    unifiedCatalogApiVersion: unifiedCatalogApiVersion
    unifiedCatalogRateLimit: unifiedCatalogRateLimit
    outcomeTopicEndpoint: createOutcomeTopic ? outcomeTopic.outputs.endpoint : outcomeTopicEndpoint
  }
}

// The app's grants in its own resource group: host storage, the ledger table, telemetry.
module appAccess 'app/app-access.bicep' = {
  name: 'appAccess'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: principalId
    storageAccountName: storage.outputs.name
    ledgerTable: ledgerTable
    reconcileQueue: reconcileQueue
    runsTable: runsTable
    deadLetterContainerName: deadLetterContainerName
    applicationInsightsName: monitoring.outputs.name
  }
}

module workbook 'app/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    environmentName: environmentName
    applicationInsightsId: monitoring.outputs.resourceId
  }
}

// Purview: the app reads the account (its managed identity's principal id) through ARM.
module purviewAccess 'app/purview-access.bicep' = if (purviewEnabled) {
  name: 'purviewAccess'
  scope: resourceGroup(purviewEnabled ? purviewParts[2] : subscription().subscriptionId, purviewEnabled ? purviewParts[4] : rg.name)
  params: {
    accountName: purviewAccountName
    appPrincipalId: identity.outputs.principalId
  }
}

// Per landing zone (from governance.yaml): the app's role assignments, the governance group and its
// system topic on the subscription.
module landingZones 'app/landing-zone.bicep' = [for zone in governance.landingZones: {
  name: take('dpgov-${environmentName}-${zone.name}', 64)
  scope: subscription(zone.subscriptionId)
  params: {
    environmentName: environmentName
    location: location
    tags: tags
    eventsGroupName: eventsGroupName
    systemTopicName: systemTopicName
    appPrincipalId: identity.outputs.principalId
    rbacCondition: governance.rbacCondition
    purviewPrincipalId: purviewEnabled && purviewReaderOnLandingZones ? purviewAccess.outputs.principalId : ''
  }
}]

// Each system topic's identity writes that landing zone's undeliverable events to the dead-letter container.
module deadLetterWriters 'app/dead-letter-writer.bicep' = [for (zone, i) in governance.landingZones: {
  name: take('deadLetterWriter-${zone.name}', 64)
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    containerName: deadLetterContainerName
    topicPrincipalId: landingZones[i].outputs.topicPrincipalId
  }
}]

// After the code is deployed (the postdeploy hook), each topic delivers to on_resource_event.
module events 'app/events.bicep' = [for (zone, i) in governance.landingZones: if (eventSubscriptions) {
  name: take('dpgov-${environmentName}-events-${zone.name}', 64)
  scope: resourceGroup(zone.subscriptionId, eventsGroupName)
  params: {
    systemTopicName: systemTopicName
    functionAppId: api.outputs.id
    deadLetterStorageAccountId: storage.outputs.id
    deadLetterContainerName: deadLetterContainerName
  }
  // The topic's identity must hold its dead-letter grant before the subscription names it.
  dependsOn: [
    deadLetterWriters[i]
  ]
}]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output DPGOV_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output DPGOV_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output DPGOV_STORAGE_ACCOUNT string = storage.outputs.name
output DPGOV_DEADLETTER_BLOB_URI string = '${storage.outputs.blobEndpoint}${deadLetterContainerName}'
output DPGOV_PURVIEW_ENDPOINT string = api.outputs.purviewEndpoint
