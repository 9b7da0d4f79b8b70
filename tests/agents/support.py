"""Helpers for the agent tests: a server of their own (fast heartbeats, a per-run install root), the
installAgents mutation, reading agent status, and finding/killing the agent processes we started.

Several loopback "hosts" are one machine, so each agent lives in `<root>/<host id>/` and runs as the
test login user; the root is unique per server so parallel sessions never touch each other's agents.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.executors.support import FINISHED, TaskRef, login
from tests.support import databases
from tests.support.server import ADMIN_PASSWORD, GraphQLClient, Server, free_port
from tests.support.sshd import SshdPool, SshUser
from tests.support.topology import Business, run_mutation

AGENT_ROOT_BASE = Path("/tmp/opsgraph-agent-test")
HEARTBEAT_SECONDS = 1
ALIVE_SECONDS = 3
USER_ERROR = "errors { code field message }"
INSTALL = f"""
mutation($input: InstallAgentsInput!) {{
  installAgents(input: $input) {{ task {{ id jobInstanceId status kind name }} {USER_ERROR} }}
}}"""
CREATE_CLOUD_AREA = f"""
mutation($name: String!) {{ createCloudArea(input: {{name: $name}}) {{ cloudArea {{ bkCloudId }} {USER_ERROR} }} }}"""
AGENT_FIELDS = (
    "alive nodeType status bkCloudId version hostname os kernel uptime load lastHeartbeat tokenIssuedAt installDir"
)
HOSTS = f"""
query($ips: [String!]!) {{
  hosts(first: 50, filter: {{innerIps: $ips}}) {{
    nodes {{ id bkHostId innerIp bkCloudId bkBizId sshPort agent {{ {AGENT_FIELDS} }} }}
  }}
}}"""
RESULT_FIELDS = "ip hostId status phase failure error exitCode log"
TASK = f"""
query($j: Int!) {{ task(jobInstanceId: $j) {{
  id jobInstanceId kind name status error
  steps {{ kind name status hostResults(first: 100) {{ nodes {{ {RESULT_FIELDS} }} }} }}
}} }}"""


@dataclass
class AgentLab:
    """A server whose agents beat every second, a business for the installs, and where agents live."""

    server: Server
    gql: GraphQLClient
    business: Business
    root: Path
    pool: SshdPool
    user: SshUser

    def login(self, ip: str, **extra: Any) -> dict[str, Any]:
        """An AgentHostInput for a pool address with the test user's password (overridable)."""
        login = {"ip": ip, "sshPort": self.pool.port, "username": self.user.name, "password": self.user.password}
        return {**login, **extra}


def lab_env(root: Path, **extra: str) -> dict[str, str]:
    return {
        "OPSGRAPH_AGENT_INSTALL_ROOT": str(root),
        "OPSGRAPH_AGENT_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "OPSGRAPH_AGENT_ALIVE_SECONDS": str(ALIVE_SECONDS),
        "OPSGRAPH_AGENT_INSTALL_WAIT_SECONDS": "20",
        **extra,
    }


@contextmanager
def own_server(shared: Server, directory: Path, env: dict[str, str], port: int | None = None) -> Iterator[Server]:
    """A server with its own database on `shared`'s backend, on `port` (known before it starts)."""
    postgres = not shared.database_url.startswith("sqlite")
    url = databases.create_postgres_database() if postgres else databases.migrated_sqlite_url(directory)
    instance = Server(database_url=url, data_dir=directory, port=port or free_port(), extra_env=env)
    try:
        instance.cli("admin", "create-user", "admin", "--password", ADMIN_PASSWORD, "--superuser")  # migrates too
        instance.start()
        yield instance
    finally:
        instance.stop()
        if postgres:
            databases.drop_postgres_database(url)


def admin_client(server: Server) -> GraphQLClient:
    return login(server.url, "admin", ADMIN_PASSWORD)


# -- installs -------------------------------------------------------------------------------------------------


def install(
    gql: GraphQLClient,
    business: Business,
    hosts: list[dict[str, Any]],
    *,
    operation: str = "INSTALL",
    node_type: str = "AGENT",
    cloud: int = 0,
    account_alias: str | None = None,
) -> dict[str, Any]:
    """The installAgents payload (task + errors)."""
    variables = {
        "input": {
            "businessId": business.id,
            "operation": operation,
            "nodeType": node_type,
            "bkCloudId": cloud,
            "hosts": hosts,
            "accountAlias": account_alias,
        }
    }
    return run_mutation(gql, INSTALL, variables)


def start_install(gql: GraphQLClient, business: Business, hosts: list[dict[str, Any]], **options: Any) -> TaskRef:
    payload = install(gql, business, hosts, **options)
    assert payload["errors"] == [], payload["errors"]
    task = payload["task"]
    assert task["kind"] == "AGENT_INSTALL", task
    return TaskRef(task["id"], task["jobInstanceId"])


def get_task(gql: GraphQLClient, ref: TaskRef) -> dict[str, Any]:
    task: dict[str, Any] = gql.ok(TASK, {"j": ref.job_instance_id})["task"]
    return task


def wait_task(
    gql: GraphQLClient, ref: TaskRef, done: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 40
) -> dict[str, Any]:
    """Poll until `done(task)` (default: the task finished); fail with its state after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        task = get_task(gql, ref)
        if (done or (lambda t: t["status"] in FINISHED))(task):
            return task
        if time.monotonic() > deadline:
            raise AssertionError(f"task not there within {timeout} s: {describe(task)}")
        time.sleep(0.1)


def install_and_wait(
    gql: GraphQLClient, business: Business, hosts: list[dict[str, Any]], **options: Any
) -> dict[str, Any]:
    return wait_task(gql, start_install(gql, business, hosts, **options))


def results(task: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """ip → that host's result (an install task has one step)."""
    return {r["ip"]: r for r in task["steps"][0]["hostResults"]["nodes"]}


def describe(task: dict[str, Any]) -> str:
    lines = [f"task {task['jobInstanceId']} {task['name']} {task['status']} {task['error']!r}"]
    for ip, r in results(task).items():
        lines.append(f"  {ip}: {r['status']} phase={r['phase']} failure={r['failure']} error={r['error']!r}")
        lines.append("    " + r["log"][-600:].replace("\n", "\n    "))
    return "\n".join(lines)


def create_cloud_area(gql: GraphQLClient, name: str) -> int:
    payload = run_mutation(gql, CREATE_CLOUD_AREA, {"name": name})
    assert payload["errors"] == [], payload["errors"]
    area: int = payload["cloudArea"]["bkCloudId"]
    return area


# -- status ---------------------------------------------------------------------------------------------------


def hosts_by_ip(gql: GraphQLClient, ips: list[str], cloud: int = 0) -> dict[str, dict[str, Any]]:
    nodes = gql.ok(HOSTS, {"ips": ips})["hosts"]["nodes"]
    return {h["innerIp"]: h for h in nodes if h["bkCloudId"] == cloud}


def agents(gql: GraphQLClient, ips: list[str], cloud: int = 0) -> dict[str, dict[str, Any] | None]:
    return {ip: host["agent"] for ip, host in hosts_by_ip(gql, ips, cloud).items()}


def wait_agents(
    gql: GraphQLClient,
    ips: list[str],
    check: Callable[[dict[str, Any] | None], bool],
    *,
    cloud: int = 0,
    timeout: float = 15,
) -> dict[str, dict[str, Any] | None]:
    deadline = time.monotonic() + timeout
    while True:
        found = agents(gql, ips, cloud)
        if len(found) == len(ips) and all(check(agent) for agent in found.values()):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"agents not there within {timeout} s: {found}")
        time.sleep(0.2)


# -- the agent processes on this machine ----------------------------------------------------------------------


def agent_dir(lab_root: Path, host_id: int) -> Path:
    return lab_root / str(host_id)


def read_config(lab_root: Path, host_id: int) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((agent_dir(lab_root, host_id) / "agent.json").read_text())
    return config


def agent_pids(root: Path) -> dict[int, str]:
    """pid → command line of every running agent started from under `root` (ours only)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "opsgraph_agent.py" in command and f"{root}/" in command:
            found[int(entry.name)] = command
    return found


def process_owner(pid: int) -> str:
    return pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] if Path(f"/proc/{pid}").exists() else "X"
    return state != "Z"


def wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} still running after {timeout} s"
        time.sleep(0.05)


def kill_agents(root: Path) -> None:
    """Teardown: stop every agent started under `root`, by pid."""
    pids = agent_pids(root)
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in pids:
        if alive(pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def agent_pid(root: Path, host_id: int) -> int:
    """The pid of the agent of `host_id`, from its pid file (which the agent writes itself)."""
    return int((agent_dir(root, host_id) / "agent.pid").read_text().strip())


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.05)


def unused_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])
