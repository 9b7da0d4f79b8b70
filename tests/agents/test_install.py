"""Agent installs over a real sshd on loopback hosts: phases, heartbeats, alive, the other operations,
and the hosts that fail (unreachable, wrong password) or are refused before any task starts."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import time
from typing import Any

import pytest

from tests.agents.support import (
    AGENT_ROOT_BASE,
    ALIVE_SECONDS,
    AgentLab,
    agent_dir,
    agent_pid,
    agents,
    alive,
    describe,
    hosts_by_ip,
    install,
    install_and_wait,
    process_owner,
    read_config,
    results,
    start_install,
    wait_agents,
    wait_gone,
    wait_task,
)
from tests.executors.support import create_account, read_events
from tests.support import sshd as sshd_support
from tests.support.server import free_port
from tests.support.topology import create_business, operation_log

INSTALL_PHASES = ["connect", "check_os", "push_files", "write_config", "start", "wait_heartbeat"]
UNINSTALL_PHASES = ["connect", "stop", "remove_files"]


def phases(lab: AgentLab, task_id: str) -> dict[str, list[str]]:
    """ip → the HOST_PHASE events of the task, in the order they were published."""
    assert lab.gql.token is not None
    reading = asyncio.run(asyncio.wait_for(read_events(lab.server, lab.gql.token, task_id), 15))
    assert reading.completed
    seen: dict[str, list[str]] = {}
    for event in reading.events:
        if event["kind"] == "HOST_PHASE":
            seen.setdefault(event["payload"]["ip"], []).append(event["payload"]["phase"])
    return seen


def test_install_heartbeats_alive_then_uninstall(agent_lab: AgentLab) -> None:
    lab = agent_lab
    ips = lab.pool.addresses

    ref = start_install(lab.gql, lab.business, [lab.login(ip) for ip in ips])
    task = wait_task(lab.gql, ref)

    assert (task["status"], task["name"]) == ("SUCCESS", "INSTALL_AGENT"), describe(task)
    for result in results(task).values():
        assert (result["status"], result["phase"], result["failure"]) == ("SUCCESS", "wait_heartbeat", None)
        assert "first heartbeat" in result["log"]
    assert phases(lab, ref.id) == {ip: INSTALL_PHASES for ip in ips}

    # The hosts joined the business, each with a live agent reporting real facts.
    hosts = hosts_by_ip(lab.gql, ips)
    host_ids = {ip: hosts[ip]["bkHostId"] for ip in ips}
    for ip, host in hosts.items():
        assert host["bkBizId"] == lab.business.bk_biz_id
        agent = host["agent"]
        assert agent is not None
        assert (agent["alive"], agent["status"]) == (True, "INSTALLED")
        assert (agent["nodeType"], agent["bkCloudId"]) == ("AGENT", 0)
        assert agent["version"] == "1.0.0"
        assert (agent["hostname"], agent["kernel"]) == (socket.gethostname(), platform.release())
        assert agent["os"]
        assert agent["uptime"] > 0
        assert len(agent["load"]) == 3
        assert agent["installDir"] == str(agent_dir(lab.root, host_ids[ip]))

    # One directory and one process per host, run by the login user, reporting where the server listens.
    pids = {ip: agent_pid(lab.root, host_ids[ip]) for ip in ips}
    assert len(set(pids.values())) == len(ips)
    tokens = set()
    for ip, pid in pids.items():
        assert alive(pid)
        assert process_owner(pid) == lab.user.name
        config = read_config(lab.root, host_ids[ip])
        assert (config["server"], config["host_id"], config["interval"]) == (lab.server.url, host_ids[ip], 1)
        assert os.stat(agent_dir(lab.root, host_ids[ip]) / "agent.json").st_mode & 0o777 == 0o600
        tokens.add(config["token"])
    assert len(tokens) == len(ips)
    shown = json.dumps(task) + json.dumps(hosts) + json.dumps(operation_log(lab.gql))
    assert not any(token in shown for token in tokens), "a token leaked into the API"
    assert lab.user.password not in shown, "the login password leaked into the API"

    # Heartbeats keep coming.
    first = {ip: hosts[ip]["agent"]["lastHeartbeat"] for ip in ips}
    wait_agents(lab.gql, ips, lambda a: a is not None and a["lastHeartbeat"] not in first.values())

    # An agent stopped by SIGTERM exits cleanly; its host stops counting as alive once the window passes.
    stopped = ips[-1]
    os.kill(pids[stopped], signal.SIGTERM)
    wait_gone(pids[stopped])
    assert not (agent_dir(lab.root, host_ids[stopped]) / "agent.pid").exists()
    assert "opsgraph agent stopped" in (agent_dir(lab.root, host_ids[stopped]) / "agent.log").read_text()
    assert agents(lab.gql, [stopped])[stopped]["alive"] is True  # type: ignore[index]  # within the window
    began = time.monotonic()
    wait_agents(lab.gql, [stopped], lambda a: a is not None and a["alive"] is False, timeout=ALIVE_SECONDS + 5)
    assert time.monotonic() - began >= ALIVE_SECONDS - 2
    assert agents(lab.gql, [stopped])[stopped]["status"] == "INSTALLED"  # type: ignore[index]
    assert all(a is not None and a["alive"] for a in agents(lab.gql, ips[:-1]).values())

    # Uninstall: processes stopped, directories gone, no longer alive (and the token is revoked).
    ref = start_install(lab.gql, lab.business, [lab.login(ip) for ip in ips], operation="UNINSTALL")
    task = wait_task(lab.gql, ref)
    assert task["status"] == "SUCCESS", describe(task)
    assert phases(lab, ref.id) == {ip: UNINSTALL_PHASES for ip in ips}
    for ip in ips:
        wait_gone(pids[ip])
        assert not agent_dir(lab.root, host_ids[ip]).exists()
    for agent in agents(lab.gql, ips).values():
        assert agent is not None
        assert (agent["alive"], agent["status"]) == (False, "UNINSTALLED")
    time.sleep(ALIVE_SECONDS)
    assert all(a is not None and not a["alive"] for a in agents(lab.gql, ips).values())


def test_key_login_upgrade_reinstall_remove(agent_lab: AgentLab) -> None:
    lab = agent_lab
    ip = lab.pool.addresses[0]
    key_login = {"ip": ip, "sshPort": lab.pool.port, "username": lab.user.name, "privateKey": lab.user.private_key}

    task = install_and_wait(lab.gql, lab.business, [key_login])
    assert task["status"] == "SUCCESS", describe(task)
    host_id = hosts_by_ip(lab.gql, [ip])[ip]["bkHostId"]
    installed = wait_agents(lab.gql, [ip], lambda a: a is not None and a["alive"])[ip]
    assert installed is not None
    first_pid, first_config = agent_pid(lab.root, host_id), read_config(lab.root, host_id)

    # UPGRADE, logging in with a business account (no credentials in the request): a new program and a
    # new process, the same token.
    alias = f"agent-key-{host_id}"
    create_account(lab.gql, lab.business, alias, lab.user.name, private_key=lab.user.private_key)
    by_account = {"ip": ip, "sshPort": lab.pool.port}
    task = install_and_wait(lab.gql, lab.business, [by_account], operation="UPGRADE", account_alias=alias)
    assert (task["status"], task["name"]) == ("SUCCESS", "UPGRADE_AGENT"), describe(task)
    wait_gone(first_pid)
    upgraded_pid = agent_pid(lab.root, host_id)
    assert upgraded_pid != first_pid
    assert alive(upgraded_pid)
    assert read_config(lab.root, host_id) == first_config
    upgraded = agents(lab.gql, [ip])[ip]
    assert upgraded is not None
    assert upgraded["alive"]
    assert upgraded["tokenIssuedAt"] == installed["tokenIssuedAt"]

    # REINSTALL: uninstall, then install with a new token.
    task = install_and_wait(lab.gql, lab.business, [key_login], operation="REINSTALL")
    assert task["status"] == "SUCCESS", describe(task)
    wait_gone(upgraded_pid)
    assert read_config(lab.root, host_id)["token"] != first_config["token"]
    reinstalled = agents(lab.gql, [ip])[ip]
    assert reinstalled is not None
    assert reinstalled["alive"]
    assert reinstalled["tokenIssuedAt"] > installed["tokenIssuedAt"]
    reinstalled_pid = agent_pid(lab.root, host_id)

    # REMOVE: the agent goes entirely; the host stays in the CMDB.
    task = install_and_wait(lab.gql, lab.business, [key_login], operation="REMOVE")
    assert task["status"] == "SUCCESS", describe(task)
    wait_gone(reinstalled_pid)
    assert not agent_dir(lab.root, host_id).exists()
    host = hosts_by_ip(lab.gql, [ip])[ip]
    assert (host["bkHostId"], host["agent"]) == (host_id, None)

    # Nothing left to upgrade.
    task = install_and_wait(lab.gql, lab.business, [key_login], operation="UPGRADE")
    assert task["status"] == "FAILED"
    result = results(task)[ip]
    assert (result["status"], result["failure"]) == ("FAILED", "AGENT_NOT_INSTALLED"), describe(task)


def test_unreachable_host_and_wrong_password(agent_lab: AgentLab) -> None:
    lab = agent_lab
    dead_ip, closed_port = "127.0.9.2", free_port()
    wrong_ip = lab.pool.addresses[1]
    before = agents(lab.gql, [wrong_ip]).get(wrong_ip)
    hosts = [
        {"ip": dead_ip, "sshPort": closed_port, "username": lab.user.name, "password": lab.user.password},
        lab.login(wrong_ip, password=lab.user.password + "-wrong"),
    ]

    task = install_and_wait(lab.gql, lab.business, hosts)

    assert task["status"] == "FAILED", describe(task)
    by_ip = results(task)
    dead, wrong = by_ip[dead_ip], by_ip[wrong_ip]
    assert (dead["status"], dead["phase"], dead["failure"]) == ("FAILED", "connect", "UNREACHABLE")
    assert f"{dead_ip}:{closed_port}" in dead["error"]
    assert "refused" in dead["error"]
    assert (wrong["status"], wrong["phase"], wrong["failure"]) == ("FAILED", "connect", "AUTH_FAILED")
    assert lab.user.name in wrong["error"]
    assert agents(lab.gql, [dead_ip])[dead_ip] is None  # never reached: no agent state at all
    assert agents(lab.gql, [wrong_ip]).get(wrong_ip) == before


def _refused(lab: AgentLab, hosts: list[dict[str, Any]], code: str, **options: Any) -> dict[str, Any]:
    payload = install(lab.gql, lab.business, hosts, **options)
    assert payload["task"] is None, payload
    (error,) = payload["errors"]
    assert error["code"] == code, error
    return dict(error)


def test_refusals_change_nothing(agent_lab: AgentLab) -> None:
    lab = agent_lab
    fresh = "127.0.9.3"
    login = lab.login(fresh)

    error = _refused(lab, [login], "NO_PROXY", node_type="PAGENT")
    assert "cloud area 0" in error["message"]
    assert "PROXY" in error["message"]
    assert "WINDOWS" in _refused(lab, [{**login, "osType": "WINDOWS"}], "INVALID")["message"]
    assert _refused(lab, [{**login, "privateKey": lab.user.private_key}], "INVALID")["field"] == "hosts[0].password"
    assert _refused(lab, [{k: v for k, v in login.items() if k != "password"}], "INVALID")
    assert _refused(lab, [{**login, "password": None, "privateKey": "not a key"}], "INVALID")["field"] == (
        "hosts[0].privateKey"
    )
    assert _refused(lab, [{**login, "ip": "300.1.1.1"}], "INVALID")["field"] == "hosts[0].ip"
    assert _refused(lab, [login, login], "DUPLICATE")
    assert _refused(lab, [login], "NOT_FOUND", cloud=987654)["field"] == "bkCloudId"
    assert _refused(lab, [{"ip": fresh}], "ACCOUNT_NOT_FOUND", account_alias="no-such-account")
    assert fresh not in hosts_by_ip(lab.gql, [fresh]), "a refused install added a host"

    # A host of another business is not taken over.
    other = create_business(lab.gql, f"agents-other-{lab.root.name}")
    claimed = install_and_wait(lab.gql, other, [lab.login("127.0.9.4", sshPort=free_port())])
    assert claimed["status"] == "FAILED"  # unreachable, but now a host of `other`
    assert _refused(lab, [lab.login("127.0.9.4")], "HOST_IN_OTHER_BUSINESS")


def test_host_without_python3(
    agent_lab: AgentLab, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """An sshd whose sessions get a PATH with `sh` and `uname` but no python3: the host fails in check_os."""
    lab = agent_lab
    tools = AGENT_ROOT_BASE / f"{lab.root.name}-no-python"  # not under pytest's tmp: the login user reads it
    tools.mkdir(mode=0o755, parents=True)
    for program in ("sh", "uname"):
        (tools / program).symlink_to(shutil.which(program) or f"/bin/{program}")
    template = sshd_support._config
    monkeypatch.setattr(sshd_support, "_config", lambda *args: template(*args) + f"SetEnv PATH={tools}\n")
    address = "127.0.7.10"
    pool = sshd_support.SshdPool(tmp_path_factory.mktemp("sshd-no-python"), [address], lab.user).start()
    try:
        task = install_and_wait(lab.gql, lab.business, [lab.login(address, sshPort=pool.port)])
    finally:
        pool.stop()
        shutil.rmtree(tools)

    result = results(task)[address]
    assert (result["status"], result["phase"]) == ("FAILED", "check_os"), describe(task)
    assert result["failure"] == "PREREQUISITE_MISSING"
    assert "python3 is not installed" in result["error"], describe(task)
    assert agents(lab.gql, [address])[address] is None  # nothing was written to the host or the database
