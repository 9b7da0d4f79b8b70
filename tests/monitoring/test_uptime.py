"""Uptime checks against real local TCP/UDP/HTTP servers, from the server node and from an agent
node: results become metrics (available, task_duration), a failing check raises an alarm and its
recovery recovers it; imports answer per item with `error_mes`; tasks export in the import shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.monitoring.probe_targets import Target
from tests.monitoring.support import USER_ERROR, MonitorLab, alarms, wait_for

CREATE_NODE = f"""
mutation($input: CreateUptimeNodeInput!) {{
  createUptimeNode(input: $input) {{ node {{ bkNodeId ip }} {USER_ERROR} }}
}}"""
IMPORT_NODES = (
    f"mutation($input: ImportUptimeNodesInput!) {{ importUptimeNodes(input: $input) {{ result {USER_ERROR} }} }}"
)
IMPORT_TASKS = (
    f"mutation($input: ImportUptimeTasksInput!) {{ importUptimeTasks(input: $input) {{ result {USER_ERROR} }} }}"
)
EXPORT = "query($b: ID!, $ids: [Int!]) { exportUptimeTasks(businessId: $b, taskIds: $ids) }"
QUERY = "query($sql: String!) { queryData(sql: $sql) { rows } }"
NODE_CONF = {"name": "内网节点", "carrieroperator": "内网", "location": {"country": "中国", "city": "广东"}}


@pytest.fixture
def targets() -> Iterator[dict[str, Target]]:
    started = {kind: Target(kind).start() for kind in ("tcp", "udp", "http")}
    yield started
    for target in started.values():
        target.stop()


def _task(name: str, protocol: str, config: dict[str, Any], node_ids: list[int]) -> dict[str, Any]:
    return {
        "target_conf": {"bk_biz_id": 0, "node_id_list": node_ids, "node_list": []},
        "collector_conf": {"name": name, "protocol": protocol, "groups": "未分类", "location": {}, "config": config},
        "monitor_conf": [],
    }


def test_checks_from_the_server_and_an_agent(monitor_lab: MonitorLab, targets: dict[str, Target], unique: str) -> None:
    lab = monitor_lab
    server_node = lab.gql.ok(CREATE_NODE, {"input": {"businessId": lab.business.id, "name": f"server-{unique}"}})
    server_node_id = server_node["createUptimeNode"]["node"]["bkNodeId"]
    agent_ip = lab.ips[1]
    nodes = lab.gql.ok(
        IMPORT_NODES,
        {
            "input": {
                "businessId": lab.business.id,
                "confList": [
                    {"target_conf": {"ip": agent_ip, "bk_cloud_id": 0, "bk_biz_id": lab.biz}, "node_conf": NODE_CONF},
                    {
                        "target_conf": {"ip": "10.255.255.1", "bk_cloud_id": 0, "bk_biz_id": lab.biz},
                        "node_conf": NODE_CONF,
                    },
                ],
            }
        },
    )["importUptimeNodes"]["result"]
    assert nodes["success"]["total"] == 1
    assert nodes["failed"]["total"] == 1
    assert "业务下不存在该主机" in nodes["failed"]["detail"][0]["error_mes"]
    agent_node_id = nodes["success"]["detail"][0]["node_id"]
    both = [server_node_id, agent_node_id]
    tcp, udp, http = targets["tcp"], targets["udp"], targets["http"]
    conf_list = [
        _task(
            f"tcp-{unique}",
            "TCP",
            {
                "ip_list": ["127.0.0.1"],
                "port": tcp.port,
                "period_seconds": 1,
                "timeout": 1000,
                "response": "hello",
                "response_format": "in",
            },
            both,
        ),
        _task(
            f"udp-{unique}",
            "UDP",
            {
                "ip_list": ["127.0.0.1"],
                "port": udp.port,
                "period_seconds": 1,
                "timeout": 1000,
                "request": "ping",
                "response": "pong",
            },
            both,
        ),
        _task(
            f"http-{unique}",
            "HTTP",
            {
                "urls": f"http://127.0.0.1:{http.port}/health",
                "method": "GET",
                "period_seconds": 1,
                "response_code": "200",
                "response": "ok",
            },
            both,
        ),
        _task(f"bad-{unique}", "ICMP", {}, both),
        _task(f"badport-{unique}", "TCP", {"ip_list": ["127.0.0.1"], "port": 70000}, both),
        _task(f"nonodes-{unique}", "TCP", {"ip_list": ["127.0.0.1"], "port": 1}, []),
    ]
    imported = lab.gql.ok(IMPORT_TASKS, {"input": {"businessId": lab.business.id, "confList": conf_list}})
    result = imported["importUptimeTasks"]["result"]
    assert result["success"]["total"] == 3
    assert result["failed"]["total"] == 3
    failures = {f["task_name"]: f["error_mes"] for f in result["failed"]["detail"]}
    assert "TCP, UDP or HTTP" in failures[f"bad-{unique}"]
    assert "port" in failures[f"badport-{unique}"]
    assert "cannot both be empty" in failures[f"nonodes-{unique}"]
    task_ids = {d["task_name"].split("-")[0]: d["task_id"] for d in result["success"]["detail"]}

    def available(protocol: str) -> dict[str, float] | None:
        sql = (
            f'select min(available) as a from {lab.biz}_uptimecheck_{protocol} where time >= "30s" '
            f"and task_id = '{task_ids[protocol]}' group by node_id"
        )
        rows = lab.gql.ok(QUERY, {"sql": sql})["queryData"]["rows"]
        found = {r["node_id"]: r["a"] for r in rows}
        return found if set(found) == {str(server_node_id), str(agent_node_id)} else None

    for protocol in ("tcp", "udp", "http"):
        seen = wait_for(f"{protocol} results from both nodes", lambda p=protocol: available(p))
        assert set(seen.values()) == {1.0}, (protocol, seen)

    tcp.stop()

    def failing(status: str) -> list[dict[str, Any]] | None:
        found = [
            a
            for a in alarms(lab.gql, origins=["UPTIME"], statuses=[status])
            if a["dimensions"].get("task_id") == str(task_ids["tcp"])
        ]
        return found if len(found) == 2 else None

    down = wait_for("uptime alarms from both nodes", lambda: failing("ABNORMAL"))
    assert {a["dimensions"]["node_id"] for a in down} == {str(server_node_id), str(agent_node_id)}
    assert all(a["alarmType"] == "uptimecheck" for a in down)
    tcp.start()
    wait_for("recovery from both nodes", lambda: failing("RECOVERED"))

    exported = lab.gql.ok(EXPORT, {"b": lab.business.id, "ids": [task_ids["http"]]})["exportUptimeTasks"]
    assert len(exported) == 1
    assert exported[0]["collector_conf"]["protocol"] == "HTTP"
    assert exported[0]["collector_conf"]["config"]["urls"] == [f"http://127.0.0.1:{http.port}/health"]
    assert {n["node_id"] for n in exported[0]["target_conf"]["node_list"]} == set(both)
