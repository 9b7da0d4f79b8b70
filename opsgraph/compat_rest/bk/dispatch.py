"""The BlueKing ESB dispatcher: `/api/c/compapi[/v2]/{system}/{api}[/]` → a route table row.

Status codes: refused requests (bad input, bad credentials, no permission, wrong method) are
HTTP 200 with `result: false`, because bk clients raise on any status ≥ 400 and read only the
body. Two exceptions: an unknown api is HTTP 404 (as ESB answers it; a mistyped path should fail
loudly instead of looking like a business refusal) and a genuine internal failure is HTTP 500.
Both still carry the JSON envelope, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from opsgraph.compat_rest.bk.credentials import (
    AUTHORIZATION_HEADER,
    TOKEN_COOKIE,
    authenticate,
    extract_credentials,
    strip_credentials,
)
from opsgraph.compat_rest.bk.envelope import (
    EnvelopeStyle,
    envelope_response,
    error_body,
    new_request_id,
    success_body,
    system_busy_body,
)
from opsgraph.compat_rest.bk.error_codes import SYSTEM_BUSY, bk_code_for
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.bk.request_body import read_raw_params
from opsgraph.compat_rest.bk.routes import BkRoute, BkRouteTable
from opsgraph.core.errors import OpsGraphError
from opsgraph.core.request_body import request_settings

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]

# Every method reaches the dispatcher, so a wrong one is answered in the envelope, not by Starlette.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def make_dispatcher(table: BkRouteTable) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        request_id = new_request_id()
        system = request.path_params["system"]
        api = request.path_params["api"]
        route = table.get(system, api)
        if route is None:
            return api_not_found(request_id, f"{system}/{api}")
        try:
            return await _serve(route, request, request_id)
        except OpsGraphError as exc:
            return _refused(exc, route, request_id)
        except Exception:
            logger.exception("bk %s.%s failed (request %s)", system, api, request_id)
            return _busy(route.envelope, request_id)

    return dispatch


def make_fixed_endpoint(dispatch: Endpoint, system: str, api: str) -> Endpoint:
    """`dispatch` for one row, for an endpoint served on a path of its own."""

    async def endpoint(request: Request) -> Response:
        request.scope["path_params"] = {"system": system, "api": api}
        return await dispatch(request)

    return endpoint


async def unknown_path(request: Request) -> Response:
    """Anything under /api/c/compapi/ that is not {system}/{api}."""
    return api_not_found(new_request_id(), request.url.path)


def api_not_found(request_id: str, what: str) -> Response:
    error = OpsGraphError(f"api not found: {what}", code="API_NOT_FOUND")
    return envelope_response(
        error_body(error, style="code", request_id=request_id), request_id=request_id, status_code=404
    )


async def _serve(route: BkRoute, request: Request, request_id: str) -> Response:
    method = "GET" if request.method == "HEAD" else request.method
    if method not in route.methods:
        allowed = ", ".join(sorted(route.methods))
        raise OpsGraphError(
            f"{route.system}.{route.name} accepts {allowed}, not {request.method}", code="METHOD_NOT_ALLOWED"
        )
    settings = request_settings(request)
    raw = await read_raw_params(request, max_bytes=settings.max_body_bytes)
    credentials = extract_credentials(
        header=request.headers.get(AUTHORIZATION_HEADER),
        body=raw.body,
        query=raw.query,
        cookie_token=request.cookies.get(TOKEN_COOKIE),
    )
    params = Params(
        strip_credentials(raw.merged, route.keep_params),
        query_keys=frozenset(raw.query) - frozenset(raw.body),
    )
    principal = await authenticate(credentials, settings)
    data = await route.call(params, principal, settings)
    body = success_body(
        data,
        style=route.envelope,
        request_id=request_id,
        code=route.success_code,
        message=route.success_message,
    )
    # Rendered here, inside the caller's try: data that cannot be JSON is an internal failure.
    return envelope_response(body, request_id=request_id)


def _refused(exc: OpsGraphError, route: BkRoute, request_id: str) -> Response:
    if bk_code_for(exc.code, route.error_codes) == SYSTEM_BUSY:
        logger.error(
            "bk %s.%s internal error (request %s): %s",
            route.system,
            route.name,
            request_id,
            exc.message,
            exc_info=exc,
        )
        return _busy(route.envelope, request_id)
    logger.debug("bk %s.%s refused (request %s): %s %s", route.system, route.name, request_id, exc.code, exc.message)
    return envelope_response(
        error_body(exc, style=route.envelope, request_id=request_id, codes=route.error_codes), request_id=request_id
    )


def _busy(style: EnvelopeStyle, request_id: str) -> Response:
    return envelope_response(
        system_busy_body(style=style, request_id=request_id), request_id=request_id, status_code=500
    )
