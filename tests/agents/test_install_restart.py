"""An install interrupted by a server crash (SIGKILL while it waits for the first heartbeat): after the
restart the task is ABNORMAL and the host keeps the phase it was in; the agent, which kept retrying
while nothing answered, reports to the restarted server and its host becomes alive."""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

from tests.agents.support import (
    AGENT_ROOT_BASE,
    admin_client,
    agent_dir,
    describe,
    get_task,
    hosts_by_ip,
    install_and_wait,
    kill_agents,
    lab_env,
    own_server,
    results,
    start_install,
    wait_agents,
    wait_task,
)
from tests.executors.conftest import SshdPoolFactory
from tests.support.server import GraphQLClient, Server, free_port
from tests.support.sshd import SshUser
from tests.support.topology import create_business


def test_install_interrupted_by_a_server_restart(
    server: Server, sshd_pool: SshdPoolFactory, ssh_user: SshUser, tmp_path: Path
) -> None:
    pool = sshd_pool(3)
    ip = pool.addresses[0]
    login = {"ip": ip, "sshPort": pool.port, "username": ssh_user.name, "password": ssh_user.password}
    root = AGENT_ROOT_BASE / uuid.uuid4().hex[:12]
    # Agents report to a port nothing listens on until the restart, so the install is still waiting then.
    restart_port = free_port()
    env = lab_env(
        root, OPSGRAPH_PUBLIC_URL=f"http://127.0.0.1:{restart_port}", OPSGRAPH_AGENT_INSTALL_WAIT_SECONDS="60"
    )
    try:
        with own_server(server, tmp_path, env) as instance:
            gql = admin_client(instance)
            business = create_business(gql, f"agents-restart-{root.name}")
            ref = start_install(gql, business, [login])
            waiting = wait_task(gql, ref, lambda t: results(t)[ip]["phase"] == "wait_heartbeat")
            assert results(waiting)[ip]["status"] == "RUNNING", describe(waiting)

            assert instance.process is not None
            instance.process.kill()
            instance.process.wait(10)
            instance.port = restart_port
            instance.start()
            gql = GraphQLClient(instance.url, gql.token)

            task = get_task(gql, ref)
            assert task["status"] == "ABNORMAL", describe(task)
            result = results(task)[ip]
            assert (result["status"], result["failure"], result["phase"]) == (
                "ABNORMAL",
                "INTERRUPTED",
                "wait_heartbeat",
            )
            assert "first heartbeat" not in result["log"]

            wait_agents(gql, [ip], lambda a: a is not None and a["alive"] and a["status"] == "INSTALLED")
            host_id = hosts_by_ip(gql, [ip])[ip]["bkHostId"]
            # The agent logs the accepted beat after the server's answer, which comes after the beat
            # is visible as `alive` (its metrics are stored first): wait for the line, briefly.
            log_file = agent_dir(root, host_id) / "agent.log"
            deadline = time.monotonic() + 30
            while "accepted again" not in log_file.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            log = log_file.read_text()
            assert "heartbeat failed (attempt 1)" in log
            assert "accepted again" in log

            task = install_and_wait(gql, business, [login], operation="UNINSTALL")
            assert task["status"] == "SUCCESS", describe(task)
    finally:
        kill_agents(root)
        shutil.rmtree(root, ignore_errors=True)
