"""The Huawei Cloud dispatcher: `/v<N>/…` → a route table row, in the gateway's order.

1. unknown method + path → 404 `APIGW.0101` (before authentication, as Huawei's gateway does);
2. the body, read once and capped (12 MiB, the gateway's limit) → 413 `APIGW.0201`;
3. authentication and the project check (`auth.py`) → 401 `APIGW.0301` / 403 `APIGW.0302`;
4. the handler; our errors become the service's `{error_code, error_msg}` (`errors.py`), anything
   unexpected a 500 with a generic message and the request id. Never a traceback.
Every answer carries `X-Request-Id`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from opsgraph.compat_rest.huawei.auth import authenticate
from opsgraph.compat_rest.huawei.errors import (
    REQUEST_ID_HEADER,
    HuaweiError,
    api_not_found,
    bad_request,
    body_too_large,
    error_response,
    internal_error,
    new_request_id,
    service_error,
)
from opsgraph.compat_rest.huawei.request import HuaweiRequest
from opsgraph.compat_rest.huawei.routes import HuaweiRoute, HuaweiRouteTable
from opsgraph.core.errors import OpsGraphError
from opsgraph.core.request_body import BodyTooLarge, read_capped_body, request_settings

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def make_dispatcher(table: HuaweiRouteTable) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        request_id = new_request_id()
        found = table.resolve(request.method, request.url.path)
        if found is None:
            return error_response(api_not_found(f"{request.method} {request.url.path}"), request_id)
        route, path_params = found
        try:
            return await _serve(route, path_params, request, request_id)
        except HuaweiError as exc:
            return error_response(exc, request_id)
        except OpsGraphError as exc:
            refused = service_error(exc, route.service)
            if refused.status >= 500:
                logger.error("huawei %s %s failed (request %s)", route.method, route.path, request_id, exc_info=exc)
            return error_response(refused, request_id)
        except Exception:
            logger.exception("huawei %s %s failed (request %s)", route.method, route.path, request_id)
            return error_response(internal_error(route.service), request_id)

    return dispatch


async def _serve(route: HuaweiRoute, path_params: dict[str, str], request: Request, request_id: str) -> Response:
    settings = request_settings(request)
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    huawei_request = HuaweiRequest(
        method=request.method,
        raw_path=raw_path.decode("utf-8", "replace"),
        path_params=path_params,
        raw_query=request.scope.get("query_string", b"").decode("utf-8", "replace"),
        headers=request.headers,
        body=await _read_body(request, settings.max_body_bytes),
    )
    caller = await authenticate(huawei_request, settings)
    body = await route.handler(huawei_request, caller, settings)
    # Rendered here, inside the caller's try: data that cannot be JSON is an internal failure.
    return JSONResponse(body, status_code=route.status, headers={REQUEST_ID_HEADER: request_id})


async def _read_body(request: Request, max_bytes: int) -> bytes:
    try:
        return await read_capped_body(request, max_bytes)
    except BodyTooLarge as exc:
        raise body_too_large(max_bytes) from exc
    except ClientDisconnect as exc:
        raise bad_request("the client went away while sending the body") from exc
