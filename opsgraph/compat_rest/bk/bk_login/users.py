"""The bk_login rows. A user object is `{bk_username, chname, qq, phone, email, bk_role, wx_userid,
language, time_zone}`; `qq` is always "" (upstream never fills it).

- get_user: the caller's user (its bk_token, or the bk_username a login-exempt app names);
  a name that is no active user is 1302103.
- get_all_users: a bare list, no paging; `bk_role` filters only when it is a digit 0–4, any other
  value returns every user (upstream's behaviour, kept).
- get_batch_users: a dict keyed by username (the doc's example shows one object; the code answers a
  dict); unknown names are left out. `bk_username_list` is a list or a ","/";"-separated string.
- get_batch_users_platform_role: `{username: {product: [role]}}`; OpsGraph has one platform, whose
  product code is "bk_paas" (bk_login's roles are the PaaS platform's).
- is_login: `{bk_username}` of the bk_token sent; 1302100 without one.
"""

from __future__ import annotations

import re
from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES
from opsgraph.compat_rest.bk.bk_login.errors import LOGIN_CODES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation, run_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import LimitExceeded, NotFound, ValidationFailed
from opsgraph.core.settings import Settings

PLATFORM_PRODUCT = "bk_paas"
MAX_BATCH = 1000
_SEPARATORS = re.compile(r"[,;]")
ANY_METHOD = frozenset({"GET", "POST"})


def _route(name: str, summary: str, methods: frozenset[str] = ANY_METHOD) -> Any:
    return BK_ROUTES.handler(
        "bk_login", name, methods=methods, error_codes=LOGIN_CODES, success_message="OK", summary=summary
    )


def user_object(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "bk_username": node["username"],
        "chname": node["displayName"],
        "qq": "",
        "phone": node["phone"],
        "email": node["email"],
        "bk_role": node["bkRole"],
        "wx_userid": node["wxUserid"],
        "language": node["language"],
        "time_zone": node["timeZone"],
    }


async def directory_nodes(filter: dict[str, Any], principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    """Every matching active user, page after page."""
    document = load_operation(__name__, "users.graphql")
    nodes: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        variables = {"first": settings.max_page_size, "after": after, "filter": filter}
        page = (await run_operation(document, variables, principal, settings))["users"]
        nodes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def username_list(params: Params) -> list[str]:
    raw = params.get("bk_username_list")
    if isinstance(raw, str):
        names = _SEPARATORS.split(raw)
    elif isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        names = list(raw)
    elif raw is None:
        names = []
    else:
        raise ValidationFailed("bk_username_list must be a list of usernames", field="bk_username_list")
    found = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    if not found:
        raise ValidationFailed("bk_username_list must not be empty", field="bk_username_list")
    if len(found) > MAX_BATCH:
        raise LimitExceeded(f"at most {MAX_BATCH} usernames per call", field="bk_username_list")
    return found


@_route("get_user", "The calling user (bk_token, or bk_username of a login-exempt app)")
async def get_user(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    document = load_operation(__name__, "user.graphql")
    node = (await run_operation(document, {"username": principal.username}, principal, settings))["user"]
    if node is None or not node["isActive"]:
        raise NotFound(f"user {principal.username!r} does not exist", field="bk_username")
    return user_object(node)


@_route("is_login", "Whether a bk_token is a valid login: {bk_username}")
async def is_login(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    if principal.token_id is None:
        raise ValidationFailed("bk_token is required", field="bk_token")
    return {"bk_username": principal.username}


@_route("get_all_users", "Every active user (bk_role 0–4 filters), as a bare list")
async def get_all_users(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    raw = params.get("bk_role")
    role = str(raw).strip() if raw is not None else ""
    # Upstream filters only on a digit 0–4 and answers every user for any other value.
    filter = {"bkRole": int(role)} if role in {"0", "1", "2", "3", "4"} else {}
    return [user_object(node) for node in await directory_nodes(filter, principal, settings)]


@_route("get_batch_users", "Users by name, keyed by username (unknown names are left out)")
async def get_batch_users(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    nodes = await directory_nodes({"usernames": username_list(params)}, principal, settings)
    return {node["username"]: user_object(node) for node in nodes}


@_route("get_batch_users_platform_role", "Users' platform roles: {username: {product: [role]}}")
async def get_batch_users_platform_role(params: Params, principal: Principal, settings: Settings) -> dict[str, Any]:
    nodes = await directory_nodes({"usernames": username_list(params)}, principal, settings)
    return {node["username"]: {PLATFORM_PRODUCT: [node["bkRole"]]} for node in nodes}
