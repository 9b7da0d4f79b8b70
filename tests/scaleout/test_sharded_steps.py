"""Sharded steps keep a job's semantics across workers: the next step starts only once every shard
of the previous one is done, a failed host fails the step (and the job stops there), a cancel
from another server reaches every shard — running commands killed, waiting hosts never started — and
a worker stopped with SIGTERM mid-shard lets its running hosts finish and hands the rest back."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import (
    SshEstate,
    TaskRef,
    host_results,
    remote_logs,
    run_script,
    sleep_argument,
    summary,
    task_mutation,
    wait_for_task,
    wait_until,
)
from tests.scaleout.cluster import SHARD_HOSTS, Cluster
from tests.scaleout.support import admin, estate, sql, task_pk
from tests.support.server import GraphQLClient
from tests.support.sshd import SshUser
from tests.support.topology import mutate_ok

HOSTS = 3 * SHARD_HOSTS  # three shards per step
CREATE_TEMPLATE = """
mutation($b: ID!, $name: String!, $steps: [JobStepInput!]!) {
  createJobTemplate(input: {businessId: $b, name: $name, steps: $steps}) {
    jobTemplate { id } errors { code field message }
  }
}"""
RUN_JOB = """
mutation($t: ID!) {
  runJob(input: {templateId: $t}) { task { id jobInstanceId status } errors { code field message } }
}"""
BK_HOST_IDS = "query($ips: [String!]!) { hosts(first: 500, filter: {innerIps: $ips}) { nodes { innerIp bkHostId } } }"


def _run_job(gql: GraphQLClient, hosts: SshEstate, name: str, contents: list[str]) -> TaskRef:
    bk_ids = [h["bkHostId"] for h in gql.ok(BK_HOST_IDS, {"ips": hosts.ips})["hosts"]["nodes"]]
    assert len(bk_ids) == len(hosts.ips)
    steps = [
        {"kind": "script", "name": f"step-{i + 1}", "config": {"content": content, "host_ids": bk_ids}}
        for i, content in enumerate(contents)
    ]
    template = mutate_ok(gql, CREATE_TEMPLATE, {"b": hosts.business.id, "name": name, "steps": steps})
    started = mutate_ok(gql, RUN_JOB, {"t": template["jobTemplate"]["id"]})["task"]
    return TaskRef(started["id"], started["jobInstanceId"])


def _layouts(cluster: Cluster, task_id: int) -> list[Any]:
    rows = sql(cluster.database_url, "SELECT config FROM task_step WHERE task_id = $1 ORDER BY position", task_id)
    configs = [json.loads(r["config"]) if isinstance(r["config"], str) else r["config"] for r in rows]
    return [config.get("shards") for config in configs]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_each_step_waits_for_every_shard_of_the_one_before(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql = admin(cluster.servers[0])
    hosts = estate(gql, f"barrier-{unique}", sshd_pool(HOSTS), ssh_user)
    ref = _run_job(gql, hosts, f"barrier-{unique}", ['set -- $SSH_CONNECTION; echo "one $3"; sleep 1', "echo two"])
    task = wait_for_task(gql, ref, timeout=240)
    assert task["status"] == "SUCCESS", summary(task)
    first, second = host_results(task, 0), host_results(task, 1)
    assert {ip: r["log"] for ip, r in first.items()} == {ip: f"one {ip}\n" for ip in hosts.ips}
    assert {r["log"] for r in second.values()} == {"two\n"}
    assert len(second) == HOSTS
    # The barrier: no host of step 2 started before the last host of step 1 had finished.
    assert min(_at(r["startedAt"]) for r in second.values()) >= max(_at(r["finishedAt"]) for r in first.values())
    assert [len(layout) for layout in _layouts(cluster, task_pk(ref.id))] == [3, 3]


def test_a_failed_host_fails_the_sharded_step_and_stops_the_job_until_retried(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql = admin(cluster.servers[0])
    hosts = estate(gql, f"fails-{unique}", sshd_pool(HOSTS), ssh_user)
    failing = hosts.ips[HOSTS - 7]  # in the last shard
    marker = f"/tmp/opsgraph-test-marker-{unique}"
    step_one = f'set -- $SSH_CONNECTION; echo "one $3"; [ "$3" != "{failing}" ] || [ -f {marker} ] || exit 3'
    ref = _run_job(gql, hosts, f"fails-{unique}", [step_one, "echo two"])
    task = wait_for_task(gql, ref, timeout=240)
    assert task["status"] == "FAILED", summary(task)
    assert "step 1" in task["error"]
    first = host_results(task, 0)
    assert (first[failing]["status"], first[failing]["exitCode"], first[failing]["failure"]) == (
        "FAILED",
        3,
        "NON_ZERO_EXIT",
    )
    assert {r["status"] for ip, r in first.items() if ip != failing} == {"SUCCESS"}
    assert [s["status"] for s in task["steps"]] == ["FAILED", "PENDING"]
    assert {(r["status"], r["log"]) for r in host_results(task, 1).values()} == {("PENDING", "")}  # never ran

    # A retry runs the failed host again (in its shard, on whichever worker) and then step 2 everywhere.
    remote_logs(gql, hosts, f"touch {marker}", hosts.host_ids[:1])
    try:
        retried = task_mutation(gql, "retryFailedHosts", ref.id)
        assert retried["errors"] == [], retried["errors"]
        task = wait_for_task(gql, ref, timeout=240)
    finally:
        remote_logs(gql, hosts, f"rm -f {marker}", hosts.host_ids[:1])
    assert task["status"] == "SUCCESS", summary(task)
    after = host_results(task, 0)
    assert {ip: r for ip, r in after.items() if ip != failing} == {ip: r for ip, r in first.items() if ip != failing}
    assert (after[failing]["status"], after[failing]["log"]) == ("SUCCESS", f"one {failing}\n")
    assert {(r["status"], r["log"]) for r in host_results(task, 1).values()} == {("SUCCESS", "two\n")}


def test_a_cancel_from_the_other_server_reaches_every_shard(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql_a, gql_b = admin(cluster.servers[0]), admin(cluster.servers[1])
    hosts = estate(gql_a, f"shardcancel-{unique}", sshd_pool(HOSTS), ssh_user)
    duration = sleep_argument(120, unique)
    ref = run_script(gql_a, hosts, f"echo started; sleep {duration}")
    pk = task_pk(ref.id)

    def two_workers_running_shards(task: dict[str, Any]) -> bool:
        rows = sql(
            cluster.database_url,
            "SELECT holder FROM lease WHERE name LIKE $1 AND holder <> '' AND expires_at > extract(epoch from now())",
            f"shard:{task['steps'][0]['id']}:%",
        )
        started = sum(1 for r in host_results(task).values() if r["status"] == "RUNNING" and r["log"])
        return len({r["holder"] for r in rows}) == 2 and started >= 2 * SHARD_HOSTS

    wait_until(gql_a, ref, two_workers_running_shards, what="two shards asleep on two workers", timeout=120)
    payload = task_mutation(gql_b, "cancelTask", ref.id)
    assert payload["errors"] == [], payload["errors"]
    task = wait_for_task(gql_a, ref, timeout=90)
    assert task["status"] == "CANCELLED", summary(task)
    results = host_results(task)
    assert {r["status"] for r in results.values()} == {"CANCELLED"}
    started = [r for r in results.values() if r["log"]]
    assert len(started) >= 2 * SHARD_HOSTS  # the running ones were killed; the third shard never started
    assert all("remote process killed" in r["error"] for r in started), summary(task)
    left = sql(cluster.database_url, "SELECT count(*) AS n FROM remote_process WHERE task_id = $1", pk)
    assert left[0]["n"] == 0
    probe = remote_logs(gql_a, hosts, f"pgrep -f 'slee[p] {duration}' || echo none", hosts.host_ids[:1])
    assert probe[hosts.ips[0]].strip() == "none"


def test_sigterm_hands_the_shards_back(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql = admin(cluster.servers[0])
    hosts = estate(gql, f"shardterm-{unique}", sshd_pool(HOSTS), ssh_user)
    ref = _run_job(gql, hosts, f"shardterm-{unique}", ['set -- $SSH_CONNECTION; echo "one $3"; sleep 3', "echo two"])
    pids = {w.process.pid: i for i, w in enumerate(cluster.workers) if w.process is not None}

    def a_shard_running(task: dict[str, Any]) -> bool:
        holders = sql(
            cluster.database_url,
            "SELECT holder FROM lease WHERE name LIKE $1 AND holder <> '' AND expires_at > extract(epoch from now())",
            f"shard:{task['steps'][0]['id']}:%",
        )
        return bool(holders) and any(r["log"] for r in host_results(task).values())

    running = wait_until(gql, ref, a_shard_running, what="a shard running", timeout=120)
    holder = sql(
        cluster.database_url,
        "SELECT holder FROM lease WHERE name LIKE $1 AND holder <> '' LIMIT 1",
        f"shard:{running['steps'][0]['id']}:%",
    )[0]["holder"]
    worker = cluster.workers[pids[int(holder.split(":")[1])]]
    try:
        assert worker.terminate(timeout=60) == 0  # a clean exit: its running hosts finished, the rest handed back
        task = wait_for_task(gql, ref, timeout=240)
        assert task["status"] == "SUCCESS", summary(task)
        assert {ip: r["log"] for ip, r in host_results(task, 0).items()} == {ip: f"one {ip}\n" for ip in hosts.ips}
        assert {r["log"] for r in host_results(task, 1).values()} == {"two\n"}  # each host ran each step once
        assert len(host_results(task, 1)) == HOSTS
    finally:
        worker.start()
