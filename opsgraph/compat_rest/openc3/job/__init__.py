"""OpenC3 `/api/job` endpoints: one module per resource group, with its stored operations."""
