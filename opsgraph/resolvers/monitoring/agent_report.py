"""What an agent reports beside its heartbeat facts: host metrics, collector output, uptime probe
results and the components it found listening. Parsed strictly (the body is signed, so anything
malformed is the agent's bug and the heartbeat is refused), then stored as metric points.

Body sections (all optional):
    "metrics":    {"cpu": {...}, "mem": {...}, "load": {...}, "env": {...},
                   "disk": [{"device_name", "mount_point", ...}], "net": [{"device_name", ...}]}
    "collected":  [{"table", "metric", "value", "dims": {...}, "ts"}]      script / log collectors
    "checks":     [{"task_id", "node_id", "target", "available", "duration_ms", "ts", "error"}]
    "components": [{"component", "port", "pid"}]
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from opsgraph.core.errors import ValidationFailed

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_DEVICES = 64
MAX_COLLECTED = 2000
MAX_CHECKS = 200
MAX_COMPONENTS = 100
MAX_TEXT = 256
MAX_SKEW_SECONDS = 3600

# Agent section → (result table, metric names, dimension names of each item).
HOST_TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "cpu": ("system_cpu_summary", ("usage", "idle", "iowait", "user", "system"), ()),
    "mem": ("system_mem", ("total", "used", "free", "pct_used"), ()),
    "load": ("system_load", ("load1", "load5", "load15"), ()),
    "env": ("system_env", ("uptime", "procs"), ()),
    "disk": ("system_disk", ("total", "used", "free", "in_use"), ("device_name", "mount_point")),
    "net": ("system_net", ("speed_recv", "speed_sent", "speed_packets_recv", "speed_packets_sent"), ("device_name",)),
}
LIST_SECTIONS = frozenset({"disk", "net"})


@dataclass
class Sample:
    table: str
    metric: str
    value: float
    dims: dict[str, str] = field(default_factory=dict)
    ts: int | None = None


@dataclass
class CheckResult:
    task_id: int
    node_id: int
    target: str
    available: float
    duration_ms: float
    ts: int
    error: str = ""


@dataclass
class AgentReport:
    samples: list[Sample] = field(default_factory=list)  # host metrics
    collected: list[Sample] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    components: list[tuple[str, int, int | None]] | None = None  # None: not reported this time


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationFailed(f"{where} must be a finite number")
    return float(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > MAX_TEXT:
        raise ValidationFailed(f"{where} must be text of at most {MAX_TEXT} characters")
    return str(value)


def _timestamp(value: Any, where: str, now: int) -> int:
    if value is None:
        return now
    ts = int(_number(value, where))
    if abs(ts - now) > MAX_SKEW_SECONDS:
        raise ValidationFailed(f"{where} is more than an hour away from the server clock")
    return ts


def _host_metrics(section: Any) -> list[Sample]:
    if section is None:
        return []
    if not isinstance(section, dict):
        raise ValidationFailed("metrics must be an object")
    samples: list[Sample] = []
    for name, value in section.items():
        if name not in HOST_TABLES:
            raise ValidationFailed(f"metrics.{name} is not a known section")
        table, metrics, dim_names = HOST_TABLES[name]
        items = value if name in LIST_SECTIONS else [value]
        if not isinstance(items, list) or len(items) > MAX_DEVICES:
            raise ValidationFailed(f"metrics.{name} must be a list of at most {MAX_DEVICES} items")
        for item in items:
            if not isinstance(item, dict):
                raise ValidationFailed(f"metrics.{name} items must be objects")
            dims = {d: _text(item.get(d, ""), f"metrics.{name}.{d}") for d in dim_names}
            for metric in metrics:
                if item.get(metric) is not None:
                    samples.append(Sample(table, metric, _number(item[metric], f"metrics.{name}.{metric}"), dims))
    return samples


def _collected(section: Any, now: int) -> list[Sample]:
    if section is None:
        return []
    if not isinstance(section, list) or len(section) > MAX_COLLECTED:
        raise ValidationFailed(f"collected must be a list of at most {MAX_COLLECTED} items")
    samples: list[Sample] = []
    for item in section:
        if not isinstance(item, dict):
            raise ValidationFailed("collected items must be objects")
        table, metric = item.get("table"), item.get("metric")
        if not isinstance(table, str) or not NAME.match(table) or not isinstance(metric, str) or not NAME.match(metric):
            raise ValidationFailed("collected items need a table and a metric name")
        dims = item.get("dims") or {}
        if not isinstance(dims, dict) or len(dims) > 16 or not all(isinstance(k, str) and NAME.match(k) for k in dims):
            raise ValidationFailed("collected dims must be an object of at most 16 named values")
        clean = {k: _text(v, f"collected.dims.{k}") for k, v in dims.items()}
        ts = _timestamp(item.get("ts"), "collected.ts", now)
        samples.append(Sample(table, metric, _number(item.get("value"), "collected.value"), clean, ts))
    return samples


def _checks(section: Any, now: int) -> list[CheckResult]:
    if section is None:
        return []
    if not isinstance(section, list) or len(section) > MAX_CHECKS:
        raise ValidationFailed(f"checks must be a list of at most {MAX_CHECKS} items")
    results: list[CheckResult] = []
    for item in section:
        if not isinstance(item, dict):
            raise ValidationFailed("checks items must be objects")
        results.append(
            CheckResult(
                task_id=int(_number(item.get("task_id"), "checks.task_id")),
                node_id=int(_number(item.get("node_id"), "checks.node_id")),
                target=_text(item.get("target", ""), "checks.target"),
                available=1.0 if _number(item.get("available"), "checks.available") >= 1 else 0.0,
                duration_ms=max(0.0, _number(item.get("duration_ms", 0), "checks.duration_ms")),
                ts=_timestamp(item.get("ts"), "checks.ts", now),
                error=_text(item.get("error", ""), "checks.error"),
            )
        )
    return results


def _components(section: Any) -> list[tuple[str, int, int | None]] | None:
    if section is None:
        return None
    if not isinstance(section, list) or len(section) > MAX_COMPONENTS:
        raise ValidationFailed(f"components must be a list of at most {MAX_COMPONENTS} items")
    found: list[tuple[str, int, int | None]] = []
    for item in section:
        if not isinstance(item, dict) or not isinstance(item.get("component"), str):
            raise ValidationFailed("components items must be objects with a component name")
        name = item["component"]
        if not NAME.match(name) or len(name) > 32:
            raise ValidationFailed("a component name must be a short identifier")
        port = int(_number(item.get("port"), "components.port"))
        if not 0 < port < 65536:
            raise ValidationFailed("components.port must be a TCP port")
        pid = item.get("pid")
        found.append((name, port, None if pid is None else int(_number(pid, "components.pid"))))
    return found


def parse_report(data: dict[str, Any], now: int | None = None) -> AgentReport:
    """Every monitoring section of a heartbeat body; raises ValidationFailed naming the bad part."""
    moment = int(time.time()) if now is None else now
    return AgentReport(
        samples=_host_metrics(data.get("metrics")),
        collected=_collected(data.get("collected"), moment),
        checks=_checks(data.get("checks"), moment),
        components=_components(data.get("components")),
    )
