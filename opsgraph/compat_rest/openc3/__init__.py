"""OpenC3 compatibility: `/api/job/…`, `/api/agent/…`, `/api/connector/…` served from a route table.

Endpoint authors add a module under `openc3/<module>/` (see `routes.py` for an example row) using
`C3_ROUTES`, `C3Request`, `C3Caller`, `C3Reply`, `checks` and `run_operation` / `load_operation` /
`raise_user_errors` from `opsgraph.compat_rest.execute`. Authentication (cookie or appname/appkey),
the body cap and the `{stat, info, data}` envelope are the dispatcher's.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from opsgraph.compat_rest.openc3.auth import C3Caller
from opsgraph.compat_rest.openc3.dispatch import ANY_METHOD, make_dispatcher
from opsgraph.compat_rest.openc3.envelope import C3Reply
from opsgraph.compat_rest.openc3.openapi import PATH as OPENAPI_PATH
from opsgraph.compat_rest.openc3.openapi import make_openapi_endpoint
from opsgraph.compat_rest.openc3.request import C3Request
from opsgraph.compat_rest.openc3.routes import C3_ROUTES, MODULES, C3Route, C3RouteTable, load_route_modules
from opsgraph.compat_rest.paths import ANY_PATH

__all__ = ["C3_ROUTES", "C3Caller", "C3Reply", "C3Request", "C3Route", "C3RouteTable", "openc3_routes"]


def openc3_routes(table: C3RouteTable | None = None) -> list[BaseRoute]:
    """One Starlette route per module prefix: the table decides, and answers unknown paths in the
    envelope; and the dialect's OpenAPI document. (`POST /api/agent/heartbeat` is the agents' own
    route, mounted before these.)"""
    if table is None:
        load_route_modules()
        table = C3_ROUTES
    from opsgraph.compat_rest.openc3.websockets import websocket_routes

    return [
        Route(OPENAPI_PATH, make_openapi_endpoint(table), methods=["GET"], name="openc3_openapi"),
        *websocket_routes(),
        *(
            Route(
                f"/api/{module}/{{rest:{ANY_PATH}}}",
                make_dispatcher(table, module),
                methods=ANY_METHOD,
                name=f"openc3_{module}",
            )
            for module in MODULES
        ),
    ]
