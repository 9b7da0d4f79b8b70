"""Reading agent status: which columns may leave the database, and what "alive" means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from opsgraph.models.agents import AgentStatus

# Every column but the token (encrypted and hashed) and a proxy's stored login.
PUBLIC_COLUMNS = (
    "id",
    "host_id",
    "node_type",
    "cloud_area_id",
    "status",
    "install_dir",
    "token_issued_at",
    "version",
    "hostname",
    "os",
    "kernel",
    "uptime",
    "load",
    "last_heartbeat_at",
)


def is_alive(row: dict[str, Any], alive_seconds: int, now: datetime | None = None) -> bool:
    """Installed, and a heartbeat arrived within the last `alive_seconds` (OPSGRAPH_AGENT_ALIVE_SECONDS)."""
    beat = row.get("last_heartbeat_at")
    if row.get("status") != AgentStatus.INSTALLED or beat is None:
        return False
    return (now or datetime.now(UTC)) - beat <= timedelta(seconds=alive_seconds)
