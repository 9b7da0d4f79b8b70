"""OpenC3 tasks run by `opsgraph worker` processes (PostgreSQL + Redis): the approvers' notices and
the subscribers' notices are mailed from the worker, and every hold is released from a server that
does not run the task (an approval by uuid, `next` on a paused step, a decision on a failed step),
through the broker's confirm."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.compat.job_support import job_estate
from tests.executors.conftest import SshdPoolFactory
from tests.messaging.support import configure_mail
from tests.openc3.support import C3Client, user_with_role, wait_status, wait_task
from tests.openc3.test_approvals import PROFILE, approval_step
from tests.openc3.test_jobs_on_hosts import cmd_step
from tests.openc3.test_task_holds import control, wait_subtask
from tests.openc3.test_task_notify import mails_to, text_of
from tests.scaleout.cluster import Cluster
from tests.scaleout.support import admin
from tests.support.mail_sink import SmtpSink
from tests.support.sshd import SshUser


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as smtp:
        yield smtp


def test_an_openc3_job_held_and_released_across_processes(
    cluster: Cluster, sshd_pool: SshdPoolFactory, ssh_user: SshUser, sink: SmtpSink, unique: str
) -> None:
    server_a, server_b = cluster.servers[:2]
    gql = admin(server_a)
    configure_mail(gql, sink.port)
    estate = job_estate(gql, f"c3scale{unique}", sshd_pool(1), ssh_user, alias="ops")
    tree, ip = estate.biz, estate.ips[0]
    approver = f"boss{unique}"
    user_with_role(server_a, gql, approver, estate.business, "viewer")
    gql.ok(PROFILE, {"u": approver, "e": f"{approver}@example.com"})
    assert gql.token is not None
    on_a, on_b = C3Client(server_a.url, token=gql.token), C3Client(server_b.url, token=gql.token)
    subscriber = f"watch{unique}@example.com"
    assert on_a.ok("POST", f"/api/job/notify/{tree}", json={"user": subscriber}) == 1
    assert on_a.ok("POST", "/api/job/environment", json={"isPageSuccessEmail": True}) == 1
    flag = f"/tmp/c3scale{unique}"
    steps = [
        approval_step(approver),
        {**cmd_step("paused", ip, "echo paused"), "pause": "look first"},
        cmd_step("flaky", ip, f"if [ -e {flag} ]; then echo again; else touch {flag}; exit 3; fi"),
    ]
    job = on_a.envelope("POST", f"/api/job/jobs/{tree}", json={"name": "held", "data": steps})["uuid"]
    run = on_a.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})["uuid"]

    # The worker mails the approver their uuid; the approval is given on the other server.
    wait_status(on_b, tree, run, "waiting")
    notice = mails_to(sink, {f"{approver}@example.com"})[f"{approver}@example.com"]
    uuid = text_of(notice).split("uuid: ")[1].split()[0]
    phone = C3Client(server_b.url)
    assert phone.ok("POST", "/api/job/approval/control", json={"uuid": uuid, "opinion": "agree"}) == 1
    # The paused step holds the task until `next`, sent to the other server too.
    paused = wait_subtask(on_b, tree, run, 1, "success")
    wait_status(on_b, tree, run, "waiting")
    assert on_b.ok("PUT", f"/api/job/subtask/{tree}", json=control(run, paused, "next")) == 1
    # The failed step waits for a decision; `running` re-runs it from server A.
    flaky = wait_subtask(on_b, tree, run, 2, "decision")
    assert on_a.ok("POST", f"/api/job/subtask/{tree}", json=control(run, flaky, "running")) == 1
    assert wait_task(on_b, tree, run)["status"] == "success"
    assert [s["status"] for s in on_b.ok("GET", f"/api/job/subtask/{tree}/{run}")] == ["success"] * 3
    # The subscriber heard of the wait for the decision and of the success.
    subjects = set()
    while len(subjects) < 2:
        subjects.add(str(mails_to(sink, {subscriber})[subscriber].message["Subject"]))
    assert {s.rsplit(" ", 1)[1] for s in subjects} == {"waiting", "success"}, subjects
