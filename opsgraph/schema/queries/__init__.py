"""Root query fields, one module per domain."""
