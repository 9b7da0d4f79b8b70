"""Monitoring settings, read from `OPSGRAPH_*` like the rest (kept here so the shared Settings do
not grow a field per monitoring knob).

| variable | default | meaning |
| OPSGRAPH_METRICS_RAW_RETENTION_HOURS | 192 (8 days) | raw points older than this are removed (after roll-up) |
| OPSGRAPH_METRICS_ROLLUP_RETENTION_DAYS | 400 | hourly roll-ups older than this are removed |
| OPSGRAPH_MONITOR_DETECT_SECONDS | 30 | how often strategies, heartbeats and failed tasks are checked |
| OPSGRAPH_MONITOR_MAINTENANCE_SECONDS | 300 | how often roll-ups and retention run |
| OPSGRAPH_MONITOR_LEASE_SECONDS | 60 | how long a server keeps the detection lease without renewing it |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from opsgraph.core.errors import ConfigurationError
from opsgraph.core.settings import PREFIX


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(PREFIX + name, "")
    if raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{PREFIX}{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise ConfigurationError(f"{PREFIX}{name} must be positive, got {raw!r}")
    return value


@dataclass(frozen=True)
class MonitoringSettings:
    raw_retention_seconds: int
    rollup_retention_seconds: int
    detect_seconds: float
    maintenance_seconds: float
    lease_seconds: float


@lru_cache(maxsize=1)
def monitoring_settings() -> MonitoringSettings:
    return MonitoringSettings(
        raw_retention_seconds=int(_positive("METRICS_RAW_RETENTION_HOURS", 192) * 3600),
        rollup_retention_seconds=int(_positive("METRICS_ROLLUP_RETENTION_DAYS", 400) * 86400),
        detect_seconds=_positive("MONITOR_DETECT_SECONDS", 30),
        maintenance_seconds=_positive("MONITOR_MAINTENANCE_SECONDS", 300),
        lease_seconds=_positive("MONITOR_LEASE_SECONDS", 60),
    )
