"""OpenC3's task analysis over the last 30 days: by date, by hour, run-time buckets and counts per
tree node (upstream's "statistics" counts every project; here, the nodes the caller can see)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.functions import Count

from opsgraph.core.auth.principal import Principal
from opsgraph.models.service_tree import TreeTask
from opsgraph.resolvers.service_tree.tasks import recent_rows

DAYS = 30
RUNTIME_BUCKETS = ((0, 60, "0-1"), (60, 180, "1-3"), (180, 300, "3-5"), (300, 600, "5-10"), (600, 1800, "10-30"))


async def by_date(principal: Principal, tree_id: int) -> list[tuple[str, int, int]]:
    """(day, tasks, successful tasks) for each of the last 30 days, oldest first."""
    rows = await recent_rows(principal, tree_id, DAYS)
    total: Counter[str] = Counter()
    success: Counter[str] = Counter()
    for row in rows:
        day = row["created_at"].astimezone(UTC).strftime("%Y-%m-%d")
        total[day] += 1
        success[day] += row["openc3_status"] == "success"
    today = datetime.now(tz=UTC)
    days = [(today - timedelta(days=DAYS - n)).strftime("%Y-%m-%d") for n in range(1, DAYS + 1)]
    return [(day, total[day], success[day]) for day in days]


async def by_hour(principal: Principal, tree_id: int) -> list[tuple[str, int]]:
    rows = await recent_rows(principal, tree_id, DAYS)
    hours: Counter[str] = Counter(row["created_at"].astimezone(UTC).strftime("%H") for row in rows)
    return sorted(hours.items())


async def runtime_shares(principal: Principal, tree_id: int) -> dict[str, str]:
    """Percent of tasks per run-time bucket in minutes ("0-1" … "10-30", "30+")."""
    rows = await recent_rows(principal, tree_id, DAYS)
    counts: Counter[str] = Counter({label: 0 for *_, label in RUNTIME_BUCKETS} | {"30+": 0})
    for row in rows:
        seconds = row["runtime"]
        label = next(
            (lbl for low, high, lbl in RUNTIME_BUCKETS if seconds is not None and low <= seconds < high), "30+"
        )
        counts[label] += 1
    total = sum(counts.values())
    return {label: f"{100 * n / total:.2f}" if total else str(n) for label, n in counts.items()}


async def per_node(principal: Principal) -> list[dict[str, Any]]:
    """Tasks per tree node over 30 days, most first, for the businesses the caller sees."""
    since = datetime.now(tz=UTC) - timedelta(days=DAYS)
    query = TreeTask.filter(created_at__gte=since)
    visible = principal.visible_business_ids()
    if visible is not None:
        query = query.filter(business_id__in=visible)
    rows = await query.annotate(n=Count("id")).group_by("tree_id").values("tree_id", "n")
    return [{"id": row["tree_id"], "count": row["n"]} for row in sorted(rows, key=lambda r: -r["n"])]
