"""A worker stalled past its lease (SIGSTOP: a long GC pause, a frozen VM) is taken over like a dead
one; when it wakes it must not overwrite the takeover. Every write of its run is fenced by the
lease's epoch (executors/fencing.py): the takeover's results stand, nothing stays RUNNING, and the
stalled worker says, in one line, that it lost the lease."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import host_results, summary, wait_for_task
from tests.scaleout.cluster import SHORT_LEASE_SECONDS, Cluster
from tests.scaleout.support import admin, estate, lease_owner, run_with_one_slow_host, sql, task_pk
from tests.support.sshd import SshUser

# On PostgreSQL (and Redis), so scripts/test runs it in its PostgreSQL process (which also keeps the
# suite's two halves even).
pytestmark = pytest.mark.postgres

# Lease expiry (the supervisor's lease may have been the stalled worker's too), one supervisor
# interval, and the time to reconnect and kill, with room for a busy machine.
TAKEOVER_BOUND = 2 * SHORT_LEASE_SECONDS + SHORT_LEASE_SECONDS / 3 + 30
HOSTS_QUERY = (
    "SELECT id, status, exit_code, failure, error, log, log_size, phase, started_at, finished_at"
    " FROM task_host_result WHERE task_id = $1 ORDER BY id"
)
TASK_QUERY = "SELECT status, error, finished_at, last_seq FROM task WHERE id = $1"
EVENTS_QUERY = "SELECT count(*) AS events, max(seq) AS last FROM task_event WHERE task_id = $1"


def _stored(cluster: Cluster, task_id: int) -> dict[str, Any]:
    """The task as stored: its row, every host row, its event stream's size."""
    return {
        "task": sql(cluster.database_url, TASK_QUERY, task_id),
        "hosts": sql(cluster.database_url, HOSTS_QUERY, task_id),
        "events": sql(cluster.database_url, EVENTS_QUERY, task_id),
    }


def test_a_stalled_worker_does_not_overwrite_the_takeover(
    short_lease_cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    cluster = short_lease_cluster
    gql = admin(cluster.servers[0])
    hosts = estate(gql, f"stall-{unique}", sshd_pool(3), ssh_user)
    *fast_ips, slow_ip = hosts.ips
    ref, _ = run_with_one_slow_host(gql, hosts, unique)
    task_id = task_pk(ref.id)

    stalled = cluster.workers[lease_owner(cluster, f"task:{task_id}")]
    log_offset = len(stalled.log_text())
    stalled.freeze()
    try:
        task = wait_for_task(gql, ref, timeout=TAKEOVER_BOUND)
        assert task["status"] == "ABNORMAL", summary(task)
        slow = host_results(task)[slow_ip]
        assert (slow["status"], slow["failure"]) == ("ABNORMAL", "INTERRUPTED"), summary(task)
        assert "killed" in slow["error"], slow["error"]  # the takeover stopped the stalled worker's command
        taken_over = _stored(cluster, task_id)
    finally:
        stalled.thaw()

    # Awake again, the stalled worker finds its slow host's command gone (killed) and tries to record
    # that; the fence refuses the write and the run stops, saying so in one line.
    said = f"lost the lease task:{task_id} "
    deadline = time.monotonic() + 30
    while said not in stalled.log_text()[log_offset:]:
        assert time.monotonic() < deadline, f"the stalled worker never said it lost the lease:\n{stalled.log_tail()}"
        time.sleep(0.2)
    time.sleep(2)  # whatever it still had queued would have landed by now
    assert _stored(cluster, task_id) == taken_over  # no host status, log or event changed after the takeover
    assert stalled.log_text()[log_offset:].count(said) == 1
    assert stalled.alive()  # it carries on with other work
    running = sql(
        cluster.database_url,
        "SELECT (SELECT count(*) FROM task WHERE status IN ('RUNNING', 'CANCELLING')) AS tasks,"
        " (SELECT count(*) FROM task_host_result WHERE task_id = $1 AND status = 'RUNNING') AS hosts",
        task_id,
    )[0]
    assert (running["tasks"], running["hosts"]) == (0, 0)
    for ip in fast_ips:  # finished hosts kept their results and logs
        fast = host_results(task)[ip]
        assert (fast["status"], fast["log"]) == ("SUCCESS", f"start {ip}\ndone {ip}\n")
