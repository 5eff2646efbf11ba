// The operations workbook (infra/workbook.json) over the app's Application Insights: products governed,
// conditions by aspect, events handled, failures. It reads the app's own log lines (functions/).
param location string
param tags object
param environmentName string
param applicationInsightsId string

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, environmentName, 'dpgov-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'dpgov ${environmentName}: data-product governance'
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: applicationInsightsId
    serializedData: replace(loadTextContent('../workbook.json'), '__APPLICATION_INSIGHTS_ID__', applicationInsightsId)
  }
}

output id string = workbook.id
