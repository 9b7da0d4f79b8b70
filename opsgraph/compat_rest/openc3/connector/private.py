"""`/private`: OpenC3 private nodes (superusers list and add them; tree ids from 4000000000)."""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Reply, C3Request
from opsgraph.compat_rest.openc3.checks import text
from opsgraph.compat_rest.openc3.common import c3_time
from opsgraph.core.settings import Settings
from opsgraph.resolvers.service_tree.private_nodes import PRIVATE_BASE


async def _nodes(caller: C3Caller, settings: Settings, *, mine: bool) -> list[dict[str, Any]]:
    document = load_operation(__name__, "private_nodes.graphql")
    return list((await run_operation(document, {"mine": mine}, caller.principal, settings))["privateTreeNodes"])


async def private_root(caller: C3Caller, settings: Settings) -> dict[str, Any]:
    """usertree's "private" root with the caller's private node, as upstream appends it."""
    mine = await _nodes(caller, settings, mine=True)
    return {
        "id": PRIVATE_BASE,
        "name": "private",
        "children": [{"id": PRIVATE_BASE + n["id"], "name": n["user"]} for n in mine],
    }


@C3_ROUTES.route("connector", "GET", "/private")
async def list_private(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """Every private node (superusers)."""
    return [
        {
            "id": PRIVATE_BASE + n["id"],
            "user": n["user"],
            "edit_user": n["editedBy"],
            "edit_time": c3_time(n["updatedAt"]),
        }
        for n in await _nodes(caller, settings, mine=False)
    ]


@C3_ROUTES.route("connector", "POST", "/private")
async def add_private(request: C3Request, caller: C3Caller, settings: Settings) -> C3Reply:
    """A private node for `user` (superusers)."""
    user = text(request, "user", required=True, max_length=254)
    payload = (
        await run_operation(
            load_operation(__name__, "create_private_node.graphql"), {"user": user}, caller.principal, settings
        )
    )["createPrivateTreeNode"]
    raise_user_errors(payload)
    return C3Reply(info="ok")
