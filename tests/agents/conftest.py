"""Fixtures for the agent tests: the executor tests' real sshd pool and login user, and one agent
lab server per backend (heartbeat every second, alive window 3 s, agents under a per-run root)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest

from tests.agents.support import AGENT_ROOT_BASE, AgentLab, admin_client, kill_agents, lab_env, own_server
from tests.compat.bk_client import LegacyClient, make_client
from tests.executors.conftest import SshdPoolFactory, ssh_user, sshd_pool  # noqa: F401
from tests.support.server import APP_CODE, APP_SECRET, Server
from tests.support.sshd import SshUser
from tests.support.topology import create_business


@pytest.fixture(scope="session")
def agent_lab(
    server: Server,
    sshd_pool: SshdPoolFactory,  # noqa: F811
    ssh_user: SshUser,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[AgentLab]:
    root = AGENT_ROOT_BASE / uuid.uuid4().hex[:12]
    pool = sshd_pool(3)
    try:
        # No OPSGRAPH_PUBLIC_URL: agents must report to where `opsgraph serve` listens.
        with own_server(server, tmp_path_factory.mktemp("agent-lab"), lab_env(root)) as instance:
            gql = admin_client(instance)
            business = create_business(gql, f"agents-{root.name}")
            yield AgentLab(server=instance, gql=gql, business=business, root=root, pool=pool, user=ssh_user)
    finally:
        kill_agents(root)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def lab_bk(agent_lab: AgentLab) -> LegacyClient:
    """A bkapi-client-core client (login-exempt app, user admin) pointed at the agent lab server."""
    agent_lab.server.cli("admin", "create-app", APP_CODE, "--secret", APP_SECRET, "--skip-user-auth")
    return make_client(agent_lab.server.url, app_code=APP_CODE, app_secret=APP_SECRET, username="admin")
