"""A callback sent by an `opsgraph worker` (which does not load the REST layer) has the body its
caller's dialect asked for: a job started through bk's `job` paths on a server, run by a worker,
POSTs bk-job's callback_protocol body to `bk_callback_url`, received by a real HTTP server."""

from __future__ import annotations

import time

from tests.compat.bk_client import make_client
from tests.compat.job_support import b64, job_estate, ok, wait_finished
from tests.executors.conftest import SshdPoolFactory
from tests.scaleout.cluster import Cluster
from tests.scaleout.support import admin, sql
from tests.support.server import APP_CODE, APP_SECRET
from tests.support.sshd import SshUser
from tests.tickets.support import receiver


def test_a_bk_job_callback_sent_by_a_worker_has_the_bk_job_body(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    server = cluster.servers[0]
    estate = job_estate(admin(server), f"workercb{unique}", sshd_pool(1), ssh_user)
    bk = make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username="admin")
    with receiver() as hook:
        body = {
            "bk_biz_id": estate.biz,
            "script_content": b64("echo called back from a worker"),
            "account": estate.alias,
            "ip_list": estate.ip_list(*estate.ips),
            "bk_callback_url": f"{hook.url}/worker/{unique}",
        }
        job = ok(bk.job.fast_execute_script(data=body))["job_instance_id"]
        headers, callback = hook.next(timeout=60)
    status = wait_finished(bk, estate.biz, job, timeout=60)
    step_id = status["blocks"][0]["step_instances"][0]["step_instance_id"]
    steps = [{"step_instance_id": step_id, "status": 3}]
    assert callback == {"job_instance_id": job, "status": 3, "step_instances": steps, "step_instance_list": steps}
    assert headers["x-opsgraph-delivery-id"].startswith(f"task-{job}-")
    # Run, and so called back, by a worker: the servers of a distributed deployment run no task.
    query = "SELECT callback_status, callback_attempts FROM task WHERE id = $1"
    deadline = time.monotonic() + 10  # the worker records the outcome right after the receiver answers
    while (outcome := sql(cluster.database_url, query, job))[0]["callback_status"] != "DELIVERED":
        assert time.monotonic() < deadline, outcome
        time.sleep(0.1)
    assert outcome == [{"callback_status": "DELIVERED", "callback_attempts": 1}]
