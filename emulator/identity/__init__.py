"""Managed identity: the token issuer and the App Service managed-identity endpoint."""
