"""A callback sent by an `opsgraph worker` (which does not load the REST layer) has the body its
caller's dialect asked for: a job started through bk's `job` paths on a server, run by a worker,
POSTs bk-job's callback_protocol body to `bk_callback_url`, received by a real HTTP server."""

from __future__ import annotations

from tests.compat.bk_client import make_client
from tests.compat.job_support import b64, job_estate, ok, wait_finished
from tests.compat.test_job_callback import Receiver, receiver  # noqa: F401 - the fixture is used here
from tests.executors.conftest import SshdPoolFactory
from tests.scaleout.cluster import Cluster
from tests.scaleout.support import admin, sql
from tests.support.server import APP_CODE, APP_SECRET
from tests.support.sshd import SshUser


def test_a_bk_job_callback_sent_by_a_worker_has_the_bk_job_body(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, receiver: Receiver, unique: str
) -> None:
    server = cluster.servers[0]
    estate = job_estate(admin(server), f"workercb{unique}", sshd_pool(1), ssh_user)
    bk = make_client(server.url, app_code=APP_CODE, app_secret=APP_SECRET, username="admin")
    body = {
        "bk_biz_id": estate.biz,
        "script_content": b64("echo called back from a worker"),
        "account": estate.alias,
        "ip_list": estate.ip_list(*estate.ips),
        "bk_callback_url": f"{receiver.url}/worker/{unique}",
    }
    job = ok(bk.job.fast_execute_script(data=body))["job_instance_id"]

    path, callback = receiver.next(timeout=60)
    status = wait_finished(bk, estate.biz, job, timeout=60)
    step_id = status["blocks"][0]["step_instances"][0]["step_instance_id"]
    assert path == f"/worker/{unique}"
    steps = [{"step_instance_id": step_id, "status": 3}]
    assert callback == {"job_instance_id": job, "status": 3, "step_instances": steps, "step_instance_list": steps}
    # Run, and so called back, by a worker: the servers of a distributed deployment run no task.
    outcome = sql(cluster.database_url, "SELECT callback_status, callback_attempts FROM task WHERE id = $1", job)
    assert outcome == [{"callback_status": "DELIVERED", "callback_attempts": 1}]
