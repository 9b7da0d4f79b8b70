"""Subscriptions (graphql-transport-ws only)."""
