"""Helpers of the scale-out tests: an estate on the loopback sshd, reading the database directly
(counts that no API should be trusted to report about itself), and events followed over a server."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from tests.executors.support import (
    SshEstate,
    TaskRef,
    host_results,
    login,
    run_script,
    sleep_argument,
    ssh_estate,
    wait_until,
)
from tests.scaleout.cluster import Cluster
from tests.support.server import ADMIN_PASSWORD, GraphQLClient, Server
from tests.support.sshd import SshdPool, SshUser


def admin(server: Server) -> GraphQLClient:
    return login(server.url, "admin", ADMIN_PASSWORD)


def estate(gql: GraphQLClient, name: str, pool: SshdPool, user: SshUser, count: int | None = None) -> SshEstate:
    return ssh_estate(gql, name, pool, user, count=count)


def sql(database_url: str, query: str, *args: Any) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        connection = await asyncpg.connect(database_url, timeout=5)
        try:
            return [dict(row) for row in await connection.fetch(query, *args)]
        finally:
            await connection.close()

    return asyncio.run(run())


def lease_owner(cluster: Cluster, name: str) -> int:
    """The index in `cluster.workers` of the worker holding the live lease `name`."""
    rows = sql(
        cluster.database_url,
        "SELECT holder FROM lease WHERE name = $1 AND expires_at > extract(epoch from now())",
        name,
    )
    assert rows, f"a worker holds the lease {name}"
    pid = int(rows[0]["holder"].split(":")[1])
    for index, worker in enumerate(cluster.workers):
        if worker.process is not None and worker.process.pid == pid:
            return index
    raise AssertionError(f"the lease holder {rows[0]['holder']} is none of our workers")


def task_pk(global_id: str) -> int:
    from opsgraph.core.ids import decode_global_id

    return decode_global_id(global_id, "Task")[1]


def run_with_one_slow_host(gql: GraphQLClient, hosts: SshEstate, unique: str) -> tuple[TaskRef, dict[str, Any]]:
    """A script on `hosts` whose last host sleeps ~300 s after printing `start`; the others end at
    once. Returns the task and its host results once the others are done and the last is running."""
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

    task = wait_until(gql, ref, fast_done_slow_running, what="fast hosts done, slow one running", timeout=60)
    return ref, host_results(task)
