"""A server killed mid-request loses no accepted task; a worker stopped with SIGTERM hands its task
back (the hosts running finish, the next step runs on the other worker, nothing runs twice)."""

from __future__ import annotations

import concurrent.futures
import time
from typing import Any

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import RUN_SCRIPT, TaskRef, host_results, script_input, summary, wait_for_task, wait_until
from tests.scaleout.cluster import Cluster
from tests.scaleout.support import admin, estate, sql, task_pk
from tests.support.server import free_port
from tests.support.sshd import SshUser
from tests.support.topology import mutate_ok

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


def test_server_killed_mid_request_loses_no_accepted_task(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    victim = cluster.servers[-1]
    gql = admin(victim)
    hosts = estate(gql, f"srvkill-{unique}", sshd_pool(2), ssh_user)
    variables = {"input": script_input(hosts, "echo accepted")}

    def start() -> dict[str, Any] | None:
        try:
            response = gql.execute(RUN_SCRIPT, variables)
        except Exception:
            return None  # cut off by the kill: no answer, so nothing was promised
        return response.data["runScript"]["task"] if response.status == 200 and response.data else None

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        calls = [pool.submit(start) for _ in range(24)]
        time.sleep(0.5)
        assert victim.process is not None
        victim.process.kill()
        victim.process.wait(10)
        answered = [task for call in calls if (task := call.result()) is not None]
    victim.port = free_port()
    victim.start()
    survivor = admin(cluster.servers[0])
    for task in answered:  # every task a client was told about runs to its end
        ref = TaskRef(task["id"], task["jobInstanceId"])
        assert wait_for_task(survivor, ref, timeout=90)["status"] == "SUCCESS"
    business = sql(cluster.database_url, "SELECT id FROM business WHERE name = $1", f"srvkill-{unique}")[0]["id"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        left = sql(
            cluster.database_url,
            "SELECT count(*) AS n FROM task WHERE business_id = $1 AND status NOT IN ('SUCCESS')",
            business,
        )[0]["n"]
        if left == 0:
            break
        time.sleep(0.5)
    assert left == 0  # tasks stored before the kill but never answered ran too: none is left behind


def test_sigterm_hands_the_task_back(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql = admin(cluster.servers[0])
    hosts = estate(gql, f"handback-{unique}", sshd_pool(3), ssh_user)
    bk_ids = [
        gql.ok("query($h: ID!) { node(id: $h) { ... on Host { bkHostId } } }", {"h": h})["node"]["bkHostId"]
        for h in hosts.host_ids
    ]
    steps = [
        {"kind": "script", "name": "first", "config": {"content": "echo first; sleep 4", "host_ids": bk_ids}},
        {"kind": "script", "name": "second", "config": {"content": "echo second", "host_ids": bk_ids}},
    ]
    template = mutate_ok(gql, CREATE_TEMPLATE, {"b": hosts.business.id, "name": f"hb-{unique}", "steps": steps})
    started = mutate_ok(gql, RUN_JOB, {"t": template["jobTemplate"]["id"]})["task"]
    ref = TaskRef(started["id"], started["jobInstanceId"])
    wait_until(
        gql,
        ref,
        lambda t: all("first" in r["log"] for r in host_results(t).values()),
        what="step 1 running everywhere",
        timeout=60,
    )
    holder = sql(cluster.database_url, "SELECT holder FROM lease WHERE name = $1", f"task:{task_pk(ref.id)}")[0]
    pid = int(holder["holder"].split(":")[1])
    index = next(i for i, w in enumerate(cluster.workers) if w.process is not None and w.process.pid == pid)
    worker = cluster.workers[index]
    try:
        assert worker.terminate(timeout=60) == 0  # a clean exit, after handing back
        task = wait_for_task(gql, ref, timeout=60)
        assert task["status"] == "SUCCESS", summary(task)
        for step in (0, 1):
            for result in host_results(task, step).values():
                assert result["log"].count("first" if step == 0 else "second") == 1, summary(task)
        assert "handed back" in worker.log_tail()
    finally:
        worker.start()
