"""The OpenC3 dispatcher: `/api/<module>/<path>` → a route table row, in upstream's order.

1. the row for method + path (a literal segment beats a parameter); an unknown path is HTTP 404
   and a known path under another method 405, both in the envelope;
2. the body, read once and capped (`max_body_bytes`);
3. authentication, unless the row is public: failing it is `{stat: false, code: 10000}`;
4. the handler. Our errors become HTTP 200 `{stat: false, info}` (a client's mistake is never a
   500); anything unexpected is HTTP 500 `{stat: false, info: "internal error …"}`, never a
   traceback. Every answer carries upstream's CORS header for `u, appkey, appname`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from opsgraph.compat_rest.openc3.auth import authenticate
from opsgraph.compat_rest.openc3.envelope import not_logged_in_body, refused_body, success_body
from opsgraph.compat_rest.openc3.request import C3Request, parse_query
from opsgraph.compat_rest.openc3.routes import C3Route, C3RouteTable
from opsgraph.core.errors import AuthenticationError, OpsGraphError, PermissionDenied
from opsgraph.core.request_body import read_capped_body, request_settings

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CORS_HEADERS = {"Access-Control-Allow-Headers": "u,appkey,appname"}


def answer(body: dict[str, object], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=CORS_HEADERS)


def refusal(exc: OpsGraphError) -> JSONResponse:
    """Not logged in: `code: 10000`; a missing permission: upstream's "Unauthorized"; else the reason.

    Errors that crossed a GraphQL operation arrive as plain OpsGraphErrors with their code."""
    if isinstance(exc, AuthenticationError) or exc.code == AuthenticationError.code:
        return answer(not_logged_in_body(exc.message))
    if (isinstance(exc, PermissionDenied) or exc.code == PermissionDenied.code) and not exc.message.startswith(
        "Unauthorized"
    ):
        return answer(refused_body(f"Unauthorized: {exc.message}"))
    return answer(refused_body(exc.message))


def make_dispatcher(table: C3RouteTable, module: str) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        path = "/" + request.path_params.get("rest", "")
        if method == "OPTIONS":  # a browser's preflight: upstream answers it with the CORS header
            return Response(status_code=200, headers=CORS_HEADERS)
        found = table.resolve(module, method, path)
        if found is None:
            return answer(refused_body(f"no such OpenC3 path: {request.method} /api/{module}{path}"), 404)
        if found is False:
            return answer(refused_body(f"/api/{module}{path} does not accept {request.method}"), 405)
        assert not isinstance(found, bool)
        route, params = found
        try:
            return await _serve(route, params, request)
        except OpsGraphError as exc:
            log.debug("openc3 %s %s refused: %s %s", route.method, route.path, exc.code, exc.message)
            return refusal(exc)
        except ClientDisconnect:
            return Response(status_code=400)
        except Exception:
            reference = uuid.uuid4().hex[:12]
            log.exception("openc3 %s %s failed (reference %s)", route.method, route.path, reference)
            return answer(refused_body(f"internal error (reference {reference})"), 500)

    return dispatch


async def _serve(route: C3Route, params: dict[str, str], request: Request) -> Response:
    settings = request_settings(request)
    c3_request = C3Request(
        method=request.method,
        path=request.url.path,
        path_params=params,
        query=parse_query(request.scope.get("query_string", b"")),
        headers=request.headers,
        cookies=request.cookies,
        body=await read_capped_body(request, settings.max_body_bytes),
    )
    caller = await authenticate(
        c3_request, settings, required=not route.public, allow_token_header=route.path == "/connectorx/sso/userinfo"
    )
    result = await route.handler(c3_request, caller, settings)
    if isinstance(result, Response):
        result.headers.update(CORS_HEADERS)
        return result
    # Rendered here, inside the caller's try: data that cannot be JSON is an internal failure.
    return answer(success_body(result))
