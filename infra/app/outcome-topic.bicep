// The custom topic the app publishes its outcome events to (CloudEvents 1.0, Entra ID only: no access
// keys), and the app identity's right to publish there: EventGrid Data Sender on this topic alone.
// Deployed when createOutcomeTopic is true; otherwise the platform team supplies a topic (and that
// grant) and passes its endpoint as outcomeTopicEndpoint.
param name string
param location string
param tags object
param appPrincipalId string

var eventGridDataSender = 'd5a91429-5739-47e2-a06b-3470a27159e7'

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  // For subscribers that deliver with the topic's identity (Service Bus, Event Hubs, storage queues).
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    // Publishing by the app's managed identity only; subscribers are the platform team's to add.
    disableLocalAuth: true
    minimumTlsVersionAllowed: '1.2'
    // The Flex Consumption app has no virtual network in this deployment: it reaches the topic publicly.
    publicNetworkAccess: 'Enabled'
  }
}

resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, appPrincipalId, eventGridDataSender)
  scope: topic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventGridDataSender)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    description: 'dpgov: publish outcome events (DPGOV_OUTCOME_TOPIC_ENDPOINT)'
  }
}

output endpoint string = topic.properties.endpoint
