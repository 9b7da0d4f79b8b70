"""SIGKILL of a worker mid-task: within a bounded time another worker resolves the task — the
command the dead worker left running on the host is killed (not orphaned), the host says so
(INTERRUPTED), hosts that had finished keep their results and logs, and nothing stays RUNNING."""

from __future__ import annotations

import time
from typing import Any

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    host_results,
    remote_logs,
    run_script,
    sleep_argument,
    summary,
    wait_for_task,
    wait_until,
)
from tests.scaleout.cluster import LEASE_SECONDS, Cluster
from tests.scaleout.support import admin, estate, lease_owner, sql, task_pk
from tests.support.sshd import SshUser

# Lease expiry, one supervisor interval, and the time to reconnect and kill, with room for a busy CI.
TAKEOVER_BOUND = LEASE_SECONDS + LEASE_SECONDS / 3 + 30


def test_sigkill_of_a_worker_mid_task(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql = admin(cluster.servers[0])
    hosts = estate(gql, f"kill-{unique}", sshd_pool(4), ssh_user)
    *fast_ips, slow_ip = hosts.ips
    duration = sleep_argument(300, unique)
    content = (
        f'set -- $SSH_CONNECTION; echo "start $3"\nif [ "$3" = "{slow_ip}" ]; then sleep {duration}; fi\necho "done $3"'
    )
    ref = run_script(gql, hosts, content)

    def fast_done_slow_running(task: dict[str, Any]) -> bool:
        results = host_results(task)
        return all(results[ip]["status"] == "SUCCESS" for ip in fast_ips) and (
            results[slow_ip]["status"] == "RUNNING" and f"start {slow_ip}" in results[slow_ip]["log"]
        )

    before = host_results(
        wait_until(gql, ref, fast_done_slow_running, what="fast hosts done, slow one running", timeout=60)
    )
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
