"""OpenC3 `/api/connector` endpoints: one module per resource group, with its stored operations."""
