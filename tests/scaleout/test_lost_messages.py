"""A task message taken off the queue by a worker that dies before it leases the task is run by
another worker within about a lease's length (the message waits in the taker's own list until its
handler returns, and a dead taker's list goes back onto the queue: executors/taskiq_queue.py), not
after the flat requeue delay (60 s here, its default)."""

from __future__ import annotations

import time

import pytest

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import run_script, summary, wait_for_task
from tests.scaleout.cluster import DEFAULT_REQUEUE_AFTER_SECONDS, SHORT_LEASE_SECONDS, Cluster
from tests.scaleout.support import admin, estate
from tests.support.sshd import SshUser

# On PostgreSQL (and Redis), so scripts/test runs it in its PostgreSQL process (which also keeps the
# suite's two halves even).
pytestmark = pytest.mark.postgres

QUEUE = "opsgraph:tasks"
TAKING = "opsgraph:taking:"
# The dead taker's presence lease expires, then a supervisor pass (whose own lease the dead worker
# may have held: one more lease), then the run itself; well under the flat requeue delay.
REQUEUE_BOUND = 2 * SHORT_LEASE_SECONDS + 10
assert REQUEUE_BOUND < DEFAULT_REQUEUE_AFTER_SECONDS


def test_a_message_taken_by_a_worker_that_dies_is_run_by_another(
    short_lease_cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    cluster = short_lease_cluster
    gql = admin(cluster.servers[0])
    hosts = estate(gql, f"lost-{unique}", sshd_pool(1), ssh_user)
    for worker in cluster.workers:
        # Frozen, each worker's blocking take stays pending in Redis: Redis hands the next message
        # to one of them, which then cannot lease the task (as if it died right after taking it).
        worker.freeze()
    try:
        ref = run_script(gql, hosts, "echo ran")
        deadline = time.monotonic() + 10
        takers: dict[str, int] = {}
        while not takers:
            assert time.monotonic() < deadline, "no frozen worker took the message"
            lists = [key for key in cluster.redis.command("KEYS", f"{TAKING}*").splitlines() if key]
            takers = {key: int(cluster.redis.command("LLEN", key)) for key in lists}
            takers = {key: count for key, count in takers.items() if count}
            time.sleep(0.1)
        assert cluster.redis.command("LLEN", QUEUE) == "0"
        assert list(takers.values()) == [1], takers
        taker_pid = int(next(iter(takers)).split(":")[3])
        victim = next(i for i, w in enumerate(cluster.workers) if w.process is not None and w.process.pid == taker_pid)
        cluster.workers[victim].kill()
        killed_at = time.monotonic()
    finally:
        for worker in cluster.workers:
            worker.thaw()
    try:
        task = wait_for_task(gql, ref, timeout=REQUEUE_BOUND + 30)
        took = time.monotonic() - killed_at
        assert task["status"] == "SUCCESS", summary(task)
        assert took < REQUEUE_BOUND, f"the lost message ran again only after {took:.1f} s"
        assert [r["log"] for r in task["steps"][0]["hostResults"]["nodes"]] == ["ran\n"]  # once
    finally:
        cluster.workers[victim].start()
