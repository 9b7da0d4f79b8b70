"""Per-request bookkeeping: a request id bound for the logs (and the BlueKing envelope's
`request_id`), and the request counted and timed by dialect in the Prometheus metrics.

A client's `X-Request-Id` is kept when it is a plain token (letters, digits, `-`, `_`, `.`; at
most 64 characters), otherwise a fresh one is made; the answer carries it back in `X-Request-Id`.
"""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opsgraph.core.log_context import bind_request_id, reset_request_id
from opsgraph.core.metrics import GRAPHQL_SECONDS, HTTP_REQUESTS, HTTP_SECONDS, dialect_of

_TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _client_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _TOKEN.match(text) else ""
    return ""


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        request_id = _client_request_id(scope) or uuid.uuid4().hex
        token = bind_request_id(request_id)
        if scope["type"] == "websocket":
            try:
                await self.app(scope, receive, send)
            finally:
                reset_request_id(token)
            return
        dialect = dialect_of(scope.get("path", ""))
        started = time.perf_counter()
        status = 500

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            elapsed = time.perf_counter() - started
            HTTP_REQUESTS.labels(dialect, str(status)).inc()
            HTTP_SECONDS.labels(dialect).observe(elapsed)
            if dialect == "graphql" and scope.get("method") == "POST":
                GRAPHQL_SECONDS.observe(elapsed)
            reset_request_id(token)
