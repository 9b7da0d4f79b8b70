"""ITSM tickets: catalogs, services and workflows, tickets and their operations, approvals."""
