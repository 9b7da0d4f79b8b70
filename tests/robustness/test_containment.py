"""The throwaway server cannot reach anything (conftest.py: a network namespace of its own with only
a loopback interface), proved through its public surface: uptime checks (plain TCP connects, which
no proxy setting diverts) aimed at listeners this test opens in the host's namespace, on 127.0.0.1
and on each of this machine's own addresses. The server records every probe as failed (an uptime
alarm naming the error: refused by its own empty loopback, no route to anything else), and no
listener ever has a connection waiting."""

from __future__ import annotations

import errno
import json
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.robustness.login import fresh_token
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business

USER_ERROR = "errors { code field message }"
CREATE_NODE = f"""
mutation($input: CreateUptimeNodeInput!) {{ createUptimeNode(input: $input) {{ node {{ bkNodeId }} {USER_ERROR} }} }}"""
IMPORT_TASKS = (
    f"mutation($input: ImportUptimeTasksInput!) {{ importUptimeTasks(input: $input) {{ result {USER_ERROR} }} }}"
)
ALARMS = """
query($filter: AlarmFilterInput) { alarms(first: 50, filter: $filter) { nodes { content dimensions } } }"""
WAIT_SECONDS = 30.0


def own_addresses() -> list[str]:
    """This machine's IPv4 addresses besides loopback (`ip`, in the host's namespace)."""
    listing = subprocess.run(
        ["ip", "-json", "-4", "addr", "show", "scope", "global"], capture_output=True, text=True, check=True
    )
    return [entry["local"] for link in json.loads(listing.stdout) for entry in link.get("addr_info", [])]


@pytest.fixture
def listeners() -> Iterator[dict[str, socket.socket]]:
    """A listening TCP socket on 127.0.0.1 and on each own address, in the host's namespace. They
    never accept: a connection that reached one waits in its queue, where `reached` finds it."""
    opened: dict[str, socket.socket] = {}
    try:
        for address in ["127.0.0.1", *own_addresses()]:
            opened[address] = socket.create_server((address, 0))
            opened[address].setblocking(False)
        yield opened
    finally:
        for sock in opened.values():
            sock.close()


def reached(sock: socket.socket) -> bool:
    try:
        connection, _ = sock.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


def _task(name: str, address: str, port: int, node_id: int) -> dict[str, Any]:
    config = {"ip_list": [address], "port": port, "period_seconds": 1, "timeout": 1000}
    return {
        "target_conf": {"bk_biz_id": 0, "node_id_list": [node_id], "node_list": []},
        "collector_conf": {"name": name, "protocol": "TCP", "groups": "未分类", "location": {}, "config": config},
        "monitor_conf": [],
    }


def test_the_throwaway_server_cannot_connect_out(throwaway: Server, listeners: dict[str, socket.socket]) -> None:
    gql = GraphQLClient(throwaway.url, fresh_token(throwaway))
    business = create_business(gql, f"containment-{uuid.uuid4().hex[:10]}")
    node = gql.ok(CREATE_NODE, {"input": {"businessId": business.id, "name": "server"}})["createUptimeNode"]
    assert node["errors"] == [], node
    targets = {f"{address}:{sock.getsockname()[1]}": sock for address, sock in listeners.items()}
    conf_list = [
        _task(f"probe-{n}", target.rpartition(":")[0], int(target.rpartition(":")[2]), node["node"]["bkNodeId"])
        for n, target in enumerate(targets)
    ]
    imported = gql.ok(IMPORT_TASKS, {"input": {"businessId": business.id, "confList": conf_list}})
    assert imported["importUptimeTasks"]["result"]["success"]["total"] == len(targets), imported

    failures: dict[str, str] = {}
    deadline = time.monotonic() + WAIT_SECONDS
    while len(failures) < len(targets):
        for target, sock in targets.items():
            assert not reached(sock), f"the contained server connected to {target}"
        assert time.monotonic() < deadline, f"no failed probe of each target within {WAIT_SECONDS:g} s: {failures}"
        time.sleep(0.25)
        found = gql.ok(ALARMS, {"filter": {"businessIds": [business.id], "origins": ["UPTIME"]}})["alarms"]["nodes"]
        failures = {alarm["dimensions"]["target"]: alarm["content"] for alarm in found}

    for target, sock in targets.items():
        assert not reached(sock), f"the contained server connected to {target}"
        # The namespace's own loopback has nothing listening; nothing else has a route.
        expected = errno.ECONNREFUSED if target.startswith("127.") else errno.ENETUNREACH
        assert f"[Errno {expected}]" in failures[target], (target, failures[target])
