"""Huawei Cloud compatibility (CES, HSS): `/v<N>/{project_id}/…` served from a route table.

Endpoint authors add a module under `huawei/<service>/` (see `routes.py` for an example row) using
`HUAWEI_ROUTES`, `HuaweiRequest`, `HuaweiCaller`, and `run_operation` / `load_operation` /
`raise_user_errors` from `opsgraph.compat_rest.execute`. Authentication (AK/SK signature or
X-Auth-Token), the project check, the body cap and the error envelope are the dispatcher's.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from opsgraph.compat_rest.huawei.auth import HuaweiCaller
from opsgraph.compat_rest.huawei.dispatch import ANY_METHOD, make_dispatcher
from opsgraph.compat_rest.huawei.openapi import PATH as OPENAPI_PATH
from opsgraph.compat_rest.huawei.openapi import make_openapi_endpoint
from opsgraph.compat_rest.huawei.request import FormFile, HuaweiRequest
from opsgraph.compat_rest.huawei.routes import HUAWEI_ROUTES, HuaweiRoute, HuaweiRouteTable, load_route_modules
from opsgraph.compat_rest.paths import ANY_PATH

__all__ = [
    "HUAWEI_ROUTES",
    "FormFile",
    "HuaweiCaller",
    "HuaweiRequest",
    "HuaweiRoute",
    "HuaweiRouteTable",
    "huawei_routes",
]


def huawei_routes(table: HuaweiRouteTable | None = None) -> list[BaseRoute]:
    """One Starlette route for every `/v<N>/…` path: the table decides, and answers unknown ones
    with the gateway's 404 envelope (a plain Starlette 404 would not be JSON); and the dialect's
    OpenAPI document, outside the versioned paths (a `/v<N>/` path is always an API)."""
    if table is None:
        load_route_modules()
        table = HUAWEI_ROUTES
    return [
        Route(OPENAPI_PATH, make_openapi_endpoint(table), methods=["GET"], name="huawei_openapi"),
        Route(f"/v{{version:int}}/{{rest:{ANY_PATH}}}", make_dispatcher(table), methods=ANY_METHOD, name="huawei"),
    ]
