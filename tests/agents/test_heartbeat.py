"""POST /api/agent/heartbeat: a signed heartbeat is accepted once; forged, tampered, stale and replayed
ones are refused with 401 and change nothing.

The signature is computed here from the documented wire format (not with the server's code), with
the token the install wrote into the host's agent.json.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import time
from typing import Any

import httpx

from tests.agents.support import (
    AgentLab,
    agent_pid,
    agents,
    describe,
    hosts_by_ip,
    install_and_wait,
    read_config,
    wait_gone,
)

HEADER = "X-OpsGraph-Agent"


def signed(token: str, host_id: int, body: bytes, *, unix_ms: int | None = None, nonce: str | None = None) -> str:
    unix_ms = int(time.time() * 1000) if unix_ms is None else unix_ms
    nonce = nonce or os.urandom(8).hex()
    message = f"{host_id}:{unix_ms}:{nonce}:{hashlib.sha256(body).hexdigest()}"
    mac = hmac.new(token.encode(), message.encode(), hashlib.sha256).hexdigest()
    return f"{host_id}:{unix_ms}:{nonce}:{mac}"


def facts(host_id: int, version: str) -> bytes:
    body = {
        "host_id": host_id,
        "version": version,
        "hostname": "hand-made",
        "os": "TestOS",
        "kernel": "0.0",
        "uptime": 12.5,
        "load": [0.5, 0.25, 0.125],
    }
    return json.dumps(body).encode()


def test_forged_stale_and_replayed_heartbeats_are_refused(agent_lab: AgentLab) -> None:
    lab = agent_lab
    ip = lab.pool.addresses[2]
    task = install_and_wait(lab.gql, lab.business, [lab.login(ip)])
    assert task["status"] == "SUCCESS", describe(task)
    host_id = hosts_by_ip(lab.gql, [ip])[ip]["bkHostId"]
    token = read_config(lab.root, host_id)["token"]
    # Only our own requests from here on: stop the real agent.
    pid = agent_pid(lab.root, host_id)
    os.kill(pid, signal.SIGTERM)
    wait_gone(pid)
    url = f"{lab.server.url}/api/agent/heartbeat"

    def post(body: bytes, header: str | None) -> httpx.Response:
        headers = {"Content-Type": "application/json"} | ({HEADER: header} if header is not None else {})
        return httpx.post(url, content=body, headers=headers, timeout=10)

    def refused(response: httpx.Response, reason: str) -> None:
        assert response.status_code == 401, response.text
        error: Any = response.json()["error"]
        assert reason in error, error

    body = facts(host_id, "9.9.9-signed")
    header = signed(token, host_id, body)
    accepted = post(body, header)
    assert (accepted.status_code, accepted.json()) == (200, {"ok": True, "interval": 1})
    agent = agents(lab.gql, [ip])[ip]
    assert agent is not None
    assert (agent["version"], agent["hostname"], agent["load"]) == ("9.9.9-signed", "hand-made", [0.5, 0.25, 0.125])

    refused(post(body, header), "replayed")  # the very same request again
    older = signed(token, host_id, body, unix_ms=int(time.time() * 1000) - 5_000)
    refused(post(body, older), "replayed or out-of-order")  # valid, but not newer than the last one
    refused(post(body, signed("not-the-token", host_id, body)), "bad signature")
    refused(post(facts(host_id, "9.9.9-tampered"), signed(token, host_id, body)), "bad signature")
    stale = signed(token, host_id, body, unix_ms=int(time.time() * 1000) - 10 * 60_000)
    refused(post(body, stale), "server clock")
    future = signed(token, host_id, body, unix_ms=int(time.time() * 1000) + 10 * 60_000)
    refused(post(body, future), "server clock")
    other_host = facts(host_id + 100_000, "x")
    refused(post(other_host, signed(token, host_id + 100_000, other_host)), "no agent")
    mismatch = facts(host_id + 1, "x")  # signed as this host, but the body names another
    refused(post(mismatch, signed(token, host_id, mismatch)), "does not name the host")
    refused(post(body, None), "header")
    refused(post(body, "1:2:3"), "header")
    big = b"x" * 600_000  # beyond the 512 KiB a heartbeat with monitoring sections may carry
    refused(post(big, signed(token, host_id, big)), "too large")

    agent = agents(lab.gql, [ip])[ip]
    assert agent is not None
    assert agent["version"] == "9.9.9-signed", "a refused heartbeat changed the stored facts"
    fresh = facts(host_id, "9.9.9-again")
    assert post(fresh, signed(token, host_id, fresh)).status_code == 200

    # Uninstalled: the token is revoked, even a correctly signed heartbeat is refused.
    task = install_and_wait(lab.gql, lab.business, [lab.login(ip)], operation="UNINSTALL")
    assert task["status"] == "SUCCESS", describe(task)
    refused(post(fresh, signed(token, host_id, fresh)), "no agent")
