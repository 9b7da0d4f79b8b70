"""Caps on what a client may send, applied before any route reads a byte of the body.

- Headers larger than `max_header_bytes` in total: 431.
- A declared `Content-Length` over the route family's cap: 413, without reading the body. Bodies
  sent without a length (chunked) are counted by each family's reader as they arrive, against the
  same caps, so nothing past the cap is ever held in memory.
- A client that goes away mid-request is not an error: nothing is logged and nothing is answered.

Refusals speak the dialect of the path: a GraphQL error on /graphql, a BlueKing envelope under
/api/c/compapi/, a Huawei `{error_code, error_msg}` under /v<N>/, OpenC3's `{stat: false, info}` under
/api/job|agent|connector/, `{"error": …}` elsewhere.

Example (in the app factory, outermost so it runs first):
    app.add_middleware(RequestLimits, settings=settings)
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from opsgraph.agent import HEARTBEAT_PATH
from opsgraph.compat_rest.bk.envelope import envelope_body, new_request_id
from opsgraph.compat_rest.bk.error_codes import bk_code_for
from opsgraph.compat_rest.huawei.errors import HuaweiError, error_response
from opsgraph.compat_rest.huawei.routes import VERSIONED_PATH
from opsgraph.core.settings import Settings

GRAPHQL_PATH = "/graphql"
_BK_PREFIXES = ("/api/c/compapi/", "/api/encrypt_rsa/")
_OPENC3_PREFIXES = ("/api/job/", "/api/agent/", "/api/connector/")


def body_cap(path: str, settings: Settings) -> int:
    """The most a request on `path` may carry (the GraphQL view lowers it for anonymous callers)."""
    return settings.max_graphql_body_bytes if path.rstrip("/") == GRAPHQL_PATH else settings.max_body_bytes


def refusal(path: str, status: int, code: str, message: str) -> Response:
    """A limit refusal in the dialect `path` belongs to."""
    if path.rstrip("/") == GRAPHQL_PATH:
        return JSONResponse({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}, status)
    if path.startswith(_BK_PREFIXES):
        request_id = new_request_id()
        body = envelope_body(
            "code", result=False, code=bk_code_for(code), message=message, data=None, request_id=request_id
        )
        return JSONResponse(body, status, headers={"X-Bkapi-Request-Id": request_id})
    if VERSIONED_PATH.match(path):
        return error_response(HuaweiError(status, "APIGW.0201", f"API request error: {message}"), new_request_id())
    if path.startswith(_OPENC3_PREFIXES) and path != HEARTBEAT_PATH:  # the agents' heartbeat is not OpenC3
        return JSONResponse({"stat": False, "info": message}, status)
    return JSONResponse({"error": message}, status)


class RequestLimits:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        header_bytes = sum(len(name) + len(value) for name, value in headers)
        if header_bytes > self.settings.max_header_bytes:
            if scope["type"] == "http":
                limit = self.settings.max_header_bytes
                message = f"request headers are larger than {limit} bytes"
                await refusal(path, 431, "HEADERS_TOO_LARGE", message)(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1009})
            return
        if scope["type"] == "http":
            cap = body_cap(path, self.settings)
            declared = _content_length(headers)
            if declared is not None and declared > cap:
                message = f"request body is larger than {cap} bytes"
                await refusal(path, 413, "BODY_TOO_LARGE", message)(scope, receive, send)
                return
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            return  # the client left: there is nobody to answer and nothing to report


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
