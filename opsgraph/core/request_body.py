"""What every route needs from a request before its own dialect takes over: the body, read no further
than a cap, the settings of the app serving it, and whether a WebSocket comes from our own pages.

Each route family maps `BodyTooLarge` to its own dialect (GraphQL 413, BlueKing envelope, Huawei
`error_code`, OpenC3 `stat: false`, the agents' 401).

Example:
    body = await read_capped_body(request, request_settings(request).max_body_bytes)
"""

from __future__ import annotations

from starlette.requests import HTTPConnection, Request

from opsgraph.core.errors import LimitExceeded
from opsgraph.core.settings import Settings, get_settings


class BodyTooLarge(LimitExceeded):
    code = "BODY_TOO_LARGE"

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"request body is larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


async def read_capped_body(request: Request, max_bytes: int) -> bytes:
    """The body; refused from `Content-Length` before reading, or as soon as the bytes pass the cap."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def request_settings(connection: HTTPConnection) -> Settings:
    """The settings of the app serving `connection` (HTTP or WebSocket); the environment's otherwise."""
    settings = getattr(getattr(connection.scope.get("app"), "state", None), "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def is_same_origin(connection: HTTPConnection) -> bool:
    """Whether a login cookie on this connection may be trusted: browsers send cookies on cross-site
    WebSockets too, so only a page of ours (Origin equal to Host) may ride on one; a client without
    an Origin is not a browser and chose to send the cookie itself."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    return origin.split("://", 1)[-1].rstrip("/") == connection.headers.get("host", "")
