"""OpsGraph: one GraphQL API over an operations estate."""

__version__ = "0.1.0"
