"""An approval step of an OpenC3 job is an ITSM ticket; its approver decides it on the no-login
mobile path by uuid (unguessable, single-use), and the job carries on on real hosts."""

from __future__ import annotations

import time

import pytest

from tests.compat.job_support import JobEstate, job_estate
from tests.executors.conftest import SshdPoolFactory
from tests.openc3.support import C3Client, user_with_role, wait_status, wait_task
from tests.openc3.test_jobs_on_hosts import cmd_step
from tests.support.mail_sink import SmtpSink
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshUser

PROFILE = """
mutation($u: String!, $e: String!) {
  updateUserProfile(input: {username: $u, email: $e}) { errors { code message } }
}"""


@pytest.fixture
def estate(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> JobEstate:
    return job_estate(gql, f"c3appr{unique}", sshd_pool(1), ssh_user, alias="ops")


def approval_step(approver: str) -> dict[str, str]:
    return {
        "plugin_type": "approval",
        "name": "go?",
        "cont": "deploy to prod",
        "approver": approver,
        "deployenv": "always",
        "action": "always",
        "batches": "always",
        "everyone": "off",
    }


def test_an_approval_step_is_approved_without_login(
    server: Server, gql: GraphQLClient, c3: C3Client, estate: JobEstate, mail_channel: SmtpSink, unique: str
) -> None:
    name = f"boss{unique}"
    boss = user_with_role(server, gql, name, estate.business, "viewer")
    gql.ok(PROFILE, {"u": name, "e": f"{name}@example.com"})
    tree = estate.biz
    job = c3.envelope(
        "POST",
        f"/api/job/jobs/{tree}",
        json={
            "name": "gated",
            "data": [approval_step(name), cmd_step("after", estate.ips[0], "echo approved-run")],
        },
    )["uuid"]
    run = c3.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})["uuid"]
    wait_status(c3, tree, run, "waiting")
    mine = [row for row in boss.ok("GET", "/api/job/approval") if row["taskuuid"] == run]
    assert len(mine) == 1, mine
    assert (mine[0]["opinion"], mine[0]["status"], mine[0]["cont"]) == ("unconfirmed", "wait", "deploy to prod")
    uuid = mine[0]["uuid"]
    assert uuid.isalnum()
    # The approver was mailed the same uuid, through the messaging channel (a real SMTP server).
    mail = mail_channel.next_mail()
    assert mail.envelope_to == [f"{name}@example.com"]
    body = mail.message.get_body(("plain",))
    assert body is not None
    assert f"uuid: {uuid}" in body.get_content()
    phone = C3Client(server.url)  # the mobile page: no cookie at all
    assert phone.ok("GET", f"/api/job/approval/control/{uuid}")[0]["user"] == name
    assert "no such approval" in phone.refused(
        "POST",
        "/api/job/approval/control",
        json={"uuid": uuid[:-1] + ("1" if uuid.endswith("0") else "0"), "opinion": "agree"},
    )
    assert "check format fail opinion" in phone.refused(
        "POST", "/api/job/approval/control", json={"uuid": uuid, "opinion": "ok"}
    )
    assert phone.ok("POST", "/api/job/approval/control", json={"uuid": uuid, "opinion": "agree"}) == 1
    assert wait_task(c3, tree, run)["status"] == "success"
    assert phone.ok("GET", f"/api/job/approval/control/status/{uuid}")["opinion"] == "agree"
    assert "already been decided" in phone.refused(
        "POST", "/api/job/approval/control", json={"uuid": uuid, "opinion": "refuse"}
    )
    assert [s["status"] for s in c3.ok("GET", f"/api/job/subtask/{tree}/{run}")] == ["success", "success"]


def test_a_refusal_ends_the_task_as_refused(
    server: Server, gql: GraphQLClient, c3: C3Client, estate: JobEstate, unique: str
) -> None:
    name = f"nay{unique}"
    approver = user_with_role(server, gql, name, estate.business, "viewer")
    tree = estate.biz
    run = c3.ok("POST", f"/api/job/task/{tree}/plugin_approval", json={**approval_step(name), "name": "one-off"})[
        "uuid"
    ]
    wait_status(c3, tree, run, "waiting")
    uuid = next(row["uuid"] for row in approver.ok("GET", "/api/job/approval") if row["taskuuid"] == run)
    # A logged-in caller may decide only its own approvals (a superuser any, as an override).
    other = user_with_role(server, gql, f"other{unique}", estate.business, "maintainer")
    assert other.refused("POST", "/api/job/approval", json={"uuid": uuid, "opinion": "agree"}).startswith(
        "Unauthorized"
    )
    assert (
        approver.ok("POST", "/api/job/approval", json={"uuid": uuid, "opinion": "refuse", "remarks": "not today"}) == 1
    )
    assert wait_task(c3, tree, run)["status"] == "refuse"
    assert approver.ok("GET", f"/api/job/approval/{uuid}")["remarks"] == "not today"
    # The subtask reads `refuse` too, as upstream's plugin_approval ends it.
    assert [s["status"] for s in c3.ok("GET", f"/api/job/subtask/{tree}/{run}")] == ["refuse"]


def test_an_unanswered_approval_times_out(
    server: Server, gql: GraphQLClient, c3: C3Client, estate: JobEstate, unique: str
) -> None:
    """Upstream's plugin_approval fails the step after its `timeout` (default 86400 s): the task
    ends `fail`, the next step never runs, and the approval can no longer be decided."""
    name = f"late{unique}"
    approver = user_with_role(server, gql, name, estate.business, "viewer")
    tree = estate.biz
    steps = [{**approval_step(name), "timeout": 2}, cmd_step("after", estate.ips[0], "echo too-late")]
    job = c3.envelope("POST", f"/api/job/jobs/{tree}", json={"name": "expiring", "data": steps})["uuid"]
    assert c3.ok("GET", f"/api/job/jobs/{tree}/{job}")["data"][0]["timeout"] == 2
    started = time.monotonic()
    run = c3.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})["uuid"]
    wait_status(c3, tree, run, "waiting")
    uuid = _approval_uuid(approver, run)
    task = wait_task(c3, tree, run, timeout=30)
    assert time.monotonic() - started >= 2
    assert task["status"] == "fail", task
    assert "approval timed out after 2 s" in task["reason"], task
    assert [s["status"] for s in c3.ok("GET", f"/api/job/subtask/{tree}/{run}")] == ["fail", "init"]
    row = approver.ok("GET", f"/api/job/approval/{uuid}")
    assert (row["opinion"], row["status"]) == ("unconfirmed", "done"), row
    assert "already been decided" in approver.refused(
        "POST", "/api/job/approval", json={"uuid": uuid, "opinion": "agree"}
    )
    # An approval with no timeout given waits upstream's default day: still open a moment later.
    patient = c3.ok("POST", f"/api/job/task/{tree}/plugin_approval", json={**approval_step(name), "name": "slow"})
    wait_status(c3, tree, patient["uuid"], "waiting")
    time.sleep(3)
    assert c3.ok("GET", f"/api/job/task/{tree}/{patient['uuid']}")["status"] == "waiting"
    assert c3.ok("DELETE", f"/api/job/slave/any/killtask/{patient['uuid']}") == 1


def _approval_uuid(approver: C3Client, run: str) -> str:
    return str(next(row["uuid"] for row in approver.ok("GET", "/api/job/approval") if row["taskuuid"] == run))


def _opinions(c3: C3Client, uuid: str) -> dict[str, str]:
    return {row["user"]: row["opinion"] for row in c3.ok("GET", f"/api/job/approval/control/{uuid}")}


def test_everyone_on_needs_every_approver(
    server: Server, gql: GraphQLClient, c3: C3Client, estate: JobEstate, mail_channel: SmtpSink, unique: str
) -> None:
    tree = estate.biz
    names = [f"ev1{unique}", f"ev2{unique}"]
    first, second = (user_with_role(server, gql, name, estate.business, "viewer") for name in names)
    for name in names:
        gql.ok(PROFILE, {"u": name, "e": f"{name}@example.com"})
    step = {**approval_step(",".join(names)), "everyone": "on"}
    job = c3.envelope(
        "POST",
        f"/api/job/jobs/{tree}",
        json={"name": "all-agree", "data": [step, cmd_step("after", estate.ips[0], "echo ran")]},
    )["uuid"]
    run = c3.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})["uuid"]
    wait_status(c3, tree, run, "waiting")
    # Each approver is mailed their own uuid.
    mailed = {mail.envelope_to[0] for mail in mail_channel.mails(2)}
    assert mailed == {f"{name}@example.com" for name in names}
    phone = C3Client(server.url)
    one, two = _approval_uuid(first, run), _approval_uuid(second, run)
    assert phone.ok("POST", "/api/job/approval/control", json={"uuid": one, "opinion": "agree"}) == 1
    # One agreement is not enough: the task still waits, the other approver has not answered.
    time.sleep(1.5)
    assert c3.ok("GET", f"/api/job/task/{tree}/{run}")["status"] == "waiting"
    assert _opinions(phone, one) == {names[0]: "agree", names[1]: "unconfirmed"}
    assert phone.ok("POST", "/api/job/approval/control", json={"uuid": two, "opinion": "agree"}) == 1
    assert wait_task(c3, tree, run)["status"] == "success"
    assert _opinions(phone, two) == {names[0]: "agree", names[1]: "agree"}

    # With everyone on, one refusal decides.
    run = c3.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})["uuid"]
    wait_status(c3, tree, run, "waiting")
    assert first.ok("POST", "/api/job/approval", json={"uuid": _approval_uuid(first, run), "opinion": "agree"}) == 1
    refusal = {"uuid": _approval_uuid(second, run), "opinion": "refuse", "remarks": "not now"}
    assert second.ok("POST", "/api/job/approval", json=refusal) == 1
    assert wait_task(c3, tree, run)["status"] == "refuse"
    assert [s["status"] for s in c3.ok("GET", f"/api/job/subtask/{tree}/{run}")][1] == "init"


def test_everyone_off_needs_any_one_approver(
    server: Server, gql: GraphQLClient, c3: C3Client, estate: JobEstate, unique: str
) -> None:
    tree = estate.biz
    names = [f"an1{unique}", f"an2{unique}"]
    _, second = (user_with_role(server, gql, name, estate.business, "viewer") for name in names)
    step = {**approval_step(",".join(names)), "everyone": "off"}
    run = c3.ok("POST", f"/api/job/task/{tree}/plugin_approval", json={**step, "name": "any"})["uuid"]
    wait_status(c3, tree, run, "waiting")
    assert second.ok("POST", "/api/job/approval", json={"uuid": _approval_uuid(second, run), "opinion": "agree"}) == 1
    assert wait_task(c3, tree, run)["status"] == "success"
