"""Event Grid: the subscription system topic's events and the publisher that delivers them to webhooks."""
