"""`/cmd/:treeid`: the web terminal. Over HTTP, `GET /cmd/:treeid` says where its WebSocket is
(upstream redirects to its terminal page); the terminal itself is the WebSocket on the same path
(compat_rest/openc3/websockets.py). `GET /cmd/:treeid/log` searches the lines typed there."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import date_param, fail, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time, tree_business
from opsgraph.core.settings import Settings

NODES = re.compile(r"^[a-zA-Z0-9_\-\., ]+$")
SUDO = re.compile(r"^[a-zA-Z0-9_\-]{1,64}$")


@C3_ROUTES.route("job", "GET", "/cmd/:treeid")
async def terminal(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """Where to open the terminal on `node` (comma-separated) as `sudo`: a WebSocket URL."""
    tree = tree_id(request)
    await tree_business(tree, caller.principal, settings)
    nodes = text(request, "node", required=True, pattern=NODES, max_length=8192)
    sudo = text(request, "sudo", pattern=SUDO)
    query = {"node": nodes, **({"sudo": sudo} if sudo else {}), **({"bash": "1"} if text(request, "bash") else {})}
    if "," in nodes and text(request, "bash"):
        raise fail("bash", "bash opens one machine: name a single node")
    return {"ws": f"/api/job/cmd/{tree}?{urlencode(query)}", "siteaddr": text(request, "siteaddr")}


@C3_ROUTES.route("job", "GET", "/cmd/:treeid/log")
async def log(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Lines typed in the node's terminals: user, node, usr, cmd contain; dates inclusive."""
    spec: dict[str, Any] = {key: text(request, key, max_length=256) or None for key in ("user", "node", "usr", "cmd")}
    for key, name in (("time_start", "timeStart"), ("time_end", "timeEnd")):
        if (day := date_param(request, key)) is not None:
            spec[name] = day.isoformat()
    variables = {"treeId": tree_id(request), "filter": spec}
    data = await run_operation(load_operation(__name__, "terminal_log.graphql"), variables, caller.principal, settings)
    return [
        {**{k: row[k] for k in ("id", "user", "node", "usr", "cmd")}, "time": c3_time(row["createdAt"])}
        for row in data["terminalLog"]
    ]
