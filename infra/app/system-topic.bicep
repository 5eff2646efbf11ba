// The landing-zone subscription's system topic: its resource events, with a system-assigned identity
// that dead-letters what cannot be delivered. Azure allows one system topic per subscription, and a
// subscription's topic is global.
param name string
param tags object

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: 'global'
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

output name string = topic.name
output principalId string = topic.identity.principalId
