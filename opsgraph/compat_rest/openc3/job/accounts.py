"""`/userlist/:treeid`: the OS accounts steps may run as (`user`), i.e. the node's business's Accounts.

Upstream only lists names (its agent already runs as root and switches user); OpsGraph logs in over
SSH, so adding one needs its credential too: `password`, or `private_key` (OpenSSH or PEM text).
"""

from __future__ import annotations

import re
from typing import Any

from opsgraph.compat_rest.execute import load_operation, raise_user_errors, run_operation
from opsgraph.compat_rest.openc3 import C3_ROUTES, C3Caller, C3Request
from opsgraph.compat_rest.openc3.checks import fail, required_int, text, tree_id
from opsgraph.compat_rest.openc3.common import c3_time, tree_business
from opsgraph.compat_rest.openc3.job.nodes import filtered
from opsgraph.core.errors import NotFound
from opsgraph.core.ids import encode_global_id
from opsgraph.core.settings import Settings

USERNAME = re.compile(r"^[a-zA-Z0-9_\-]{1,64}$")


async def _accounts(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    node = await tree_business(tree_id(request), caller.principal, settings)
    data = await run_operation(
        load_operation(__name__, "tree_accounts.graphql"), {"bkBizId": node["bkBizId"]}, caller.principal, settings
    )
    return [
        {
            "id": a["bkAccountId"],
            "username": a["alias"],
            "login": a["username"],
            "create_user": a["createdBy"],
            "create_time": c3_time(a["createdAt"]),
            "name": a["alias"],
        }
        for a in ((data["business"] or {}).get("accounts") or {}).get("nodes", [])
    ]


@C3_ROUTES.route("job", "GET", "/userlist/:treeid")
async def list_accounts(request: C3Request, caller: C3Caller, settings: Settings) -> list[dict[str, Any]]:
    """The accounts of the node's business."""
    return filtered(request, await _accounts(request, caller, settings), ("create_user",), ("create_time",))


@C3_ROUTES.route("job", "POST", "/userlist/:treeid")
async def add_account(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """An account `username` (its alias and login name) with `password` or `private_key`."""
    node = await tree_business(tree_id(request), caller.principal, settings)
    username = text(request, "username", required=True, pattern=USERNAME)
    password, key = text(request, "password", max_length=4096), text(request, "private_key", max_length=64 * 1024)
    if bool(password) == bool(key):
        raise fail("password", "OpsGraph logs in over SSH: give the account's password or its private_key")
    account: dict[str, Any] = {"businessId": node["businessId"], "alias": username, "username": username}
    account["password" if password else "privateKey"] = password or key
    payload = (
        await run_operation(
            load_operation(__name__, "create_account.graphql"), {"input": account}, caller.principal, settings
        )
    )["createAccount"]
    raise_user_errors(payload)
    return int(payload["account"]["bkAccountId"])


@C3_ROUTES.route("job", "DELETE", "/userlist/:treeid/:id")
async def delete_account(request: C3Request, caller: C3Caller, settings: Settings) -> int:
    """Delete an account (refused while a job step runs as it)."""
    wanted = required_int(request, "id")
    if not any(row["id"] == wanted for row in await _accounts(request, caller, settings)):
        raise NotFound(f"tree node {tree_id(request)} has no account {wanted}", field="id")
    spec = {"accountId": encode_global_id("Account", wanted)}
    payload = (
        await run_operation(
            load_operation(__name__, "delete_account.graphql"), {"input": spec}, caller.principal, settings
        )
    )["deleteAccount"]
    raise_user_errors(payload)
    return 1
