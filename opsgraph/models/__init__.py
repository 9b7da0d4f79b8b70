"""Tortoise models, one module per domain. No GraphQL imports here."""
