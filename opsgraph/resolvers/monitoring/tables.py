"""The result tables the metrics store answers for, and their fields: the allow-list behind
query_data and strategies. Host tables come from the agent; `uptimecheck_<protocol>` from uptime
probes; any other table must be a collector of the business (its declared metric fields)."""

from __future__ import annotations

from dataclasses import dataclass

from opsgraph.core.errors import NotFound
from opsgraph.models.monitoring_checks import Collector
from opsgraph.resolvers.monitoring.agent_report import HOST_TABLES

HOST_DIMENSIONS = ("ip", "bk_cloud_id", "plat_id", "company_id", "bk_supplier_id", "bk_biz_id", "bk_host_id")
UPTIME_METRICS = ("available", "task_duration")
UPTIME_DIMENSIONS = ("task_id", "node_id", "node_ip", "target", "bk_biz_id", "ip", "bk_cloud_id")
# alarm_type of a table's alarms (bk-monitor v2's enumeration for get_alarms).
ALARM_TYPES = {
    "system_cpu_summary": "cpu",
    "system_mem": "mem",
    "system_disk": "disk",
    "system_net": "net",
    "system_load": "cpu",
    "system_env": "system_env",
}


@dataclass(frozen=True)
class TableSpec:
    name: str
    metrics: tuple[str, ...]
    dimensions: tuple[str, ...]
    alarm_type: str


def _static_table(name: str) -> TableSpec | None:
    for table, metrics, dims in HOST_TABLES.values():
        if table == name:
            return TableSpec(table, metrics, (*HOST_DIMENSIONS, *dims), ALARM_TYPES.get(table, "base"))
    if name in ("uptimecheck_tcp", "uptimecheck_udp", "uptimecheck_http"):
        return TableSpec(name, UPTIME_METRICS, UPTIME_DIMENSIONS, "uptimecheck")
    return None


async def table_spec(business_id: int, name: str) -> TableSpec:
    """The table's spec, or NotFound naming it (the message lists what exists)."""
    found = _static_table(name)
    if found is not None:
        return found
    collector = await Collector.get_or_none(business_id=business_id, name=name)
    if collector is not None:
        fields = collector.config.get("fields") or []
        metrics = tuple(f["name"] for f in fields if f.get("monitor_type", "metric") == "metric")
        dims = tuple(f["name"] for f in fields if f.get("monitor_type") == "dimension")
        if collector.kind == "LOG":
            metrics, dims = ("lines", "matched"), ()
        kind = "selfscript" if collector.kind == "SCRIPT" else "keyword"
        return TableSpec(name, metrics, (*HOST_DIMENSIONS, *dims), kind)
    raise NotFound(
        f"unknown result table {name!r}: use system_cpu_summary, system_mem, system_disk, system_net, "
        "system_load, system_env, uptimecheck_tcp|udp|http or a collector of the business",
        field="table",
        code="UNKNOWN_TABLE",
    )
