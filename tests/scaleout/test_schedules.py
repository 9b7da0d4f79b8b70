"""A cron fires once with three servers up, and keeps firing when the server holding the
scheduler's lease is killed."""

from __future__ import annotations

import time

from tests.executors.conftest import SshdPoolFactory
from tests.scaleout.cluster import LEASE_SECONDS, Cluster
from tests.scaleout.support import admin, estate, sql
from tests.support.sshd import SshUser
from tests.support.topology import mutate_ok

CREATE_TEMPLATE = """
mutation($b: ID!, $name: String!, $steps: [JobStepInput!]!) {
  createJobTemplate(input: {businessId: $b, name: $name, steps: $steps}) {
    jobTemplate { id bkJobId } errors { code field message }
  }
}"""
CREATE_CRON = """
mutation($b: ID!, $t: ID!, $name: String!) {
  createCron(input: {businessId: $b, jobTemplateId: $t, name: $name, expression: "0 0 1 1 *"}) {
    cron { id bkCronId } errors { code field message }
  }
}"""
ENABLE = """
mutation($c: ID!) {
  setCronEnabled(input: {cronId: $c, enabled: true}) { cron { enabled } errors { code field message } }
}"""


def _runs(cluster: Cluster, bk_job_id: int) -> int:
    rows = sql(
        cluster.database_url,
        "SELECT count(*) AS n FROM task WHERE start_way = 3 AND params->>'template_id' = $1",
        str(bk_job_id),
    )
    return int(rows[0]["n"])


def _make_due(cluster: Cluster, cron_id: int) -> None:
    """Due now (its expression fires once a year: only this makes it due during the test)."""
    sql(cluster.database_url, "UPDATE cron SET next_run_at = now() - interval '1 second' WHERE id = $1", cron_id)


def _wait_runs(cluster: Cluster, bk_job_id: int, count: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while _runs(cluster, bk_job_id) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # three scheduler intervals more: a second firing would show now
    return _runs(cluster, bk_job_id)


def test_a_cron_fires_once_with_three_servers(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    while len(cluster.servers) < 3:
        cluster.add_server()
    gql = admin(cluster.servers[0])
    hosts = estate(gql, f"cron-{unique}", sshd_pool(1), ssh_user)
    bk_host = gql.ok("query($h: ID!) { node(id: $h) { ... on Host { bkHostId } } }", {"h": hosts.host_ids[0]})
    step = {
        "kind": "script",
        "name": "tick",
        "config": {"content": "echo tick", "host_ids": [bk_host["node"]["bkHostId"]]},
    }
    template = mutate_ok(gql, CREATE_TEMPLATE, {"b": hosts.business.id, "name": f"t-{unique}", "steps": [step]})
    cron = mutate_ok(
        gql, CREATE_CRON, {"b": hosts.business.id, "t": template["jobTemplate"]["id"], "name": f"c-{unique}"}
    )
    mutate_ok(gql, ENABLE, {"c": cron["cron"]["id"]})
    bk_job_id, cron_id = template["jobTemplate"]["bkJobId"], cron["cron"]["bkCronId"]

    _make_due(cluster, cron_id)
    assert _wait_runs(cluster, bk_job_id, 1, timeout=20) == 1

    # The server holding the scheduler's lease dies: another one fires the next run, once.
    holder = sql(cluster.database_url, "SELECT holder FROM lease WHERE name = 'scheduler'")[0]["holder"]
    pid = int(holder.split(":")[1])
    victim = next(s for s in cluster.servers if s.process is not None and s.process.pid == pid)
    assert victim.process is not None
    victim.process.kill()
    victim.process.wait(10)
    cluster.servers.remove(victim)
    _make_due(cluster, cron_id)
    assert _wait_runs(cluster, bk_job_id, 2, timeout=LEASE_SECONDS * 2 + 20) == 2
