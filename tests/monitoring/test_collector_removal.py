"""Deleting a collector undeploys it: a task over real sshd removes its files from the agent
directory of each host it was deployed to (the agent stops running it), then the collector is gone
from GraphQL and its export; a collector deployed nowhere is deleted without a task."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.agents.support import hosts_by_ip
from tests.monitoring.support import USER_ERROR, MonitorLab, wait_for
from tests.monitoring.test_collectors import DEPLOY, EXPORT, IMPORT_SCRIPT, _rows, _wait_task

DELETE = f"""
mutation($input: DeleteCollectorInput!) {{
  deleteCollector(input: $input) {{ deletedId task {{ jobInstanceId }} {USER_ERROR} }}
}}"""
SCRIPT = 'echo "beat 1"\n'


def _collector(lab: MonitorLab, name: str) -> tuple[int, str]:
    conf = {
        "bk_biz_id": lab.biz,
        "name": name,
        "fields": [{"name": "beat", "type": "double", "monitor_type": "metric", "unit": ""}],
        "script_type": "file",
        "script_ext": "shell",
        "script_content_base64": base64.b64encode(SCRIPT.encode()).decode(),
        "collect_interval_seconds": 1,
    }
    result = lab.gql.ok(IMPORT_SCRIPT, {"input": {"collectorConfList": [conf]}})["importScriptCollectors"]["result"]
    collector_id = int(result["success"][0]["id"])
    return collector_id, base64.urlsafe_b64encode(f"Collector:{collector_id}".encode()).decode().rstrip("=")


def test_deleting_a_collector_removes_it_from_its_hosts(monitor_lab: MonitorLab, unique: str) -> None:
    lab = monitor_lab
    name = f"gone_{unique}"
    collector_id, gid = _collector(lab, name)
    chosen = lab.ips[:2]
    deployed = lab.gql.ok(DEPLOY, {"input": {"collectorId": gid, "targets": [{"ip": ip} for ip in chosen]}})
    assert _wait_task(lab, deployed["deployCollector"]["task"]["jobInstanceId"])["status"] == "SUCCESS"
    agents = hosts_by_ip(lab.gql, chosen)
    spec_files = [Path(agents[ip]["agent"]["installDir"]) / "collectors" / f"{collector_id}.json" for ip in chosen]
    assert all(path.exists() for path in spec_files)
    sql = f'select max(beat) as b from {lab.biz}_{name} where time >= "1m" group by ip'
    wait_for("the collector reporting", lambda: (r := _rows(lab, sql)) and len(r) == 2 and r)

    removed = lab.gql.ok(DELETE, {"input": {"collectorId": gid}})["deleteCollector"]
    assert removed["errors"] == []
    assert removed["deletedId"] == gid
    task = _wait_task(lab, removed["task"]["jobInstanceId"])
    assert task["status"] == "SUCCESS", task
    assert {r["ip"] for r in task["steps"][0]["hostResults"]["nodes"]} == set(chosen)
    assert not any(path.exists() for path in spec_files)
    assert not any(path.with_suffix(".script").exists() for path in spec_files)
    exported = lab.gql.ok(EXPORT, {"b": lab.business.id, "kind": "SCRIPT"})["exportCollectors"]
    assert name not in {e["name"] for e in exported}
    again = lab.gql.ok(DELETE, {"input": {"collectorId": gid}})["deleteCollector"]
    assert [e["code"] for e in again["errors"]] == ["COLLECTOR_NOT_FOUND"], again

    # Deployed nowhere: deleted at once, no task.
    _, idle = _collector(lab, f"idle_{unique}")
    quiet = lab.gql.ok(DELETE, {"input": {"collectorId": idle}})["deleteCollector"]
    assert quiet == {"deletedId": idle, "task": None, "errors": []}
