"""Legacy REST dialects served over the GraphQL schema: BlueKing ESB now; OpenC3 and Huawei later.

Example (in the app factory):
    app = Starlette(routes=[*rest_routes(), Route("/graphql", graphql_app)])
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from opsgraph.compat_rest.bk import bk_routes


def rest_routes() -> list[BaseRoute]:
    """Every legacy REST route. Each dialect owns a distinct path prefix, so order between them
    does not matter; openc3 (`/api/job|agent|connector/`) and huawei (`/v3/…`, `/v5/…`) join here."""
    return [*bk_routes()]
