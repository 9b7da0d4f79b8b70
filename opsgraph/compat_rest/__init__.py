"""Legacy REST dialects served over the GraphQL schema: BlueKing ESB and Huawei Cloud now; OpenC3 later.

Example (in the app factory):
    app = Starlette(routes=[*rest_routes(), Route("/graphql", graphql_app)])
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from opsgraph.compat_rest.bk import bk_routes
from opsgraph.compat_rest.huawei import huawei_routes
from opsgraph.compat_rest.openc3 import openc3_routes


def rest_routes() -> list[BaseRoute]:
    """Every legacy REST route. Each dialect owns a distinct path prefix, so order between them
    does not matter: bk `/api/c/compapi/…`, huawei `/v<N>/…`, openc3 `/api/job|agent|connector/…`."""
    return [*bk_routes(), *huawei_routes(), *openc3_routes()]
