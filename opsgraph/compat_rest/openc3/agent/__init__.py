"""OpenC3 `/api/agent` endpoints: one module per resource group, with its stored operations."""
