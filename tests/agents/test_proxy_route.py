"""PAGENT hosts are reached through their cloud area's PROXY, for installs and for jobs.

The PAGENT host's SSH port is a gate (tests/agents/gate.py) that relays only connections opened by
the proxy login user's processes, i.e. `direct-tcpip` channels forwarded by the proxy's sshd. The
server runs as root, so it cannot reach the PAGENT directly: every successful step there went
through the proxy.
"""

from __future__ import annotations

import pwd
import socket
import uuid

from tests.agents.gate import UidGate
from tests.agents.support import (
    AgentLab,
    agents,
    create_cloud_area,
    describe,
    hosts_by_ip,
    install,
    install_and_wait,
    unused_port,
    wait_agents,
    wait_for,
)
from tests.executors.support import SshEstate, create_account, run_and_wait, summary


def test_pagent_installs_and_jobs_go_through_the_proxy(agent_lab: AgentLab) -> None:
    lab = agent_lab
    area = create_cloud_area(lab.gql, f"area-{uuid.uuid4().hex[:8]}")
    proxy_ip, behind_ip = lab.pool.addresses[0], lab.pool.addresses[1]
    gate_ip = "127.0.8.7"
    gate = UidGate((gate_ip, unused_port(gate_ip)), (behind_ip, lab.pool.port), pwd.getpwnam(lab.user.name).pw_uid)
    gate.start()
    pagent = lab.login(gate_ip, sshPort=gate.listen[1])
    try:
        # No proxy in the area yet: a PAGENT install is refused before anything starts.
        payload = install(lab.gql, lab.business, [pagent], node_type="PAGENT", cloud=area)
        assert [e["code"] for e in payload["errors"]] == ["NO_PROXY"], payload

        # The gate works: a direct connection (as root, like the server) is closed without an SSH banner.
        with socket.create_connection(gate.listen, timeout=5) as direct:
            direct.settimeout(5)
            assert direct.recv(64) == b""
        wait_for(lambda: len(gate.refused) == 1, "the direct connection refused by the gate")

        task = install_and_wait(lab.gql, lab.business, [lab.login(proxy_ip)], node_type="PROXY", cloud=area)
        assert (task["status"], task["name"]) == ("SUCCESS", "INSTALL_PROXY"), describe(task)
        task = install_and_wait(lab.gql, lab.business, [pagent], node_type="PAGENT", cloud=area)
        assert (task["status"], task["name"]) == ("SUCCESS", "INSTALL_PAGENT"), describe(task)
        assert gate.relayed, "the PAGENT install did not come through the proxy"
        assert set(gate.relayed) == {pwd.getpwnam(lab.user.name).pw_uid}
        assert len(gate.refused) == 1, "the server tried the PAGENT directly"

        found = wait_agents(lab.gql, [proxy_ip, gate_ip], lambda a: a is not None and a["alive"], cloud=area)
        assert found[proxy_ip]["nodeType"] == "PROXY"  # type: ignore[index]
        assert (found[gate_ip]["nodeType"], found[gate_ip]["bkCloudId"]) == ("PAGENT", area)  # type: ignore[index]

        # A job on the PAGENT host takes the same route (the business's default account, via the proxy).
        create_account(lab.gql, lab.business, f"key-{area}", lab.user.name, private_key=lab.user.private_key)
        host = hosts_by_ip(lab.gql, [gate_ip], cloud=area)[gate_ip]
        estate = SshEstate(business=lab.business, ips=[gate_ip], host_ids=[host["id"]])
        before = len(gate.relayed)
        job = run_and_wait(lab.gql, estate, "echo through-the-proxy", accountAlias=f"key-{area}")
        assert job["status"] == "SUCCESS", summary(job)
        assert "through-the-proxy" in job["steps"][0]["hostResults"]["nodes"][0]["log"]
        assert len(gate.relayed) > before
        assert len(gate.refused) == 1

        # Uninstalling the PAGENT goes through the proxy too; without the proxy, no more PAGENT installs.
        task = install_and_wait(lab.gql, lab.business, [pagent], node_type="PAGENT", cloud=area, operation="UNINSTALL")
        assert task["status"] == "SUCCESS", describe(task)
        task = install_and_wait(
            lab.gql, lab.business, [lab.login(proxy_ip)], node_type="PROXY", cloud=area, operation="UNINSTALL"
        )
        assert task["status"] == "SUCCESS", describe(task)
        assert all(a is not None and not a["alive"] for a in agents(lab.gql, [proxy_ip, gate_ip], area).values())
        payload = install(lab.gql, lab.business, [pagent], node_type="PAGENT", cloud=area)
        assert [e["code"] for e in payload["errors"]] == ["NO_PROXY"], payload
    finally:
        gate.stop()
