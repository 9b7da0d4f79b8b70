"""One job split across workers: a 300-host step is cut into shards (OPSGRAPH_SHARD_HOSTS=50) that
both workers run, the task's owner moves on once every shard is done, and the task keeps one
ordered event stream. A worker killed mid-shard loses nothing: its shard is taken over, the
commands it left running are killed and reported INTERRUPTED, its hosts that never started run
elsewhere, and nothing stays RUNNING."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from typing import Any

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    Reading,
    host_results,
    read_events,
    remote_logs,
    run_script,
    sleep_argument,
    summary,
    wait_for_task,
    wait_until,
)
from tests.scaleout.cluster import LEASE_SECONDS, SHARD_HOSTS, Cluster, Worker
from tests.scaleout.support import admin, estate, sql, task_pk
from tests.support.sshd import SshUser

HOSTS = 300
# Lease expiry, the owner's next look at its shards, the time to reconnect and kill, and the rest of
# the job on one worker, with room for a busy CI.
TAKEOVER_BOUND = LEASE_SECONDS + LEASE_SECONDS / 3 + 120


def _ran_per_shard(worker: Worker, task_id: int) -> list[tuple[int, int]]:
    """(shard index, hosts run) for each shard run of `task_id` this worker logged."""
    pattern = re.compile(rf"task {task_id} shard (\d+) of step 1: ran (\d+) host\(s\)")
    return [(int(m.group(1)), int(m.group(2))) for m in pattern.finditer(worker.log_path.read_text())]


def _layout(cluster: Cluster, task_id: int) -> list[list[int]]:
    rows = sql(cluster.database_url, "SELECT config FROM task_step WHERE task_id = $1 AND position = 0", task_id)
    config = rows[0]["config"]
    return list((json.loads(config) if isinstance(config, str) else config)["shards"])


def _follow(cluster: Cluster, token: str, task_id: str) -> tuple[threading.Thread, list[Reading]]:
    readings: list[Reading] = []
    follower = threading.Thread(
        target=lambda: readings.append(
            asyncio.run(asyncio.wait_for(read_events(cluster.servers[1], token, task_id, after=0), 300))
        )
    )
    follower.start()
    return follower, readings


def _assert_one_ordered_stream(follower: threading.Thread, readings: list[Reading], task: dict[str, Any]) -> None:
    follower.join(300)
    assert readings
    assert readings[0].completed
    assert [e["seq"] for e in readings[0].events] == list(range(1, task["lastSeq"] + 1))
    assert readings[0].events[-1]["payload"]["status"] == task["status"]


def test_a_300_host_job_is_split_across_both_workers(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql_a, gql_b = admin(cluster.servers[0]), admin(cluster.servers[1])
    hosts = estate(gql_a, f"shards-{unique}", sshd_pool(HOSTS), ssh_user)
    ref = run_script(gql_a, hosts, 'set -- $SSH_CONNECTION; echo "hello $3"; sleep 1; echo "bye $3"')
    assert gql_b.token is not None
    follower, readings = _follow(cluster, gql_b.token, ref.id)

    task = wait_for_task(gql_b, ref, timeout=240)
    assert task["status"] == "SUCCESS", summary(task)
    results = host_results(task)
    assert len(results) == HOSTS
    for ip, result in results.items():
        assert (result["status"], result["log"]) == ("SUCCESS", f"hello {ip}\nbye {ip}\n"), summary(task)
    pk = task_pk(ref.id)
    _assert_one_ordered_stream(follower, readings, task)

    assert len(_layout(cluster, pk)) == HOSTS // SHARD_HOSTS
    runs = {index: _ran_per_shard(w, pk) for index, w in enumerate(cluster.workers)}
    assert all(sum(n for _, n in shard_runs) > 0 for shard_runs in runs.values()), runs  # both workers ran hosts
    assert sum(n for shard_runs in runs.values() for _, n in shard_runs) == HOSTS, runs  # each host once
    # Every shard ran its hosts once (a duplicate message finds nothing left to run: "ran 0").
    assert sorted(i for shard_runs in runs.values() for i, n in shard_runs if n) == list(range(HOSTS // SHARD_HOSTS))


def _holder_pid(cluster: Cluster, name: str) -> int | None:
    rows = sql(
        cluster.database_url,
        "SELECT holder FROM lease WHERE name = $1 AND holder <> '' AND expires_at > extract(epoch from now())",
        name,
    )
    return int(rows[0]["holder"].split(":")[1]) if rows else None


def test_sigkill_of_a_worker_mid_shard(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql_a, gql_b = admin(cluster.servers[0]), admin(cluster.servers[1])
    hosts = estate(gql_a, f"shardkill-{unique}", sshd_pool(HOSTS), ssh_user)
    # Slow hosts only in shard 0 (the first hosts): whoever runs it is the victim; the rest is quick.
    slow_ips = set(hosts.ips[:SHARD_HOSTS:10])
    duration = sleep_argument(90, unique)
    slow_test = " -o ".join(f'"$3" = "{ip}"' for ip in sorted(slow_ips))
    content = (
        f'set -- $SSH_CONNECTION; echo "start $3"\n'
        f"if [ {slow_test} ]; then sleep {duration}; else sleep 1; fi\n"
        f'echo "done $3"'
    )
    ref = run_script(gql_a, hosts, content)
    assert gql_b.token is not None
    follower, readings = _follow(cluster, gql_b.token, ref.id)
    pk = task_pk(ref.id)
    worker_of_pid = {w.process.pid: i for i, w in enumerate(cluster.workers) if w.process is not None}

    def shard_0_down_to_its_sleepers(task: dict[str, Any]) -> bool:
        if task["status"] != "RUNNING":
            return False
        first, last = _layout(cluster, pk)[0]
        shard_0 = {str(r["ip"]) for r in _result_rows(cluster, pk) if first <= r["id"] <= last}
        assert slow_ips <= shard_0
        results = host_results(task)
        return all(
            results[ip]["status"] == "RUNNING" and results[ip]["log"]
            if ip in slow_ips
            else results[ip]["status"] == "SUCCESS"
            for ip in shard_0
        )

    snapshot = wait_until(
        gql_a, ref, shard_0_down_to_its_sleepers, what="shard 0 down to its slow hosts, asleep", timeout=120
    )
    step_id = int(snapshot["steps"][0]["id"])
    holder = _holder_pid(cluster, f"shard:{step_id}:0")
    assert holder in worker_of_pid, f"shard 0 is held by {holder}, none of our workers"
    victim = worker_of_pid[holder]
    owner_killed = _holder_pid(cluster, f"task:{pk}") == holder
    before = host_results(snapshot)
    killed_at = time.monotonic()
    cluster.workers[victim].kill()
    try:
        task = wait_for_task(gql_a, ref, timeout=TAKEOVER_BOUND)
        assert time.monotonic() - killed_at < TAKEOVER_BOUND
        after = host_results(task)
        assert len(after) == HOSTS
        for ip in slow_ips:  # mid-command at the kill: their process group was stopped, then reported
            result = after[ip]
            assert (result["status"], result["failure"]) == ("ABNORMAL", "INTERRUPTED"), summary(task)
            assert "killed" in result["error"], result["error"]
            assert f"start {ip}" in result["log"]
        for ip, result in after.items():
            if before[ip]["status"] == "SUCCESS":
                assert result == before[ip]  # finished hosts keep their result and log
            if ip not in slow_ips:  # every other host ran once, wherever it ran
                assert (result["status"], result["log"]) == ("SUCCESS", f"start {ip}\ndone {ip}\n"), summary(task)
        assert task["status"] == "FAILED", summary(task)  # its step has interrupted hosts
        _assert_one_ordered_stream(follower, readings, task)
        # The survivor took shard 0 over (and carried the task on if the victim was its owner too).
        survivor = cluster.workers[1 - victim]
        assert 0 in {index for index, _ in _ran_per_shard(survivor, pk)}  # (its hosts that never started)
        assert f"task {pk}: {len(slow_ips)} host(s) left running by a stopped worker" in survivor.log_path.read_text()
        if owner_killed:
            assert f"task {pk} lost its owner in a sharded step" in survivor.log_path.read_text()
        # No orphan: the sleeps the dead worker started are gone; nothing stays RUNNING or PENDING.
        probe = remote_logs(
            gql_a, hosts, f"pgrep -u {ssh_user.name} -f 'slee[p] {duration}' || echo none", hosts.host_ids[:1]
        )
        assert probe[hosts.ips[0]].strip() == "none"
        counts = sql(
            cluster.database_url,
            "SELECT (SELECT count(*) FROM task WHERE status IN ('RUNNING', 'CANCELLING')) AS running,"
            " (SELECT count(*) FROM task_host_result WHERE task_id = $1 AND status IN ('RUNNING', 'PENDING')) AS open,"
            " (SELECT count(*) FROM task_host_result WHERE task_id = $1 AND status = 'SUCCESS' AND log = '') AS lost",
            pk,
        )[0]
        assert (counts["running"], counts["open"], counts["lost"]) == (0, 0, 0)
    finally:
        cluster.workers[victim].start()


def _result_rows(cluster: Cluster, task_id: int) -> list[dict[str, Any]]:
    return sql(cluster.database_url, "SELECT id, ip FROM task_host_result WHERE task_id = $1", task_id)
