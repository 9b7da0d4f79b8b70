"""Speaking OpenC3's dialect over HTTP (httpx): the login cookie or appname/appkey headers, the
`{stat, info, data}` envelope, tree ids of our topology, and polling a task until it ends."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.server import GraphQLClient, Server
from tests.support.topology import Business

COOKIE = "bk_token"
SET_BASE, MODULE_BASE = 1_000_000_000, 2_000_000_000
LOGIN = "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { token errors { message } } }"
GRANT = """
mutation($u: String!, $b: ID!, $r: String!) {
  grantRole(input: {username: $u, businessId: $b, role: $r}) { ok errors { code message } }
}"""
FINISHED = {"success", "fail", "refuse"}


class C3Client:
    """One OpenC3 caller: `token` goes in the login cookie, or `app` = (appname, appkey) in headers."""

    def __init__(self, base_url: str, *, token: str | None = None, app: tuple[str, str] | None = None) -> None:
        headers = {"appname": app[0], "appkey": app[1]} if app else {}
        cookies = {COOKIE: token} if token else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, cookies=cookies, timeout=60)

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.http.request(method, path, params=params, json=json, content=content, headers=headers)

    def envelope(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text)
        body: dict[str, Any] = response.json()
        assert isinstance(body.get("stat"), bool), body
        return body

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        body = self.envelope(method, path, **kwargs)
        assert body["stat"] is True, body
        return body.get("data")

    def refused(self, method: str, path: str, **kwargs: Any) -> str:
        """A refusal: HTTP 200, `stat: false` and an `info` saying why; returns the info."""
        body = self.envelope(method, path, **kwargs)
        assert body["stat"] is False, body
        assert isinstance(body.get("info"), str), body
        assert body["info"], body
        return str(body["info"])


def admin_client(server: Server, admin_token: str) -> C3Client:
    return C3Client(server.url, token=admin_token)


def login_token(server: Server, username: str, password: str) -> str:
    data = GraphQLClient(server.url).ok(LOGIN, {"u": username, "p": password})
    token: str = data["login"]["token"]
    assert token, data
    return token


def user_with_role(server: Server, gql: GraphQLClient, name: str, business: Business, role: str) -> C3Client:
    """A new user holding `role` on `business`, logged in (the cookie)."""
    password = "openc3-password-1"
    server.cli("admin", "create-user", name, "--password", password)
    payload = gql.ok(GRANT, {"u": name, "b": business.id, "r": role})["grantRole"]
    assert payload["errors"] == [], payload
    return C3Client(server.url, token=login_token(server, name, password))


def set_tree(bk_set_id: int) -> int:
    return SET_BASE + bk_set_id


def module_tree(bk_module_id: int) -> int:
    return MODULE_BASE + bk_module_id


@dataclass
class Started:
    uuid: str
    body: dict[str, Any]


def wait_task(c3: C3Client, tree: int, uuid: str, *, timeout: float = 60) -> dict[str, Any]:
    """Poll `GET /task/:treeid/:uuid` as OpenC3 clients do, until the task has ended."""
    deadline = time.monotonic() + timeout
    while True:
        task: dict[str, Any] = c3.ok("GET", f"/api/job/task/{tree}/{uuid}")
        if task["status"] in FINISHED:
            return task
        assert time.monotonic() < deadline, f"task {uuid} did not end: {task}"
        time.sleep(0.2)


def wait_status(c3: C3Client, tree: int, uuid: str, status: str, *, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        task: dict[str, Any] = c3.ok("GET", f"/api/job/task/{tree}/{uuid}")
        if task["status"] == status:
            return task
        assert task["status"] not in FINISHED, f"task {uuid} ended {task['status']} before reaching {status}: {task}"
        assert time.monotonic() < deadline, f"task {uuid} never reached {status}: {task}"
        time.sleep(0.2)


TASK_LOGS = """
query($t: Int!) { task(jobInstanceId: $t) { status steps { status hostResults(first: 50) { nodes { ip log } } } } }
"""


def host_logs(gql: GraphQLClient, task_id: int, step: int = 0) -> dict[str, str]:
    """ip → log of one step of an OpenC3 task (its `id` is the Task's jobInstanceId), through GraphQL."""
    task = gql.ok(TASK_LOGS, {"t": task_id})["task"]
    return {row["ip"]: row["log"] for row in task["steps"][step]["hostResults"]["nodes"]}


def client_uuid(unique: str) -> str:
    """A 12-character task uuid of the caller's own, as system-to-system callers send them."""
    return (unique + "x" * 12)[:12]
