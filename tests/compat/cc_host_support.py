"""Helpers for the cc host endpoint tests: envelope checks, bk ids, and re-reading hosts over GraphQL
(so a refused write can be shown to have changed nothing)."""

from __future__ import annotations

import base64
from typing import Any

from tests.support.server import GraphQLClient

HOSTS_BY_IP = """
query($ips: [String!]!) {
  hosts(first: 500, filter: {innerIps: $ips}) {
    nodes { innerIp bkHostId bkBizId properties modules { bkModuleId } }
  }
}"""
LOCKS = """query($ips: [String!]!) { hostLocks(ips: $ips) { ip locked } }"""


def bk_id(global_id: str) -> int:
    """The numeric id inside a GraphQL global id (base64url of "Type:pk")."""
    padded = global_id + "=" * (-len(global_id) % 4)
    return int(base64.urlsafe_b64decode(padded).decode().partition(":")[2])


def ok(response: dict[str, Any], *, style: str = "code") -> Any:
    """The `data` of a successful answer, after checking its envelope."""
    code_key = "code" if style == "code" else "bk_error_code"
    assert response["result"] is True, response
    assert response[code_key] == 0, response
    assert "request_id" in response
    return response["data"]


def refused(response: dict[str, Any], code: int, *, style: str = "code") -> str:
    """Assert a refusal with bk-cmdb's `code`; returns the message. (HTTP was 200, or the client raised.)"""
    code_key, message_key = ("code", "message") if style == "code" else ("bk_error_code", "bk_error_msg")
    assert response["result"] is False, response
    assert response[code_key] == code, response
    assert response["data"] is None, response
    assert response[message_key], response
    return str(response[message_key])


def hosts_state(gql: GraphQLClient, ips: list[str]) -> dict[str, tuple[int, list[int], dict[str, Any]]]:
    """inner IP → (business id, sorted module ids, properties) for the hosts that exist."""
    nodes = gql.ok(HOSTS_BY_IP, {"ips": ips})["hosts"]["nodes"]
    return {n["innerIp"]: (n["bkBizId"], sorted(m["bkModuleId"] for m in n["modules"]), n["properties"]) for n in nodes}


def host_ids_by_ip(gql: GraphQLClient, ips: list[str]) -> dict[str, int]:
    return {ip: state[2]["bk_host_id"] for ip, state in hosts_state(gql, ips).items()}


def locks(gql: GraphQLClient, ips: list[str]) -> dict[str, bool]:
    return {s["ip"]: s["locked"] for s in gql.ok(LOCKS, {"ips": ips})["hostLocks"]}


def take_ips(allocator: Any, count: int) -> list[str]:
    return [next(allocator) for _ in range(count)]
