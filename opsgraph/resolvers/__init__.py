"""The operations behind the graph: queries, domain actions, per-request DataLoaders.

No strawberry types here; the schema layer wraps these.
"""
