"""The alarm ingestion webhook: `POST /api/monitor/alarms` (see resolvers.monitoring.ingest_webhook).

External systems are not API users: they hold an ingestion token of one business, so this route
sits beside /graphql. 401 `{"error"}` for a missing or unknown token, 400 `{"error", "field"}` for a
bad body (nothing stored), 200 `{"result": [...]}` with one outcome per alarm.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from opsgraph.core.errors import AuthenticationError, ValidationFailed
from opsgraph.core.request_body import BodyTooLarge, read_capped_body
from opsgraph.resolvers.monitoring.ingest_webhook import authenticate_source, ingest

INGEST_PATH = "/api/monitor/alarms"
MAX_BODY_BYTES = 1024 * 1024


async def ingest_alarms(request: Request) -> JSONResponse:
    try:
        source = await authenticate_source(request.headers.get("authorization"))
    except AuthenticationError as exc:
        return JSONResponse({"error": exc.message}, status_code=401)
    try:
        body = await read_capped_body(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        return JSONResponse({"error": f"the body is larger than {MAX_BODY_BYTES} bytes"}, status_code=413)
    try:
        payload = json.loads(body or b"null")
    except (ValueError, RecursionError):
        return JSONResponse({"error": "the body is not JSON"}, status_code=400)
    try:
        results = await ingest(source, payload)
    except ValidationFailed as exc:
        return JSONResponse({"error": exc.message, "field": exc.field}, status_code=400)
    return JSONResponse({"result": results})


def monitoring_routes() -> list[BaseRoute]:
    return [Route(INGEST_PATH, ingest_alarms, methods=["POST"])]
