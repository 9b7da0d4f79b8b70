"""Helpers for the cc business / set / module / topology / operation-log tests: envelope checks,
building topology through the REST endpoints themselves, and raw HTTP for what bkapi-client-core
cannot send (malformed bodies, credentials in the body or the query string)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from tests.compat.bk_client import LegacyClient
from tests.support.server import APP_CODE, APP_SECRET

PREFIX = "/api/c/compapi/v2/cc"

# `data` of the doc's response examples (cc_endpoints.json, 配置平台 section), for shape checks.
DOC_CREATE_KEYS = {
    "create_business": {"bk_biz_id"},
    "create_set": {"bk_set_id"},
    "create_module": {"bk_module_id"},
}
DOC_PAGE_KEYS = {"count", "info"}
DOC_INTERNAL_MODULE_KEYS = {"bk_set_id", "bk_set_name", "module"}
DOC_TOPO_NODE_KEYS = {"bk_inst_id", "bk_inst_name", "bk_obj_id", "bk_obj_name", "child"}  # + bk_obj_icon (table)
DOC_MAINLINE_KEYS = {
    "bk_obj_id",
    "bk_obj_name",
    "bk_supplier_account",
    "bk_next_obj",
    "bk_next_name",
    "bk_pre_obj_id",
    "bk_pre_obj_name",
}
DOC_OPLOG_KEYS = {
    "bk_supplier_account",
    "bk_biz_id",
    "op_type",
    "op_desc",
    "op_target",
    "operator",
    "content",
    "ext_key",
    "op_time",
    "inst_id",
}
# Everything create_business marks required.
BIZ_STAFF = {
    "bk_biz_maintainer": "admin",
    "bk_biz_productor": "admin",
    "bk_biz_developer": "admin",
    "bk_biz_tester": "admin",
    "time_zone": "Asia/Shanghai",
}


def gid(type_name: str, pk: int) -> str:
    """The GraphQL global id of a bk id (base64url of "Type:pk"), for setting up through GraphQL."""
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def ok(response: dict[str, Any], *, style: str = "code") -> Any:
    """The `data` of a successful answer, after checking its envelope."""
    code_key = "code" if style == "code" else "bk_error_code"
    assert response["result"] is True, response
    assert response[code_key] == 0, response
    assert response["request_id"], response
    return response["data"]


def refused(response: dict[str, Any], code: int, *, style: str = "code") -> str:
    """Assert a refusal with `code`; returns the message."""
    code_key, message_key = ("code", "message") if style == "code" else ("bk_error_code", "bk_error_msg")
    assert response["result"] is False, response
    assert response[code_key] == code, response
    assert response["data"] is None, response
    assert response[message_key], response
    return str(response[message_key])


def new_business(bk: LegacyClient, name: str, **extra: Any) -> int:
    data = ok(
        bk.cc.create_business(data={"bk_supplier_account": "0", "data": {"bk_biz_name": name, **BIZ_STAFF, **extra}})
    )
    return int(data["bk_biz_id"])


def new_set(bk: LegacyClient, biz: int, name: str, **extra: Any) -> int:
    body = {"bk_biz_id": biz, "data": {"bk_parent_id": biz, "bk_set_name": name, **extra}}
    return int(ok(bk.cc.create_set(data=body))["bk_set_id"])


def new_module(bk: LegacyClient, biz: int, set_id: int, name: str, **extra: Any) -> int:
    body = {"bk_biz_id": biz, "bk_set_id": set_id, "data": {"bk_parent_id": set_id, "bk_module_name": name, **extra}}
    return int(ok(bk.cc.create_module(data=body))["bk_module_id"])


def business_row(bk: LegacyClient, biz: int, *, archived: bool = False) -> dict[str, Any] | None:
    condition: dict[str, Any] = {"bk_biz_id": biz}
    if archived:
        condition["bk_data_status"] = "disabled"
    info = ok(bk.cc.search_business(data={"condition": condition}))["info"]
    return info[0] if info else None


def sets_of(bk: LegacyClient, biz: int) -> dict[str, dict[str, Any]]:
    """Set name → row, for every set of the business (the built-in one included)."""
    body = {"bk_biz_id": biz, "fields": [], "condition": {}, "page": {"start": 0, "limit": 200}}
    return {row["bk_set_name"]: row for row in ok(bk.cc.search_set(data=body))["info"]}


def modules_of(bk: LegacyClient, biz: int, set_id: int) -> dict[str, dict[str, Any]]:
    body = {"bk_biz_id": biz, "bk_set_id": set_id, "fields": [], "condition": {}, "page": {"start": 0, "limit": 200}}
    return {row["bk_module_name"]: row for row in ok(bk.cc.search_module(data=body))["info"]}


def auth_header(username: str = "admin", **extra: str) -> dict[str, str]:
    value = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": username, **extra}
    return {"X-Bkapi-Authorization": json.dumps(value)}


def raw(
    base_url: str,
    method: str,
    api: str,
    *,
    body: bytes | None = None,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    slash: bool = True,
) -> dict[str, Any]:
    """One request sent with plain httpx, returning the JSON envelope (any HTTP status)."""
    path = f"{PREFIX}/{api}/" if slash else f"{PREFIX}/{api}"
    response = httpx.request(method, base_url + path, content=body, params=params, headers=headers, timeout=30)
    payload: dict[str, Any] = response.json()
    return payload
