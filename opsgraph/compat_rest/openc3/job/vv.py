"""`/vv/:treeid`: `NAME:[value]` lines the node's commands printed, per node (OpenC3 version vars)."""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import date_param, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.core.settings import Settings


async def _rows(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    since, until = date_param(request, "time_start"), date_param(request, "time_end")
    variables = {
        "treeId": tree_id(request),
        "node": text(request, "node", max_length=128),
        "name": text(request, "name", max_length=128),
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
    data = await run_operation(
        load_operation(__name__, "node_variables.graphql"), variables, caller.principal, settings
    )
    return [
        {
            "id": r["id"],
            "node": r["node"],
            "name": r["name"],
            "value": r["value"],
            "update_time": c3_time(r["updatedAt"]),
        }
        for r in data["nodeVariables"]
    ]


@C3_ROUTES.route("job", "GET", "/vv/:treeid")
async def variables(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Every (node, name, value), filtered by node, name and update dates."""
    return await _rows(request, caller, settings)


@C3_ROUTES.route("job", "GET", "/vv/:treeid/table")
async def table(request: C3Request, caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """The same as a table: one row per node, one column per name."""
    rows = await _rows(request, caller, settings)
    names = sorted({row["name"] for row in rows})
    nodes: dict[str, dict[str, str]] = {}
    for row in rows:
        nodes.setdefault(row["node"], {"node": row["node"]})[row["name"]] = row["value"]
    return {"title": ["node", *names], "data": [nodes[node] for node in sorted(nodes)]}


@C3_ROUTES.route("job", "GET", "/vv/:treeid/list")
async def values(request: C3Request, caller: C3Caller, settings: Settings) -> list[str]:
    """Distinct values (of `name`, or of every name); the doc marks it "ignore"."""
    return sorted({row["value"] for row in await _rows(request, caller, settings)})


@C3_ROUTES.route("job", "DELETE", "/vv/:treeid/:node")
async def forget_node(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Forget every variable of one node."""
    variables = {"treeId": tree_id(request), "node": text(request, "node", required=True, max_length=128)}
    payload = (
        await run_operation(
            load_operation(__name__, "delete_node_variables.graphql"), variables, caller.principal, settings
        )
    )["deleteNodeVariables"]
    raise_user_errors(payload)
    return int(payload["id"])


@C3_ROUTES.route("job", "GET", "/vv/:treeid/analysis/version")
async def versions(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """VERSION and APP_*_VERSION values of the last year, with how many nodes have each."""
    data = await run_operation(
        load_operation(__name__, "node_version_counts.graphql"),
        {"treeId": tree_id(request)},
        caller.principal,
        settings,
    )
    return list(data["nodeVersionCounts"])
