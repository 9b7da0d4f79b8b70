"""Uptime tasks after import, through GraphQL against a real TCP server on loopback, probed from the
server node and an agent node: an update takes effect at once, stopping clears the schedule on both
nodes (no results arrive while stopped), starting resumes it, and deleting removes the task with the
strategies imported with it. Bad changes are refused naming the field, and change nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.monitoring.probe_targets import Target
from tests.monitoring.support import USER_ERROR, MonitorLab, wait_for
from tests.monitoring.test_uptime import CREATE_NODE, IMPORT_NODES, IMPORT_TASKS, NODE_CONF
from tests.support.server import free_port

TASKS = "query($b: ID!) { uptimeTasks(businessId: $b) { id bkTaskId name config nodeIds period status } }"
EXPORT = "query($b: ID!, $ids: [Int!]) { exportUptimeTasks(businessId: $b, taskIds: $ids) }"
SOURCES = "query($b: ID!) { monitorSources(businessId: $b, first: 100) { nodes { bkMonitorId title } } }"
QUERY = "query($sql: String!) { queryData(sql: $sql) { rows } }"
UPDATE = f"""
mutation($input: UpdateUptimeTaskInput!) {{
  updateUptimeTask(input: $input) {{ task {{ name config period status nodeIds }} {USER_ERROR} }}
}}"""
RUNNING = f"""
mutation($input: SetUptimeTaskRunningInput!) {{
  setUptimeTaskRunning(input: $input) {{ task {{ status }} {USER_ERROR} }}
}}"""
DELETE = f"mutation($input: DeleteUptimeTaskInput!) {{ deleteUptimeTask(input: $input) {{ deletedId {USER_ERROR} }} }}"


@pytest.fixture
def tcp() -> Iterator[Target]:
    target = Target("tcp").start()
    yield target
    target.stop()


def _monitor_conf(title: str) -> dict[str, Any]:
    level = {"detect_algorithm": [{"algorithm_id": 1000, "config": {"threshold": 50, "method": "lt"}}]}
    return {"display_name": title, "alarm_level_config": {"1": level}, "rules": {"count": 1, "check_window": 2}}


def _results(lab: MonitorLab, task_id: int, seconds: int) -> dict[str, float]:
    sql = (
        f'select min(available) as a from {lab.biz}_uptimecheck_tcp where time >= "{seconds}s" '
        f"and task_id = '{task_id}' group by node_id"
    )
    return {r["node_id"]: r["a"] for r in lab.gql.ok(QUERY, {"sql": sql})["queryData"]["rows"]}


def _task(lab: MonitorLab, task_id: int) -> dict[str, Any] | None:
    tasks = lab.gql.ok(TASKS, {"b": lab.business.id})["uptimeTasks"]
    return next((t for t in tasks if t["bkTaskId"] == task_id), None)


def test_update_stop_start_and_delete(monitor_lab: MonitorLab, tcp: Target, unique: str) -> None:
    lab = monitor_lab
    server_node = lab.gql.ok(CREATE_NODE, {"input": {"businessId": lab.business.id, "name": f"srv-{unique}"}})
    server_node_id = server_node["createUptimeNode"]["node"]["bkNodeId"]
    agent_conf = {"target_conf": {"ip": lab.ips[2], "bk_cloud_id": 0, "bk_biz_id": lab.biz}, "node_conf": NODE_CONF}
    nodes = lab.gql.ok(IMPORT_NODES, {"input": {"businessId": lab.business.id, "confList": [agent_conf]}})
    agent_node_id = nodes["importUptimeNodes"]["result"]["success"]["detail"][0]["node_id"]
    both = {str(server_node_id), str(agent_node_id)}
    config = {"ip_list": ["127.0.0.1"], "port": tcp.port, "period_seconds": 1, "timeout": 1000}
    item = {
        "target_conf": {"bk_biz_id": lab.biz, "node_id_list": [server_node_id, agent_node_id]},
        "collector_conf": {"name": f"edit-{unique}", "protocol": "TCP", "config": config},
        "monitor_conf": [_monitor_conf(f"edit-{unique} available")],
    }
    imported = lab.gql.ok(IMPORT_TASKS, {"input": {"businessId": lab.business.id, "confList": [item]}})
    task_id = imported["importUptimeTasks"]["result"]["success"]["detail"][0]["task_id"]
    gid = _task(lab, task_id)["id"]  # type: ignore[index]
    wait_for("results from both nodes", lambda: (r := _results(lab, task_id, 3)) and set(r) == both and r)

    # Update: a port nobody listens on — both nodes report it unavailable at once.
    closed = free_port()
    updated = lab.gql.ok(
        UPDATE, {"input": {"taskId": gid, "name": f"edited-{unique}", "config": {**config, "port": closed}}}
    )
    assert updated["updateUptimeTask"]["errors"] == []
    assert updated["updateUptimeTask"]["task"]["name"] == f"edited-{unique}"
    assert updated["updateUptimeTask"]["task"]["config"]["port"] == closed
    time.sleep(1.5)  # let results probed before the update arrive

    def unavailable() -> dict[str, float] | None:
        found = _results(lab, task_id, 2)
        return found if set(found) == both and max(found.values()) == 0 else None

    down = wait_for("unavailable from both nodes", unavailable)
    assert set(down.values()) == {0.0}

    # Bad changes: refused naming the field, nothing changes.
    before = _task(lab, task_id)
    for change, field in (
        ({"config": {**config, "port": 70000}}, "config.port"),
        ({"config": {"port": 1}}, "config.ip_list"),
        ({"name": " "}, "name"),
        ({"nodeIds": []}, "nodeIds"),
        ({}, "taskId"),
    ):
        refused = lab.gql.ok(UPDATE, {"input": {"taskId": gid, **change}})["updateUptimeTask"]
        assert [e["field"] for e in refused["errors"]] == [field], refused
    assert _task(lab, task_id) == before

    # Stop: neither node probes any more (and late results are not stored); start: both resume.
    stopped = lab.gql.ok(RUNNING, {"input": {"taskId": gid, "running": False}})["setUptimeTaskRunning"]
    assert stopped["task"]["status"] == "stoped"
    time.sleep(4)
    assert _results(lab, task_id, 3) == {}
    started = lab.gql.ok(RUNNING, {"input": {"taskId": gid, "running": True}})["setUptimeTaskRunning"]
    assert started["task"]["status"] == "running"
    wait_for("results again from both nodes", lambda: (r := _results(lab, task_id, 2)) and set(r) == both and r)

    # Delete: the task and its strategies are gone, and nothing is probed.
    titles = {s["title"] for s in lab.gql.ok(SOURCES, {"b": lab.business.id})["monitorSources"]["nodes"]}
    assert f"edit-{unique} available" in titles
    deleted = lab.gql.ok(DELETE, {"input": {"taskId": gid}})["deleteUptimeTask"]
    assert deleted == {"deletedId": gid, "errors": []}
    assert _task(lab, task_id) is None
    assert lab.gql.ok(EXPORT, {"b": lab.business.id, "ids": [task_id]})["exportUptimeTasks"] == []
    titles = {s["title"] for s in lab.gql.ok(SOURCES, {"b": lab.business.id})["monitorSources"]["nodes"]}
    assert f"edit-{unique} available" not in titles
    time.sleep(4)
    assert _results(lab, task_id, 3) == {}
    again = lab.gql.ok(DELETE, {"input": {"taskId": gid}})["deleteUptimeTask"]
    assert [e["code"] for e in again["errors"]] == ["NOT_FOUND"], again
