"""Collectors deployed to agent hosts through the executor (a SCRIPT task over real sshd): the agent
runs a script collector every period and counts keywords in a log file, reporting both as metrics;
a keyword strategy fires on them; components listening on the host are discovered with their status."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.agents.support import TASK
from tests.monitoring.probe_targets import listener
from tests.monitoring.support import USER_ERROR, MonitorLab, alarms, import_strategies, static_strategy, wait_for

IMPORT_SCRIPT = f"""
mutation($input: ImportScriptCollectorsInput!) {{ importScriptCollectors(input: $input) {{ result {USER_ERROR} }} }}"""
IMPORT_LOG = f"""
mutation($input: ImportLogCollectorsInput!) {{ importLogCollectors(input: $input) {{ result {USER_ERROR} }} }}"""
DEPLOY = f"""
mutation($input: DeployCollectorInput!) {{
  deployCollector(input: $input) {{ task {{ jobInstanceId }} refused {USER_ERROR} }}
}}"""
EXPORT = "query($b: ID!, $kind: String!) { exportCollectors(businessId: $b, kind: $kind) }"
QUERY = "query($sql: String!) { queryData(sql: $sql) { rows } }"
COMPONENTS = """
query($filter: ComponentFilterInput) {
  componentInstances(first: 50, filter: $filter) { nodes { bkComponentId ip component port status } }
}"""
SCRIPT = 'echo "answer{kind=\\"$KIND\\"} 42"\necho "ignored_metric 7"\n'


def _wait_task(lab: MonitorLab, job: int) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        task: dict[str, Any] = lab.gql.ok(TASK, {"j": job})["task"]
        return task if task["status"] in {"SUCCESS", "FAILED", "CANCELLED", "ABNORMAL"} else None

    return wait_for(f"deploy task {job}", done, timeout=60)


def _rows(lab: MonitorLab, sql: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = lab.gql.ok(QUERY, {"sql": sql})["queryData"]["rows"]
    return rows


def test_script_collector_deployed_and_reporting(monitor_lab: MonitorLab, unique: str) -> None:
    lab = monitor_lab
    name = f"probe_{unique}"
    conf = {
        "bk_biz_id": lab.biz,
        "name": name,
        "description": "answers",
        "fields": [
            {"name": "answer", "description": "the answer", "type": "double", "monitor_type": "metric", "unit": ""},
            {"name": "kind", "description": "kind", "type": "string", "monitor_type": "dimension", "unit": ""},
        ],
        "script_type": "file",
        "script_ext": "shell",
        "script_content_base64": base64.b64encode(SCRIPT.encode()).decode(),
        "params_schema": [{"name": "KIND", "description": "a dimension value"}],
        "collect_interval_seconds": 1,
    }
    bad = [
        {**conf, "name": f"bad-{unique}"},
        {**conf, "name": f"b64_{unique}", "script_content_base64": "%%%"},
        {**conf, "name": f"str_{unique}", "fields": [{"name": "x", "type": "string", "monitor_type": "metric"}]},
    ]
    result = lab.gql.ok(IMPORT_SCRIPT, {"input": {"collectorConfList": [conf, *bad]}})["importScriptCollectors"]
    assert [s["name"] for s in result["result"]["success"]] == [name]
    assert len(result["result"]["failed"]) == 3
    collector_id = result["result"]["success"][0]["id"]
    gid = base64.urlsafe_b64encode(f"Collector:{collector_id}".encode()).decode().rstrip("=")
    targets = [{"ip": ip, "bkCloudId": 0, "params": {"KIND": f"k{i}"}} for i, ip in enumerate(lab.ips[:2])]
    targets.append({"ip": "10.254.0.1", "bkCloudId": 0})
    deployed = lab.gql.ok(DEPLOY, {"input": {"collectorId": gid, "targets": targets}})["deployCollector"]
    assert deployed["errors"] == []
    assert [r["ip"] for r in deployed["refused"]] == ["10.254.0.1"]
    task = _wait_task(lab, deployed["task"]["jobInstanceId"])
    assert task["status"] == "SUCCESS", task
    sql = f'select max(answer) as v from {lab.biz}_{name} where time >= "1m" group by ip, kind'
    rows = wait_for("collector output", lambda: (r := _rows(lab, sql)) and len(r) == 2 and r)
    assert {(r["ip"], r["kind"], r["v"]) for r in rows} == {(lab.ips[0], "k0", 42.0), (lab.ips[1], "k1", 42.0)}
    exported = lab.gql.ok(EXPORT, {"b": lab.business.id, "kind": "SCRIPT"})["exportCollectors"]
    mine = next(e for e in exported if e["name"] == name)
    assert base64.b64decode(mine["script_content_base64"]).decode() == SCRIPT


def test_log_collector_counts_keywords_and_a_strategy_fires(monitor_lab: MonitorLab, unique: str) -> None:
    lab = monitor_lab
    # Readable by the agents' login user: pytest's tmp_path sits under a root-only directory.
    directory = Path(tempfile.mkdtemp(prefix="opsgraph-monitor-logs-", dir="/tmp"))
    os.chmod(directory, 0o755)
    try:
        _log_collector(lab, unique, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _log_collector(lab: MonitorLab, unique: str, directory: Path) -> None:
    log_file = directory / "app.log"
    log_file.write_text("")
    os.chmod(log_file, 0o644)
    data_set = f"applog_{unique}"
    conf = {
        "collector_conf": {
            "data_set": data_set,
            "data_desc": "app log",
            "data_encode": "UTF-8",
            "sep": "|",
            "log_path": str(log_file),
            "conditions": [{"index": 2, "op": "=", "value": "ERROR"}],
            "fields": [{"name": "time", "type": "string"}, {"name": "level", "type": "string"}],
            "collect_interval_seconds": 1,
        },
        "target_conf": {"bk_biz_id": lab.biz, "ips": [lab.ips[0]]},
    }
    result = lab.gql.ok(IMPORT_LOG, {"input": {"confList": [conf]}})["importLogCollectors"]["result"]
    assert result[0]["failed"] == []
    assert result[0]["task_id"]
    job = int(base64.urlsafe_b64decode(result[0]["task_id"] + "==").decode().split(":")[1])
    assert _wait_task(lab, job)["status"] == "SUCCESS"
    seen = f'select count(lines) as n from {lab.biz}_{data_set} where time >= "1m"'
    wait_for("the agent watching the file", lambda: (r := _rows(lab, seen)) and r[0]["n"] >= 1)
    imported = import_strategies(
        lab.gql,
        lab.business,
        [
            static_strategy(
                lab.biz,
                f"errors-{unique}",
                table=data_set,
                field_name="matched",
                threshold=1,
                count_freq=5,
                check_window=3,
            )
        ],
    )
    strategy_id = imported["success"][0]["alarm_strategy"][0]["alarm_strategy_id"]
    with log_file.open("a") as handle:
        for level in ("INFO", "ERROR", "WARN", "ERROR", "ERROR"):
            handle.write(f"{time.time()}|{level}|something happened\n")
    totals = f'select sum(matched) as m, sum(lines) as l from {lab.biz}_{data_set} where time >= "2m"'
    row = wait_for("keyword counts", lambda: (r := _rows(lab, totals)) and r[0]["l"] == 5 and r[0])
    assert row["m"] == 3
    fired = wait_for("a keyword alarm", lambda: alarms(lab.gql, strategyId=strategy_id))
    assert fired[0]["alarmType"] == "keyword"
    assert fired[0]["ip"] == lab.ips[0]


def test_components_are_discovered_with_their_status(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    sock = listener(11211)  # memcached's port: the agent (another user) sees it in /proc/net/tcp

    def instances(status: str) -> list[dict[str, Any]] | None:
        nodes = lab.gql.ok(COMPONENTS, {"filter": {"component": "memcache"}})["componentInstances"]["nodes"]
        found = [n for n in nodes if n["status"] == status and n["port"] == 11211]
        return found if {n["ip"] for n in found} == set(lab.ips) else None

    try:
        running = wait_for("memcache found on every host", lambda: instances("running"), timeout=40)
        assert all(n["component"] == "memcache" for n in running)
    finally:
        sock.close()
    wait_for("memcache stopped", lambda: instances("stopped"), timeout=40)
