"""Agents on loopback hosts report real host metrics with their heartbeats; the server stores them
as series and answers `host.metrics(...)` and `businessMetrics(...)` in a constant number of queries."""

from __future__ import annotations

from typing import Any

from tests.monitoring.support import MonitorLab, wait_for

NAMES = [
    "system_cpu_summary.usage",
    "system_mem.pct_used",
    "system_disk.in_use",
    "system_net.speed_recv",
    "system_load.load1",
    "system_env.procs",
    "system_env.uptime",
]
HOST_METRICS = """
query($ips: [String!]!, $names: [String!]!, $first: Int!) {
  hosts(first: $first, filter: {innerIps: $ips}) {
    nodes { innerIp metrics(names: $names, step: 1) { table metric dimensions points { at value } } }
  }
}"""
BUSINESS_METRICS = """
query($b: ID!) {
  businessMetrics(businessId: $b, table: "system_env", metric: "procs", step: 5, groupBy: ["ip"], aggregateBy: "max") {
    dimensions points { value }
  }
}"""


def _series(lab: MonitorLab, ips: list[str]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    nodes = lab.gql.ok(HOST_METRICS, {"ips": ips, "names": NAMES, "first": len(ips)})["hosts"]["nodes"]
    return {n["innerIp"]: {f"{s['table']}.{s['metric']}": s for s in n["metrics"]} for n in nodes}


def _complete(lab: MonitorLab) -> dict[str, Any] | None:
    found = _series(lab, lab.ips)
    ready = all(
        all(name in series and series[name]["points"] for name in NAMES if name != "system_net.speed_recv")
        for series in found.values()
    )
    return found if ready and len(found) == len(lab.ips) else None


def test_agents_report_host_metrics(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    found = wait_for("every host's metrics", lambda: _complete(lab))
    for ip, series in found.items():
        usage = series["system_cpu_summary.usage"]
        assert usage["dimensions"]["ip"] == ip
        assert usage["dimensions"]["bk_cloud_id"] == "0"
        assert all(0 <= p["value"] <= 100 for p in usage["points"])
        assert all(0 < p["value"] < 100 for p in series["system_mem.pct_used"]["points"])
        disk = series["system_disk.in_use"]
        assert disk["dimensions"]["mount_point"] == "/"
        assert 0 < disk["points"][-1]["value"] < 100
        assert series["system_env.procs"]["points"][-1]["value"] > 1
        assert series["system_env.uptime"]["points"][-1]["value"] > 0
    by_ip = {s["dimensions"]["ip"]: s for s in lab.gql.ok(BUSINESS_METRICS, {"b": lab.business.id})["businessMetrics"]}
    assert set(by_ip) == set(lab.ips)
    assert all(s["points"] and s["points"][-1]["value"] > 1 for s in by_ip.values())


def test_host_metrics_sql_count_does_not_grow_with_hosts(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    wait_for("every host's metrics", lambda: _complete(lab))
    one = lab.gql.execute(HOST_METRICS, {"ips": lab.ips[:1], "names": NAMES, "first": 1})
    three = lab.gql.execute(HOST_METRICS, {"ips": lab.ips, "names": NAMES, "first": 3})
    assert not one.errors, (one.errors, three.errors)
    assert not three.errors, (one.errors, three.errors)
    assert len(three.data["hosts"]["nodes"]) == 3
    assert one.sql_count is not None, (one.sql_count, three.sql_count)
    assert three.sql_count == one.sql_count, (one.sql_count, three.sql_count)


def test_bad_metric_arguments_are_refused(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    for names, step in ((["nodot"], 60), (NAMES, 0), ([f"t.m{i}" for i in range(60)], 60)):
        response = lab.gql.execute(
            HOST_METRICS.replace("step: 1", f"step: {step}"), {"ips": lab.ips[:1], "names": names, "first": 1}
        )
        assert response.errors, response.body
        assert response.errors[0]["extensions"]["code"] == "INVALID", response.body
    unknown = lab.gql.execute(BUSINESS_METRICS.replace('"procs"', '"nope"'), {"b": lab.business.id})
    assert unknown.errors
    assert "no metric" in unknown.errors[0]["message"]
