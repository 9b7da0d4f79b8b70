"""BlueKing ESB compatibility: `/api/c/compapi[/v2]/{system}/{api}/` served from a route table.

Endpoint authors declare rows in `bk/<system>/<group>.py` (see `routes.py` for an example) with:
`BK_ROUTES`, `BkRoute`, `Params`, `BkReply`, and for multi-operation handlers `run_operation`,
`load_operation` and `raise_user_errors` from `opsgraph.compat_rest.execute`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from opsgraph.compat_rest.bk.dispatch import ANY_METHOD, make_dispatcher, make_fixed_endpoint, unknown_path
from opsgraph.compat_rest.bk.envelope import BkReply
from opsgraph.compat_rest.bk.openapi import make_openapi_endpoint, openapi_document
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.bk.routes import BK_ROUTES, BkRoute, BkRouteTable, load_route_modules
from opsgraph.compat_rest.paths import ANY_PATH

__all__ = ["BK_ROUTES", "BkReply", "BkRoute", "BkRouteTable", "Params", "bk_routes", "openapi_document"]

PREFIX = "/api/c/compapi"


def bk_routes(table: BkRouteTable | None = None) -> list[BaseRoute]:
    """Starlette routes for the table (default: every row found under `bk/<system>/`)."""
    if table is None:
        load_route_modules()
        table = BK_ROUTES
    dispatch = make_dispatcher(table)
    # Declared explicitly rather than via redirect_slashes: a redirect would make bk clients
    # re-send the POST, and the v1 layout has no version segment to redirect from.
    layouts = [
        ("v2", f"{PREFIX}/v2/{{system}}/{{api}}/"),
        ("v2_noslash", f"{PREFIX}/v2/{{system}}/{{api}}"),
        ("v1", f"{PREFIX}/{{system}}/{{api}}/"),
        ("v1_noslash", f"{PREFIX}/{{system}}/{{api}}"),
    ]
    public_keys = make_fixed_endpoint(dispatch, "encrypt_rsa", "fetch_public_keys")
    return [
        # bk-nodeman's own path for its RSA public keys, outside the ESB prefix.
        *(
            Route(path, public_keys, methods=ANY_METHOD, name=f"bk_encrypt_rsa{suffix}")
            for path, suffix in [
                ("/api/encrypt_rsa/fetch_public_keys/", ""),
                ("/api/encrypt_rsa/fetch_public_keys", "_noslash"),
            ]
        ),
        # Before the layouts: "openapi.json" is a single segment, so it never meets {system}/{api}.
        Route(f"{PREFIX}/openapi.json", make_openapi_endpoint(table), methods=["GET"], name="bk_openapi"),
        *(Route(path, dispatch, methods=ANY_METHOD, name=f"bk_{name}") for name, path in layouts),
        Route(f"{PREFIX}/{{rest:{ANY_PATH}}}", unknown_path, methods=ANY_METHOD, name="bk_unknown"),
    ]
