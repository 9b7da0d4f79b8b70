"""HTTP surfaces served beside the GraphQL endpoint (the GraphiQL page and its assets)."""
