"""OpenC3 jobs on real hosts (OpenSSH sshd on loopback): a job written and run by name, variables,
idempotent starts, node groups resolved at run time, failed-step decisions, and the levels."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.compat.job_support import JobEstate, job_estate
from tests.executors.conftest import SshdPoolFactory
from tests.openc3.support import (
    C3Client,
    client_uuid,
    host_logs,
    module_tree,
    user_with_role,
    wait_status,
    wait_task,
)
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshUser
from tests.support.topology import create_module, create_set

MODULE_ID = """
query($b: Int!) {
  business(bkBizId: $b) { sets(first: 10) { nodes { name modules(first: 10) { nodes { name bkModuleId } } } } }
}"""


@pytest.fixture
def estate(gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str) -> JobEstate:
    return job_estate(gql, f"c3jobs{unique}", sshd_pool(2), ssh_user, alias="ops")


def cmd_step(name: str, nodes: str, script: str, argv: str = "", node_type: str = "buildin") -> dict[str, Any]:
    return {
        "plugin_type": "cmd",
        "name": name,
        "user": "ops",
        "node_type": node_type,
        "node_cont": nodes,
        "scripts_type": "content",
        "scripts_cont": script,
        "scripts_argv": argv,
        "timeout": 30,
    }


def test_a_job_written_and_run_by_name_on_real_hosts(
    c3: C3Client, gql: GraphQLClient, estate: JobEstate, unique: str
) -> None:
    tree = estate.biz
    script = 'echo "v=$1 on $(hostname -I 2>/dev/null || true)"; echo "VERSION:[$1]"'
    created = c3.envelope(
        "POST",
        f"/api/job/jobs/{tree}",
        json={
            "name": "deploy",
            "data": [cmd_step("say", ",".join(estate.ips), script, "$version")],
        },
    )
    assert created["stat"] is True, created
    job_uuid = created["uuid"]
    assert (
        c3.ok("POST", f"/api/job/variable/{tree}", json={"jobuuid": job_uuid, "name": "version", "value": "1.0"}) == 1
    )
    # The doc's typo and the corrected path read the same variables.
    for path in (f"/api/job/varuable/{tree}/{job_uuid}", f"/api/job/variable/{tree}/{job_uuid}"):
        assert [(v["name"], v["value"]) for v in c3.ok("GET", path)] == [("version", "1.0")]
    job = c3.ok("GET", f"/api/job/jobs/{tree}/{job_uuid}")
    assert (job["name"], job["data"][0]["scripts_cont"]) == ("deploy", script)
    assert c3.ok("GET", f"/api/job/jobs/{tree}/count") == {"permanent": 1}

    uuid = client_uuid(unique)
    body = {"jobname": "deploy", "uuid": uuid, "variable": {"version": "2.0"}}
    started = c3.envelope("POST", f"/api/job/task/{tree}/job/byname", json=body)
    assert (started["stat"], started["uuid"]) == (True, uuid), started
    again = c3.envelope("POST", f"/api/job/task/{tree}/job/byname", json=body)
    assert (again["stat"], again["info"]) == (True, "This task has been successfully created"), again
    task = wait_task(c3, tree, uuid)
    assert task["status"] == "success", task
    assert (task["calltype"], task["jobtype"], task["jobuuid"]) == ("page", "jobs", job_uuid)
    assert "version: '2.0'" in task["variable"]
    logs = host_logs(gql, task["id"])
    assert sorted(logs) == sorted(estate.ips), logs
    assert all("v=2.0" in log for log in logs.values()), logs
    subtasks = c3.ok("GET", f"/api/job/subtask/{tree}/{uuid}")
    assert [(s["subtask_type"], s["status"], s["nodecount"]) for s in subtasks] == [("cmd", "success", 2)]
    assert [t["uuid"] for t in c3.ok("GET", f"/api/job/task/{tree}")].count(uuid) == 1
    assert c3.ok("GET", f"/api/job/task/{tree}/zzzzzzzzzzzz") == {"status": "norun"}
    # By uuid, with the job's own variable: a second task.
    second = c3.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job_uuid})
    assert wait_task(c3, tree, second["uuid"])["status"] == "success"
    assert all("v=1.0" in log for log in host_logs(gql, wait_task(c3, tree, second["uuid"])["id"]).values())
    # A redo runs the same job with the same variables, as a new task.
    redo = c3.envelope("POST", f"/api/job/task/{tree}/redo", json={"taskuuid": uuid})
    assert redo["uuid"] != uuid
    assert all("v=2.0" in log for log in host_logs(gql, wait_task(c3, tree, redo["uuid"])["id"]).values())
    # A one-off command, and what the analysis endpoints make of the node's four tasks.
    one_off = c3.ok(
        "POST",
        f"/api/job/task/{tree}/plugin_cmd",
        json={
            "name": "adhoc",
            "user": "ops",
            "node_type": "buildin",
            "node_cont": estate.ips[0],
            "scripts_type": "shell",
            "scripts_cont": "echo adhoc-$1",
            "scripts_argv": "$what",
            "variable": {"what": "ok"},
        },
    )
    assert wait_task(c3, tree, one_off["uuid"])["jobtype"] == "plugin_cmd"
    assert host_logs(gql, wait_task(c3, tree, one_off["uuid"])["id"]) == {estate.ips[0]: "adhoc-ok\n"}
    assert c3.ok("GET", f"/api/job/task/{tree}/count")["success"] == 4
    assert [t["name"] for t in c3.ok("GET", f"/api/job/task/{tree}/analysis/last", params={"count": 2})] == [
        "adhoc",
        "deploy",
    ]
    assert sum(day[1] for day in c3.ok("GET", f"/api/job/task/{tree}/analysis/date")) == 4
    assert sum(hour[1] for hour in c3.ok("GET", f"/api/job/task/{tree}/analysis/hour")) == 4
    assert float(c3.ok("GET", f"/api/job/task/{tree}/analysis/runtime")["0-1"]) == 100.0
    assert {"id": tree, "name": tree, "count": 4} in c3.ok("GET", f"/api/job/task/{tree}/analysis/statistics")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    totals = c3.ok("GET", f"/api/job/task/{tree}/total_count", params={"time_start": today, "time_end": today})
    assert totals["success"] == 4


def test_a_variable_left_undefined_refuses_the_start(c3: C3Client, estate: JobEstate) -> None:
    tree = estate.biz
    uuid = c3.envelope(
        "POST",
        f"/api/job/jobs/{tree}",
        json={
            "name": "needs-var",
            "data": [cmd_step("x", estate.ips[0], "echo $1", "$missing ${other}")],
        },
    )["uuid"]
    info = c3.refused("POST", f"/api/job/task/{tree}/job", json={"jobuuid": uuid, "variable": {"other": "1"}})
    assert info == "variable undef:missing"
    assert c3.ok("GET", f"/api/job/task/{tree}") == []


def test_a_node_group_picks_up_a_host_added_later(c3: C3Client, gql: GraphQLClient, estate: JobEstate) -> None:
    create_set(gql, estate.business, "web")
    create_module(gql, estate.business, "web", "app")
    sets = gql.ok(MODULE_ID, {"b": estate.biz})["business"]["sets"]["nodes"]
    module = next(m for s in sets if s["name"] == "web" for m in s["modules"]["nodes"] if m["name"] == "app")
    tree = module_tree(module["bkModuleId"])
    first, second = estate.ips
    assert isinstance(c3.ok("POST", f"/api/job/nodelist/{tree}", json={"name": first}), int)
    group = c3.ok(
        "POST", f"/api/job/nodegroup/{tree}", json={"name": "all", "plugin": "node", "params": f"{first},{second}"}
    )
    assert c3.ok("GET", f"/api/job/nodegroup/{tree}/{group}/nodelist") == [first]
    job = c3.envelope(
        "POST",
        f"/api/job/jobs/{tree}",
        json={
            "name": "grouped",
            "data": [cmd_step("hi", str(group), "echo hi", node_type="group")],
        },
    )["uuid"]
    run = c3.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})["uuid"]
    assert wait_task(c3, tree, run)["status"] == "success"
    assert [s["nodecount"] for s in c3.ok("GET", f"/api/job/subtask/{tree}/{run}")] == [1]
    c3.ok("POST", f"/api/job/nodelist/{tree}", json={"name": second})
    assert sorted(c3.ok("GET", f"/api/job/nodegroup/{tree}/{group}/nodelist")) == sorted([first, second])
    run = c3.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})["uuid"]
    assert wait_task(c3, tree, run)["status"] == "success"
    assert [s["nodecount"] for s in c3.ok("GET", f"/api/job/subtask/{tree}/{run}")] == [2]
    assert (
        c3.ok("GET", f"/api/job/nodeinfo/{tree}/check", params={"node": f"{first},10.255.255.254"}) == "10.255.255.254"
    )
    # Taking the machines off the module puts them back in the business's idle module.
    for machine in c3.ok("GET", f"/api/job/nodelist/{tree}"):
        assert c3.ok("DELETE", f"/api/job/nodelist/{tree}/{machine['id']}") == 1
    assert c3.ok("GET", f"/api/job/nodeinfo/{tree}/count") == {"node": 0}
    assert c3.ok("GET", f"/api/job/nodeinfo/{estate.biz}/count") == {"node": 2}


def test_a_failed_step_waits_for_a_decision(c3: C3Client, estate: JobEstate) -> None:
    tree = estate.biz
    job = c3.envelope(
        "POST",
        f"/api/job/jobs/{tree}",
        json={
            "name": "flaky",
            "data": [
                cmd_step("breaks", estate.ips[0], "exit 3"),
                cmd_step("after", estate.ips[0], "echo after"),
            ],
        },
    )["uuid"]
    run = c3.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})["uuid"]
    # As upstream: the task waits, its failed step in `decision` (tests/openc3/test_task_holds.py has the rest).
    assert wait_status(c3, tree, run, "waiting")["finishtime"] is None
    deadline = time.monotonic() + 30
    while (subtasks := c3.ok("GET", f"/api/job/subtask/{tree}/{run}"))[0]["status"] != "decision":
        assert time.monotonic() < deadline, subtasks
        time.sleep(0.2)
    broken, after = subtasks
    assert after["status"] == "init"
    control = {"taskuuid": run, "subtaskuuid": broken["uuid"], "subtasktype": "cmd", "control": "ignore"}
    assert "check format fail control" in c3.refused("PUT", f"/api/job/subtask/{tree}", json=control)
    assert c3.ok("POST", f"/api/job/subtask/{tree}", json=control) == 1
    assert wait_task(c3, tree, run)["status"] == "success"
    assert [s["status"] for s in c3.ok("GET", f"/api/job/subtask/{tree}/{run}")] == ["ignore", "success"]
    assert "not waiting for a decision" in c3.refused("POST", f"/api/job/subtask/{tree}", json=control)


def test_a_level_1_user_is_refused_a_write(
    server: Server, gql: GraphQLClient, c3: C3Client, estate: JobEstate, unique: str
) -> None:
    tree = estate.biz
    operator = user_with_role(server, gql, f"c3lvl{unique}", estate.business, "operator")
    step = cmd_step("x", estate.ips[0], "echo ok")
    assert operator.refused("POST", f"/api/job/jobs/{tree}", json={"name": "nope", "data": [step]}).startswith(
        "Unauthorized"
    )
    job = c3.envelope("POST", f"/api/job/jobs/{tree}", json={"name": "guarded", "data": [step]})["uuid"]
    assert operator.refused("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job}).startswith("Unauthorized")
    # `_authorization_ = true` lets the control level start it.
    c3.ok("POST", f"/api/job/variable/{tree}", json={"jobuuid": job, "name": "_authorization_", "value": "true"})
    run = operator.envelope("POST", f"/api/job/task/{tree}/job", json={"jobuuid": job})
    assert run["stat"] is True, run
    assert wait_task(operator, tree, run["uuid"])["status"] == "success"
    assert operator.ok("GET", f"/api/job/task/{tree}/authorization/any/guarded") == 1
