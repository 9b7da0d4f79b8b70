"""Operations of the distributed deployment: /readyz checks the broker too, /metrics counts the
live workers, and a request id given by a client is in the log of the worker that ran its task."""

from __future__ import annotations

import re
import time
import uuid

import httpx

from tests.executors.conftest import SshdPoolFactory
from tests.executors.support import RUN_SCRIPT, TaskRef, script_input, wait_for_task
from tests.scaleout.cluster import Cluster, ready
from tests.scaleout.support import admin, estate
from tests.support.sshd import SshUser


def test_readyz_and_metrics(cluster: Cluster) -> None:
    answer = ready(cluster.servers[0])
    assert answer.status_code == 200
    assert answer.json()["checks"] == {"database": "ok", "broker": "ok"}
    text = httpx.get(f"{cluster.servers[0].url}/metrics", timeout=10).text
    workers = re.search(r'^opsgraph_worker_leases\{kind="worker"\} (\S+)', text, re.M)
    assert workers is not None
    assert float(workers.group(1)) == len([w for w in cluster.workers if w.alive()])


def test_the_request_id_reaches_the_worker_log(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    gql = admin(cluster.servers[1])
    hosts = estate(gql, f"rid-{unique}", sshd_pool(1), ssh_user)
    request_id = f"rid-{uuid.uuid4().hex}"
    response = gql.execute(
        RUN_SCRIPT, {"input": script_input(hosts, "echo traced")}, headers={"X-Request-Id": request_id}
    )
    task = response.ok()["runScript"]["task"]
    assert wait_for_task(gql, TaskRef(task["id"], task["jobInstanceId"]), timeout=60)["status"] == "SUCCESS"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(f"request_id={request_id}" in worker.log_path.read_text() for worker in cluster.workers):
            return
        time.sleep(0.2)
    raise AssertionError("no worker log line carries the request id")
