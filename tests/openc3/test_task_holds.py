"""What holds an OpenC3 task, as upstream's code/plugin_cmd and code/pause do, on real hosts:
a failed step of a job waits (task `waiting`, step `decision`) for running / ignore / fail; `_exit_`
and ad-hoc plugin tasks fail at once; a step with `pause` holds the task until `next`; a kill ends
a waiting task."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.compat.job_support import JobEstate, job_estate
from tests.executors.conftest import SshdPoolFactory
from tests.openc3.support import C3Client, host_logs, user_with_role, wait_status, wait_task
from tests.openc3.test_jobs_on_hosts import cmd_step
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshUser


@pytest.fixture
def estate(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> JobEstate:
    return job_estate(gql, f"c3hold{unique}", sshd_pool(1), ssh_user, alias="ops")


def start(c3: C3Client, tree: int, name: str, steps: list[dict[str, Any]], variable: Any = None) -> str:
    job = c3.envelope("POST", f"/api/job/jobs/{tree}", json={"name": name, "data": steps})["uuid"]
    body: dict[str, Any] = {"jobuuid": job}
    if variable is not None:
        body["variable"] = variable
    return str(c3.envelope("POST", f"/api/job/task/{tree}/job", json=body)["uuid"])


def subtasks(c3: C3Client, tree: int, run: str) -> list[dict[str, Any]]:
    return list(c3.ok("GET", f"/api/job/subtask/{tree}/{run}"))


def wait_subtask(c3: C3Client, tree: int, run: str, index: int, status: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        rows = subtasks(c3, tree, run)
        if rows[index]["status"] == status:
            return rows[index]
        assert time.monotonic() < deadline, f"subtask {index} of {run} never reached {status}: {rows}"
        time.sleep(0.2)


def control(uuid: str, subtask: dict[str, Any], what: str) -> dict[str, str]:
    return {"taskuuid": uuid, "subtaskuuid": subtask["uuid"], "subtasktype": subtask["subtask_type"], "control": what}


def test_a_failed_step_waits_and_running_retries_its_failed_hosts(
    c3: C3Client, gql: GraphQLClient, estate: JobEstate, unique: str
) -> None:
    tree = estate.biz
    flag = f"/tmp/c3retry{unique}"
    flaky = f"if [ -e {flag} ]; then echo second-try; else touch {flag}; echo first-try; exit 3; fi"
    run = start(
        c3, tree, "flaky", [cmd_step("flaky", estate.ips[0], flaky), cmd_step("after", estate.ips[0], "echo after")]
    )
    # Upstream parks the task in `waiting`, the failed step in `decision`, the rest not started.
    task = wait_status(c3, tree, run, "waiting")
    assert task["finishtime"] is None, task
    broken = wait_subtask(c3, tree, run, 0, "decision")
    assert subtasks(c3, tree, run)[1]["status"] == "init"
    # Nothing happens on its own: still waiting a moment later.
    time.sleep(1.5)
    assert c3.ok("GET", f"/api/job/task/{tree}/{run}")["status"] == "waiting"
    # PUT (the control level) allows only next / running; `next` has no pause to release here.
    assert "check format fail control" in c3.refused(
        "PUT", f"/api/job/subtask/{tree}", json=control(run, broken, "ignore")
    )
    assert "no update anything" in c3.refused("PUT", f"/api/job/subtask/{tree}", json=control(run, broken, "next"))
    assert c3.ok("PUT", f"/api/job/subtask/{tree}", json=control(run, broken, "running")) == 1
    task = wait_task(c3, tree, run)
    assert task["status"] == "success", task
    assert [s["status"] for s in subtasks(c3, tree, run)] == ["success", "success"]
    assert "second-try" in host_logs(gql, task["id"], 0)[estate.ips[0]]
    # Decided once: the same control again changes nothing.
    assert "no update anything" in c3.refused("POST", f"/api/job/subtask/{tree}", json=control(run, broken, "fail"))


def test_ignore_carries_on_and_fail_ends_the_task_with_its_reason(c3: C3Client, estate: JobEstate) -> None:
    tree = estate.biz
    steps = [cmd_step("breaks", estate.ips[0], "exit 3"), cmd_step("after", estate.ips[0], "echo after")]
    ignored = start(c3, tree, "ignored", steps)
    broken = wait_subtask(c3, tree, ignored, 0, "decision")
    assert c3.ok("POST", f"/api/job/subtask/{tree}", json=control(ignored, broken, "ignore")) == 1
    assert wait_task(c3, tree, ignored)["status"] == "success"
    assert [s["status"] for s in subtasks(c3, tree, ignored)] == ["ignore", "success"]

    failed = start(c3, tree, "failed", steps)
    broken = wait_subtask(c3, tree, failed, 0, "decision")
    assert c3.ok("POST", f"/api/job/subtask/{tree}", json=control(failed, broken, "fail")) == 1
    task = wait_task(c3, tree, failed)
    assert (task["status"], task["reason"]) == ("fail", "stop by admin"), task
    assert [s["status"] for s in subtasks(c3, tree, failed)] == ["fail", "init"]


def test_exit_variable_and_plugin_tasks_fail_at_once(c3: C3Client, estate: JobEstate) -> None:
    tree = estate.biz
    steps = [cmd_step("breaks", estate.ips[0], "exit 3"), cmd_step("after", estate.ips[0], "echo after")]
    run = start(c3, tree, "exits", steps, variable={"_exit_": "1"})
    task = wait_task(c3, tree, run, timeout=30)
    assert task["status"] == "fail", task
    assert "stop by sys._exit_" in task["reason"], task
    assert [s["status"] for s in subtasks(c3, tree, run)] == ["fail", "init"]
    one_off = c3.ok(
        "POST",
        f"/api/job/task/{tree}/plugin_cmd",
        json={
            "name": "adhoc",
            "user": "ops",
            "node_type": "buildin",
            "node_cont": estate.ips[0],
            "scripts_type": "shell",
            "scripts_cont": "exit 4",
        },
    )["uuid"]
    assert wait_task(c3, tree, one_off, timeout=30)["status"] == "fail"


def test_a_paused_step_holds_the_task_until_next(
    server: Server, gql: GraphQLClient, c3: C3Client, estate: JobEstate, unique: str
) -> None:
    tree = estate.biz
    marker = f"/tmp/c3pause{unique}"
    steps = [
        {**cmd_step("first", estate.ips[0], f"echo one > {marker}"), "pause": "check the canary"},
        cmd_step("second", estate.ips[0], f"cat {marker}; echo two"),
    ]
    run = start(c3, tree, "paused", steps)
    wait_status(c3, tree, run, "waiting")
    first, second = subtasks(c3, tree, run)
    assert (first["status"], first["pause"], second["status"], second["pause"]) == (
        "success",
        "check the canary",
        "init",
        "",
    )
    # `next` on a step that has not started yet changes nothing (upstream sets the flag at start).
    assert "no update anything" in c3.refused("PUT", f"/api/job/subtask/{tree}", json=control(run, second, "next"))
    # A viewer (level 0) may not; the control level may (PUT).
    viewer = user_with_role(server, gql, f"c3pv{unique}", estate.business, "viewer")
    assert viewer.refused("PUT", f"/api/job/subtask/{tree}", json=control(run, first, "next")).startswith(
        "Unauthorized"
    )
    operator = user_with_role(server, gql, f"c3po{unique}", estate.business, "operator")
    assert operator.ok("PUT", f"/api/job/subtask/{tree}", json=control(run, first, "next")) == 1
    task = wait_task(c3, tree, run)
    assert task["status"] == "success", task
    assert [(s["status"], s["pause"]) for s in subtasks(c3, tree, run)] == [("success", ""), ("success", "")]
    assert host_logs(gql, task["id"], 1)[estate.ips[0]] == "one\ntwo\n"
    assert "no update anything" in c3.refused("PUT", f"/api/job/subtask/{tree}", json=control(run, first, "next"))


def test_a_failed_step_with_pause_holds_before_the_task_fails(c3: C3Client, estate: JobEstate) -> None:
    """Upstream's plugin_cmd runs code/pause whatever the step's end: after the decision `fail`
    (or an `_exit_` stop) the task waits for `next`, then ends failed; the next step never runs."""
    tree = estate.biz
    steps = [
        {**cmd_step("breaks", estate.ips[0], "exit 3"), "pause": "look first"},
        cmd_step("after", estate.ips[0], "echo after"),
    ]
    run = start(c3, tree, "failpause", steps)
    broken = wait_subtask(c3, tree, run, 0, "decision")
    assert c3.ok("POST", f"/api/job/subtask/{tree}", json=control(run, broken, "fail")) == 1
    held = wait_subtask(c3, tree, run, 0, "fail")
    assert held["pause"] == "look first", held
    time.sleep(1.5)  # held, not ended
    task = c3.ok("GET", f"/api/job/task/{tree}/{run}")
    assert (task["status"], task["finishtime"]) == ("waiting", None), task
    assert c3.ok("PUT", f"/api/job/subtask/{tree}", json=control(run, held, "next")) == 1
    task = wait_task(c3, tree, run)
    assert (task["status"], task["reason"]) == ("fail", "stop by admin"), task
    assert [(s["status"], s["pause"]) for s in subtasks(c3, tree, run)] == [("fail", ""), ("init", "")]

    stopped = start(c3, tree, "exitpause", steps, variable={"_exit_": "cmd"})
    held = wait_subtask(c3, tree, stopped, 0, "fail")
    assert wait_status(c3, tree, stopped, "waiting")["reason"] == "", "held before it ends"
    assert held["pause"] == "look first", held
    assert c3.ok("PUT", f"/api/job/subtask/{tree}", json=control(stopped, held, "next")) == 1
    task = wait_task(c3, tree, stopped)
    assert task["status"] == "fail", task
    assert "stop by sys._exit_" in task["reason"], task


def test_a_kill_ends_a_task_waiting_for_a_decision(c3: C3Client, estate: JobEstate) -> None:
    tree = estate.biz
    run = start(c3, tree, "killed", [cmd_step("breaks", estate.ips[0], "exit 3")])
    wait_subtask(c3, tree, run, 0, "decision")
    assert c3.ok("DELETE", f"/api/job/slave/any/killtask/{run}") == 1
    task = wait_task(c3, tree, run)
    assert task["status"] == "fail", task
    assert [s["status"] for s in subtasks(c3, tree, run)] == ["fail"]


def test_deciding_needs_write_or_control_with_authorization(
    server: Server, gql: GraphQLClient, c3: C3Client, estate: JobEstate, unique: str
) -> None:
    tree = estate.biz
    operator = user_with_role(server, gql, f"c3dop{unique}", estate.business, "operator")
    steps = [cmd_step("breaks", estate.ips[0], "exit 3")]
    run = start(c3, tree, "guarded", steps)
    broken = wait_subtask(c3, tree, run, 0, "decision")
    # POST needs level 2 (write) on an ordinary job: the operator (level 1) is refused, nothing changes.
    assert operator.refused("POST", f"/api/job/subtask/{tree}", json=control(run, broken, "ignore")).startswith(
        "Unauthorized"
    )
    assert subtasks(c3, tree, run)[0]["status"] == "decision"
    assert c3.ok("POST", f"/api/job/subtask/{tree}", json=control(run, broken, "fail")) == 1
    assert wait_task(c3, tree, run)["status"] == "fail"
    # A job whose `_authorization_` is "true" lets the control level decide, as upstream.
    job = c3.envelope("POST", f"/api/job/jobs/{tree}", json={"name": "authorized", "data": steps})["uuid"]
    c3.ok("POST", f"/api/job/variable/{tree}", json={"jobuuid": job, "name": "_authorization_", "value": "true"})
    run = operator.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})["uuid"]
    broken = wait_subtask(c3, tree, run, 0, "decision")
    assert operator.ok("POST", f"/api/job/subtask/{tree}", json=control(run, broken, "ignore")) == 1
    assert wait_task(c3, tree, run)["status"] == "success"
