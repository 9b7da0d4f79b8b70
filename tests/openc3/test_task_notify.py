"""A tree node's notify subscribers hear about its tasks as upstream's code/notify tells them: on
success, fail and each wait, per the environment's `is<Calltype><Status><Channel>` switches, with
its templates, through the messaging outbox — mail to a real SMTP server, sms to a real HTTP
receiver. `_` stands for whoever started the task."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.compat.job_support import JobEstate, job_estate
from tests.executors.conftest import SshdPoolFactory
from tests.messaging.support import PROFILE
from tests.openc3.support import C3Client, user_with_role, wait_status, wait_task
from tests.openc3.test_jobs_on_hosts import cmd_step
from tests.openc3.test_task_holds import control, wait_subtask
from tests.support.mail_sink import ReceivedMail, SmtpSink, WebhookReceiver
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshUser

TEMPLATES = {
    "notifyTemplateEmailTitle": "T ${projectid} ${name} ${status}",
    "notifyTemplateEmailContent": "task ${uuid} ${status} by ${user} (${calltype}) ${unknown}",
    "notifyTemplateSmsContent": "S ${uuid}=${status}",
}
SWITCHES = {"isPageSuccessEmail": True, "isPageSuccessSms": False}
RESTORE = {"isPageSuccessEmail": False, "isPageSuccessSms": False, **dict.fromkeys(TEMPLATES, "")}


@pytest.fixture
def estate(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> JobEstate:
    return job_estate(gql, f"c3note{unique}", sshd_pool(1), ssh_user, alias="ops")


@pytest.fixture
def environment(c3: C3Client) -> Iterator[None]:
    """The notification switches and templates of this test; the defaults again afterwards."""
    assert c3.ok("POST", "/api/job/environment", json={**TEMPLATES, **SWITCHES}) == 1
    yield
    c3.ok("POST", "/api/job/environment", json=RESTORE)


def mails_to(sink: SmtpSink, receivers: set[str]) -> dict[str, ReceivedMail]:
    """The next mails until each of `receivers` got one (one SMTP transaction may carry several)."""
    found: dict[str, ReceivedMail] = {}
    while set(found) < receivers:
        mail = sink.next_mail()
        found.update(dict.fromkeys(mail.envelope_to, mail))
    assert set(found) == receivers, found
    return found


def text_of(mail: ReceivedMail) -> str:
    body = mail.message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def run_job(starter: C3Client, tree: int, name: str, steps: list[dict[str, Any]]) -> str:
    job = starter.envelope("POST", f"/api/job/jobs/{tree}", json={"name": name, "data": steps})["uuid"]
    return str(starter.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})["uuid"])


def test_subscribers_hear_of_success_waiting_and_failure(
    server: Server,
    gql: GraphQLClient,
    c3: C3Client,
    estate: JobEstate,
    mail_channel: SmtpSink,
    webhooks: WebhookReceiver,
    environment: None,
    unique: str,
) -> None:
    tree = estate.biz
    name = f"dev{unique}"
    starter = user_with_role(server, gql, name, estate.business, "maintainer")
    phone = "139" + str(int(unique, 16))[-8:].zfill(8)
    payload = gql.ok(PROFILE, {"input": {"username": name, "email": f"{name}@example.com", "phone": phone}})
    assert payload["updateUserProfile"]["errors"] == [], payload
    outsider = f"ext{unique}@example.com"
    assert c3.ok("POST", f"/api/job/notify/{tree}", json={"user": "_"}) == 1
    assert c3.ok("POST", f"/api/job/notify/{tree}", json={"user": outsider}) == 1
    receivers = {f"{name}@example.com", outsider}

    # Success (isPageSuccessEmail on, isPageSuccessSms off): one mail to each subscriber.
    ok = run_job(starter, tree, "fine", [cmd_step("ok", estate.ips[0], "echo fine")])
    assert wait_task(c3, tree, ok)["status"] == "success"
    mails = mails_to(mail_channel, receivers)
    assert str(mails[outsider].message["Subject"]) == f"T {tree} fine success"
    assert text_of(mails[outsider]).strip() == f"task {ok} success by {name} (page) ${{unknown}}"

    # A failed step waits (isPageWaiting* on by default): a mail each, and an sms to the starter.
    broken = run_job(starter, tree, "broken", [cmd_step("breaks", estate.ips[0], "exit 3")])
    wait_status(c3, tree, broken, "waiting")
    step = wait_subtask(c3, tree, broken, 0, "decision")
    mails = mails_to(mail_channel, receivers)
    assert str(mails[outsider].message["Subject"]) == f"T {tree} broken waiting"
    sms = webhooks.next_call()
    assert (sms.path, sms.body["receiver"], sms.body["content"]) == ("/sms", phone, f"S {broken}=waiting")
    # Decided `fail`: the failure is announced the same way (isPageFail* on by default).
    assert c3.ok("POST", f"/api/job/subtask/{tree}", json=control(broken, step, "fail")) == 1
    assert wait_task(c3, tree, broken)["status"] == "fail"
    mails = mails_to(mail_channel, receivers)
    assert str(mails[f"{name}@example.com"].message["Subject"]) == f"T {tree} broken fail"
    assert webhooks.next_call().body["content"] == f"S {broken}=fail"

    # Switched off: nothing is sent for a success.
    assert c3.ok("POST", "/api/job/environment", json={"isPageSuccessEmail": False}) == 1
    quiet = run_job(starter, tree, "quiet", [cmd_step("ok", estate.ips[0], "echo quiet")])
    assert wait_task(c3, tree, quiet)["status"] == "success"
    mail_channel.assert_empty(wait=2)
    assert webhooks.calls.empty(), webhooks.calls.get_nowait()


def test_each_wait_is_announced_and_a_refusal_is_not(
    server: Server,
    gql: GraphQLClient,
    c3: C3Client,
    estate: JobEstate,
    mail_channel: SmtpSink,
    environment: None,
    unique: str,
) -> None:
    """Upstream sets a task's notify flag back each time it waits, so a step that fails again after
    `running` is announced again; its poller announces success, fail and waiting only, so a refused
    task is not announced (isPageFail* on)."""
    tree = estate.biz
    outsider = f"out{unique}@example.com"
    assert c3.ok("POST", f"/api/job/notify/{tree}", json={"user": outsider}) == 1
    counter = f"/tmp/c3twice{unique}"
    twice = f"n=$(cat {counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {counter}; [ $n -ge 3 ]"
    run = run_job(c3, tree, "twice", [cmd_step("flaky", estate.ips[0], twice)])
    subjects = []
    for _ in range(2):
        step = wait_subtask(c3, tree, run, 0, "decision")
        subjects.append(str(mails_to(mail_channel, {outsider})[outsider].message["Subject"]))
        assert c3.ok("PUT", f"/api/job/subtask/{tree}", json=control(run, step, "running")) == 1
    assert wait_task(c3, tree, run)["status"] == "success"
    subjects.append(str(mails_to(mail_channel, {outsider})[outsider].message["Subject"]))
    assert subjects == [f"T {tree} twice waiting", f"T {tree} twice waiting", f"T {tree} twice success"]

    approver = f"nomail{unique}"
    deciding = user_with_role(server, gql, approver, estate.business, "viewer")  # no address: no mail to it either
    refused = c3.ok(
        "POST",
        f"/api/job/task/{tree}/plugin_approval",
        json={"name": "gate", "cont": "go?", "approver": approver},
    )["uuid"]
    wait_status(c3, tree, refused, "waiting")
    link = next(row["uuid"] for row in deciding.ok("GET", "/api/job/approval") if row["taskuuid"] == refused)
    assert deciding.ok("POST", "/api/job/approval", json={"uuid": link, "opinion": "refuse"}) == 1
    assert wait_task(c3, tree, refused)["status"] == "refuse"
    mail_channel.assert_empty(wait=3)
