// The event subscription from a landing zone's system topic to the on_resource_event function.
// Created only once the code is deployed (main.bicep's eventSubscriptions flag, turned on by the
// postdeploy hook): Azure checks that the function exists and has an Event Grid trigger.
param systemTopicName string
param functionAppId string
param deadLetterStorageAccountId string
param deadLetterContainerName string

@description('The Event Grid-triggered function (functions/events.py).')
param functionName string = 'on_resource_event'

// Exactly the operations the function acts on (shared/events.py, and the store and ML workspace types of
// shared/aspects/purview.py and shared/aspects/rbac.py): tests/infra/test_event_filter.py compares them.
// Event Grid allows 25 advanced-filter values per subscription, across all its filters.
var operationNames = [
  'Microsoft.Resources/subscriptions/resourceGroups/write'
  'Microsoft.Resources/subscriptions/resourceGroups/delete'
  'Microsoft.Resources/tags/write'
  'Microsoft.Resources/tags/delete'
  'Microsoft.Authorization/roleAssignments/write'
  'Microsoft.Authorization/roleAssignments/delete'
  'Microsoft.Authorization/policyAssignments/write'
  'Microsoft.Authorization/policyAssignments/delete'
  'Microsoft.Storage/storageAccounts/write'
  'Microsoft.Storage/storageAccounts/delete'
  'Microsoft.Sql/servers/write'
  'Microsoft.Sql/servers/delete'
  'Microsoft.DBforMySQL/flexibleServers/write'
  'Microsoft.DBforMySQL/flexibleServers/delete'
  'Microsoft.DBforPostgreSQL/flexibleServers/write'
  'Microsoft.DBforPostgreSQL/flexibleServers/delete'
  'Microsoft.DocumentDB/databaseAccounts/write'
  'Microsoft.DocumentDB/databaseAccounts/delete'
  'Microsoft.Synapse/workspaces/write'
  'Microsoft.Synapse/workspaces/delete'
  'Microsoft.Kusto/clusters/write'
  'Microsoft.Kusto/clusters/delete'
  'Microsoft.MachineLearningServices/workspaces/write'
  'Microsoft.MachineLearningServices/workspaces/delete'
]

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource toFunction 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'dpgov-resource-events'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionAppId}/functions/${functionName}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceDeleteSuccess'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: operationNames
        }
      ]
    }
    // Event Grid's most patient policy: then the event goes to the dead-letter container.
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output name string = toFunction.name
