"""The service tree: our topology (business → set → module) seen the way OpenC3 sees its tree.

Every node has a stable numeric tree id (`ids.py`), a dotted path (`a.b.c`), and a level for the
caller (`access.py`: 0 read, 1 control, 2 write/delete, 3 root ↔ viewer, operator, maintainer,
superuser). The OpenC3 dialect (compat_rest/openc3) addresses everything through these ids; the
resolvers here check the level on the node and its ancestors (roles live on the business, so the
business decides) and then act through the domain resolvers (jobs, tasks, tickets, messaging…).
"""
