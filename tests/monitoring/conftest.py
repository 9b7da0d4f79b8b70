"""The monitoring lab: one server per backend with heartbeats every second and detection every
second, agents installed over real sshd on three loopback hosts, a default SSH account (collectors
are deployed with it) and the mail channel pointed at a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest

from tests.agents.support import (
    AGENT_ROOT_BASE,
    admin_client,
    describe,
    hosts_by_ip,
    install_and_wait,
    kill_agents,
    lab_env,
    own_server,
)
from tests.executors.conftest import SshdPoolFactory, ssh_user, sshd_pool  # noqa: F401
from tests.executors.support import create_account
from tests.messaging.support import configure_mail
from tests.monitoring.support import DETECT_SECONDS, MonitorLab
from tests.support.mail_sink import SmtpSink
from tests.support.server import Server
from tests.support.sshd import SshUser
from tests.support.topology import create_business


@pytest.fixture(scope="session")
def monitor_smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def monitor_lab(
    server: Server,
    sshd_pool: SshdPoolFactory,  # noqa: F811
    ssh_user: SshUser,  # noqa: F811
    monitor_smtp: SmtpSink,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[MonitorLab]:
    root = AGENT_ROOT_BASE / f"mon-{uuid.uuid4().hex[:10]}"
    pool = sshd_pool(3)
    env = lab_env(root, OPSGRAPH_MONITOR_DETECT_SECONDS=str(DETECT_SECONDS), OPSGRAPH_MONITOR_LEASE_SECONDS="5")
    try:
        with own_server(server, tmp_path_factory.mktemp("monitor-lab"), env) as instance:
            gql = admin_client(instance)
            business = create_business(gql, f"monitor-{root.name}")
            logins = [
                {"ip": ip, "sshPort": pool.port, "username": ssh_user.name, "password": ssh_user.password}
                for ip in pool.addresses
            ]
            task = install_and_wait(gql, business, logins)
            assert task["status"] == "SUCCESS", describe(task)
            create_account(gql, business, "ops", ssh_user.name, private_key=ssh_user.private_key, is_default=True)
            configure_mail(gql, monitor_smtp.port)
            hosts = {
                ip: {"id": h["id"], "bkHostId": h["bkHostId"]} for ip, h in hosts_by_ip(gql, pool.addresses).items()
            }
            yield MonitorLab(instance, gql, business, root, pool, ssh_user, monitor_smtp, hosts)
    finally:
        kill_agents(root)
        shutil.rmtree(root, ignore_errors=True)
