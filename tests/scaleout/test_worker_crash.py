"""SIGKILL of a worker mid-task: within a bounded time another worker resolves the task — the
command the dead worker left running on the host is killed (not orphaned), the host says so
(INTERRUPTED), hosts that had finished keep their results and logs, and nothing stays RUNNING."""

from __future__ import annotations

import time

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    host_results,
    remote_logs,
    sleep_argument,
    summary,
    wait_for_task,
)
from tests.scaleout.cluster import LEASE_SECONDS, Cluster
from tests.scaleout.support import admin, estate, lease_owner, run_with_one_slow_host, sql, task_pk
from tests.support.sshd import SshUser

# Lease expiry, one supervisor interval, and the time to reconnect and kill, with room for a busy CI.
TAKEOVER_BOUND = LEASE_SECONDS + LEASE_SECONDS / 3 + 30


def test_sigkill_of_a_worker_mid_task(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql = admin(cluster.servers[0])
    hosts = estate(gql, f"kill-{unique}", sshd_pool(4), ssh_user)
    *fast_ips, slow_ip = hosts.ips
    ref, before = run_with_one_slow_host(gql, hosts, unique)
    duration = sleep_argument(300, unique)  # the slow host's sleep, as run_with_one_slow_host runs it
    victim = lease_owner(cluster, f"task:{task_pk(ref.id)}")
    killed_at = time.monotonic()
    cluster.workers[victim].kill()
    try:
        task = wait_for_task(gql, ref, timeout=TAKEOVER_BOUND)
        took = time.monotonic() - killed_at
        assert task["status"] == "ABNORMAL", summary(task)
        assert took < TAKEOVER_BOUND
        after = host_results(task)
        slow = after[slow_ip]
        assert (slow["status"], slow["failure"]) == ("ABNORMAL", "INTERRUPTED"), summary(task)
        assert "killed" in slow["error"], slow["error"]  # the remote process group was stopped first
        assert f"start {slow_ip}" in slow["log"]
        for ip in fast_ips:  # finished hosts: same result, same log
            assert after[ip] == before[ip]
            assert after[ip]["log"] == f"start {ip}\ndone {ip}\n"
        # No orphan: the sleep the dead worker started is gone from the host.
        probe = remote_logs(
            gql, hosts, f"pgrep -u {ssh_user.name} -f 'slee[p] {duration}' || echo none", hosts.host_ids[:1]
        )
        assert probe[hosts.ips[0]].strip() == "none"
        counts = sql(
            cluster.database_url,
            "SELECT (SELECT count(*) FROM task WHERE status IN ('RUNNING', 'CANCELLING')) AS running,"
            " (SELECT count(*) FROM task_host_result WHERE task_id = $1 AND status = 'SUCCESS' AND log = '') AS lost",
            task_pk(ref.id),
        )[0]
        assert (counts["running"], counts["lost"]) == (0, 0)
    finally:
        cluster.workers[victim].start()
