"""What streams: the live task log over WebSocket (`/slave/:slavename/ws?uuid=`), the web terminal
(`/api/job/cmd/:treeid`) on real sshd hosts with every command in `/cmd/:treeid/log`, node
variables printed by a run (`vv`), and an upload token that deploys (upload, then the job)."""

from __future__ import annotations

import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.compat.job_support import JobEstate, job_estate
from tests.executors.conftest import SshdPoolFactory
from tests.openc3.support import C3Client, wait_task
from tests.openc3.test_jobs_on_hosts import cmd_step
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshUser


@pytest.fixture
def estate(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> JobEstate:
    return job_estate(gql, f"c3live{unique}", sshd_pool(2), ssh_user, alias="ops")


def read_until_closed(ws: ClientConnection, timeout: float = 60) -> str:
    """Everything the server sends until it closes the socket (it does when the task ends)."""
    received = ""
    deadline = time.monotonic() + timeout
    while True:
        try:
            received += str(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        except ConnectionClosed:
            return received


def ws_url(server: Server, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def test_the_task_log_streams_over_websocket(server: Server, c3: C3Client, admin_token: str, estate: JobEstate) -> None:
    tree = estate.biz
    script = "for n in 1 2 3; do echo line-$n; sleep 0.2; done; echo 'VERSION:[2.4.1]'"
    job = c3.envelope(
        "POST", f"/api/job/jobs/{tree}", json={"name": "chatty", "data": [cmd_step("talk", estate.ips[0], script)]}
    )
    run = c3.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job["uuid"]})["uuid"]
    with connect(
        ws_url(server, f"/slave/any/ws?uuid={run}"), additional_headers={"Cookie": f"bk_token={admin_token}"}
    ) as ws:
        received = read_until_closed(ws)
    assert f"[{estate.ips[0]}] line-3<br>" in received
    assert "== task SUCCESS" in received
    # The same stream from the /api/job prefix, for a task that has ended: replayed from the start.
    with connect(
        ws_url(server, f"/api/job/slave/x/ws?uuid={run}"), additional_headers={"Cookie": f"bk_token={admin_token}"}
    ) as ws:
        replay = read_until_closed(ws)
    assert "line-1" in replay
    with connect(ws_url(server, f"/slave/x/ws?uuid={run}")) as ws:
        assert "nocookie" in str(ws.recv())
    # Another site's page cannot ride on the cookie.
    headers = {"Cookie": f"bk_token={admin_token}", "Origin": "http://evil.example"}
    with connect(ws_url(server, f"/slave/x/ws?uuid={run}"), additional_headers=headers) as ws:
        assert "nocookie" in str(ws.recv())
    # The run's NAME:[value] lines are the node's version variables.
    assert wait_task(c3, tree, run)["status"] == "success"
    rows = c3.ok("GET", f"/api/job/vv/{tree}")
    assert [(r["node"], r["name"], r["value"]) for r in rows] == [(estate.ips[0], "VERSION", "2.4.1")]
    table = c3.ok("GET", f"/api/job/vv/{tree}/table")
    assert table["data"] == [{"node": estate.ips[0], "VERSION": "2.4.1"}]
    assert c3.ok("GET", f"/api/job/vv/{tree}/analysis/version") == [{"name": "VERSION", "value": "2.4.1", "count": 1}]
    assert c3.ok("DELETE", f"/api/job/vv/{tree}/{estate.ips[0]}") == 1
    assert c3.ok("GET", f"/api/job/vv/{tree}") == []


def test_the_terminal_runs_and_records_every_command(
    server: Server, c3: C3Client, admin_token: str, estate: JobEstate
) -> None:
    tree = estate.biz
    nodes = ",".join(estate.ips)
    where = c3.ok("GET", f"/api/job/cmd/{tree}", params={"node": nodes, "sudo": "ops"})
    assert where["ws"].startswith(f"/api/job/cmd/{tree}?node=")
    seen: dict[str, list[str]] = {ip: [] for ip in estate.ips}
    with connect(ws_url(server, where["ws"]), additional_headers={"Cookie": f"bk_token={admin_token}"}) as ws:
        assert str(ws.recv()).startswith("connected: ")
        ws.send("cd /tmp\n")
        ws.send("echo here-$((40+2)) in $(pwd)\n")
        deadline = time.monotonic() + 30
        while not all(any("here-42 in /tmp" in line for line in lines) for lines in seen.values()):
            assert time.monotonic() < deadline, seen
            ip, _, text = str(ws.recv(timeout=30)).partition(": ")
            if ip in seen:
                seen[ip].append(text)
    log = c3.ok("GET", f"/api/job/cmd/{tree}/log", params={"cmd": "here-"})
    assert sorted(row["node"] for row in log) == sorted(estate.ips)
    assert {(row["user"], row["usr"]) for row in log} == {("admin", estate.alias and "opsgraph-t")}
    assert len(c3.ok("GET", f"/api/job/cmd/{tree}/log", params={"node": estate.ips[0]})) == 2
    with connect(
        ws_url(server, f"/api/job/cmd/{tree}?node=10.255.0.1"), additional_headers={"Cookie": f"bk_token={admin_token}"}
    ) as ws:
        assert "is not in tree node" in str(ws.recv())


def test_an_upload_token_deploys(server: Server, c3: C3Client, estate: JobEstate, unique: str) -> None:
    tree = estate.biz
    target = f"/tmp/c3deploy{unique}"
    step = {
        "plugin_type": "scp",
        "name": "ship",
        "user": "ops",
        "src_type": "fileserver",
        "src": "",
        "sp": "bundle.txt",
        "dst_type": "buildin",
        "dst": estate.ips[0],
        "dp": target,
        "chmod": "644",
    }
    check = cmd_step("check", estate.ips[0], f"cat {target}/bundle.txt")
    c3.envelope("POST", f"/api/job/jobs/{tree}", json={"name": "deploy-bundle", "data": [step, check]})
    token = f"dep{unique}".ljust(32, "0")
    c3.ok("POST", f"/api/job/token/{tree}", json={"token": token, "isjob": True, "jobname": "deploy-bundle"})
    uploaded = httpx.post(
        f"{server.url}/api/job/fileserver/{tree}/upload",
        files={"file": ("bundle.txt", f"bundle-{unique}\n".encode())},
        headers={"token": token},
    ).json()
    assert uploaded["stat"] is True, uploaded
    task = wait_task(c3, tree, uploaded["uuid"])
    assert task["status"] == "success", task
    assert task["user"] == "admin"  # the token's creator starts it, with the creator's roles
    # sendfile: the deployed directory on the machine, then deleting the file there (over SSH).
    listing = c3.ok("GET", f"/api/job/sendile/list/{tree}", params={"path": f"{estate.ips[0]}{target}", "sudo": "ops"})
    assert [(f["name"], f["type"], f["size"]) for f in listing] == [("bundle.txt", "file", len(f"bundle-{unique}\n"))]
    gone = {"paht": f"{estate.ips[0]}{target}/bundle.txt", "sudo": "ops"}  # the doc's spelling of `path`
    assert c3.ok("POST", f"/api/job/sendfile/unlink/{tree}", json=gone) == 1
    assert c3.ok("GET", f"/api/job/sendfile/list/{tree}", params={"path": f"{estate.ips[0]}{target}"}) == []
    assert "cannot list" in c3.refused(
        "GET", f"/api/job/sendfile/list/{tree}", params={"path": f"{estate.ips[0]}/nonexistent{unique}"}
    )
