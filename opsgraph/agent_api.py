"""The HTTP side of the agent protocol: `POST /api/agent/heartbeat`.

Agents are not API users: they authenticate with their per-host signature, never with a login or an
app credential, so this route sits beside /graphql rather than in a compat dialect. Any refusal is
401 `{"error": …}`; success is 200 `{"ok": true, "interval": n}` (the agent adopts the interval), plus `"checks": [...]`
for a host that is an uptime node: the probes it runs (resolvers.monitoring.uptime.checks_for_host).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from opsgraph.agent import HEARTBEAT_PATH, SIGNATURE_HEADER
from opsgraph.core.request_body import BodyTooLarge, read_capped_body
from opsgraph.core.settings import Settings
from opsgraph.resolvers.agents.heartbeat import MAX_BODY_BYTES, HeartbeatRefused, parse_header, record_heartbeat
from opsgraph.resolvers.monitoring.uptime import checks_for_host


async def heartbeat(request: Request) -> JSONResponse:
    settings: Settings = request.app.state.settings
    try:
        try:
            body = await read_capped_body(request, MAX_BODY_BYTES)
        except BodyTooLarge as exc:
            raise HeartbeatRefused("the body is too large") from exc
        header = request.headers.get(SIGNATURE_HEADER)
        interval = await record_heartbeat(header, body, settings)
    except HeartbeatRefused as exc:
        return JSONResponse({"error": exc.message}, status_code=401)
    answer: dict[str, object] = {"ok": True, "interval": interval}
    checks = await checks_for_host(parse_header(header).host_id)
    if checks:  # only hosts that are uptime nodes get (and need) the key
        answer["checks"] = checks
    return JSONResponse(answer)


def agent_routes() -> list[BaseRoute]:
    return [Route(HEARTBEAT_PATH, heartbeat, methods=["POST"])]
