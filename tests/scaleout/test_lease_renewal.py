"""A live worker keeps its leases even when its database pool is saturated by its own work: the
renewals go through a connection of their own (executors/leases.py). Here every pool connection of
both workers waits on a table lock held by the test (their progress writes are stuck) for longer
than a lease; every task lease must stay live throughout, and the tasks end SUCCESS, not taken
over as if their worker had died."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import TaskRef, get_task, run_script, summary, wait_for_task, wait_until
from tests.scaleout.cluster import SHORT_LEASE_SECONDS, Cluster
from tests.scaleout.support import admin, estate, task_pk
from tests.support.sshd import SshUser

# On PostgreSQL (and Redis), so scripts/test runs it in its PostgreSQL process (which also keeps the
# suite's two halves even).
pytestmark = pytest.mark.postgres

TASKS = 16  # single-host tasks: each has a progress writer of its own, more than two pools of 5 hold
POOL_SIZE = 5  # tortoise's asyncpg pool (maxsize)
WORKERS = 2
HOLD = 1.5 * SHORT_LEASE_SECONDS  # the lock is held past a lease's length
WAITERS = """
SELECT count(*) AS waiting FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"""
# clock_timestamp(), not now(): inside the test's transaction now() stays at its start.
LAPSED = """
SELECT name FROM lease
WHERE name = ANY($1::text[]) AND (holder = '' OR expires_at < extract(epoch from clock_timestamp()))"""


async def _starve_pools(database_url: str, leases: list[str]) -> tuple[int, list[str]]:
    """Hold the host table's write lock until every pool connection waits on it, then for HOLD
    seconds; returns the most connections seen waiting and the leases seen lapsed meanwhile."""
    connection = await asyncpg.connect(database_url, timeout=5)
    lapsed: set[str] = set()
    waiting = 0
    try:
        async with connection.transaction():
            await connection.execute("LOCK TABLE task_host_result IN EXCLUSIVE MODE")  # reads still pass
            deadline = time.monotonic() + 20
            while waiting < WORKERS * POOL_SIZE and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
                waiting = max(waiting, int(await connection.fetchval(WAITERS)))
            held_until = time.monotonic() + HOLD
            while time.monotonic() < held_until:
                lapsed.update(row["name"] for row in await connection.fetch(LAPSED, leases))
                waiting = max(waiting, int(await connection.fetchval(WAITERS)))
                await asyncio.sleep(0.5)
    finally:
        await connection.close()
    return waiting, sorted(lapsed)


def test_leases_are_renewed_while_the_pool_is_saturated(
    short_lease_cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    cluster = short_lease_cluster
    gql = admin(cluster.servers[0])
    hosts = estate(gql, f"starve-{unique}", sshd_pool(TASKS), ssh_user)
    # A line every 0.2 s for ~45 s: the task outlives the lock, its writer always has something to write.
    content = "i=0; while [ $i -lt 225 ]; do echo line $i; i=$((i+1)); sleep 0.2; done"
    refs: list[TaskRef] = [run_script(gql, hosts, content, [host_id]) for host_id in hosts.host_ids]
    for ref in refs:
        wait_until(gql, ref, lambda t: "line 3" in str(t), what="the host is printing", timeout=60)
    leases = [f"task:{task_pk(ref.id)}" for ref in refs]

    waiting, lapsed = asyncio.run(_starve_pools(cluster.database_url, leases))

    assert waiting >= WORKERS * POOL_SIZE, f"only {waiting} connections waited: the pools were not saturated"
    assert lapsed == [], f"leases lapsed while their workers were alive but busy: {lapsed}"
    for ref in refs:
        task = wait_for_task(gql, ref, timeout=120)
        assert task["status"] == "SUCCESS", summary(get_task(gql, ref))
