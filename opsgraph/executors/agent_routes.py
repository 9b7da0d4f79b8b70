"""How PAGENT hosts are reached: through the PROXY of their cloud area (an SSH jump).

A proxy's login is the one it was installed with, kept in its AgentState (secrets encrypted, the
shape of a step's host_logins entry plus its `address`), so it can serve as a `jump` directly. Of
several installed proxies in one area, the one heard from most recently is used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from opsgraph.models.agents import AgentNodeType, AgentState, AgentStatus

_NEVER = datetime.min.replace(tzinfo=UTC)


async def proxy_logins(cloud_area_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """cloud area id → the login of its proxy, for the areas that have an installed one."""
    ids = sorted(set(cloud_area_ids))
    if not ids:
        return {}
    rows = await AgentState.filter(
        node_type=AgentNodeType.PROXY, status=AgentStatus.INSTALLED, cloud_area_id__in=ids, login__isnull=False
    ).values("id", "cloud_area_id", "login", "last_heartbeat_at")
    chosen: dict[int, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: (r["last_heartbeat_at"] or _NEVER, r["id"])):
        chosen[row["cloud_area_id"]] = row["login"]  # later (more recent) rows win
    return chosen


async def pagent_jumps(host_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """host id → the jump login for those of `host_ids` that are PAGENT hosts (two queries at most)."""
    ids = list(set(host_ids))
    if not ids:
        return {}
    pagents = await AgentState.filter(host_id__in=ids, node_type=AgentNodeType.PAGENT).values(
        "host_id", "cloud_area_id"
    )
    if not pagents:
        return {}
    proxies = await proxy_logins(row["cloud_area_id"] for row in pagents)
    return {row["host_id"]: proxies[row["cloud_area_id"]] for row in pagents if row["cloud_area_id"] in proxies}
