"""Roll-ups and retention. Complete hours past the watermark become hourly roll-ups (count, sum,
min, max per series, one grouped INSERT per hour, idempotent thanks to the unique (series, hour));
raw points older than the raw retention are deleted only once their hour is rolled up."""

from __future__ import annotations

import time

from tortoise.functions import Count, Max, Min, Sum

from opsgraph.models.monitoring_metrics import MetricPoint, MetricRollup, MonitorState
from opsgraph.resolvers.monitoring.config import monitoring_settings

HOUR = 3600
MAX_HOURS_PER_PASS = 48
ROLLUP_STATE = "rollup"


async def roll_up(now: int | None = None) -> int:
    """Roll up complete hours; returns how many hours were processed."""
    moment = int(time.time()) if now is None else now
    state, _ = await MonitorState.get_or_create(name=ROLLUP_STATE, defaults={"value": {}})
    next_hour = state.value.get("next_hour")
    if next_hour is None:
        oldest = await MetricPoint.all().order_by("ts").first().values("ts")
        if oldest is None:
            return 0
        next_hour = int(oldest["ts"]) - int(oldest["ts"]) % HOUR
    done = 0
    while next_hour + HOUR <= moment - moment % HOUR and done < MAX_HOURS_PER_PASS:
        rows = (
            await MetricPoint.filter(ts__gte=next_hour, ts__lt=next_hour + HOUR)
            .annotate(n=Count("id"), s=Sum("value"), lo=Min("value"), hi=Max("value"))
            .group_by("series_id")
            .values("series_id", "n", "s", "lo", "hi")
        )
        await MetricRollup.bulk_create(
            [
                MetricRollup(
                    series_id=r["series_id"], ts=next_hour, count=r["n"], total=r["s"], minimum=r["lo"], maximum=r["hi"]
                )
                for r in rows
            ],
            batch_size=1000,
            ignore_conflicts=True,
        )
        next_hour += HOUR
        done += 1
        await MonitorState.filter(name=ROLLUP_STATE).update(value={"next_hour": next_hour})
    return done


async def apply_retention(now: int | None = None) -> tuple[int, int]:
    """(raw points deleted, roll-ups deleted)."""
    moment = int(time.time()) if now is None else now
    settings = monitoring_settings()
    state = await MonitorState.get_or_none(name=ROLLUP_STATE)
    rolled_until = int((state.value if state else {}).get("next_hour") or 0)
    raw_cutoff = min(moment - settings.raw_retention_seconds, rolled_until)
    points = await MetricPoint.filter(ts__lt=raw_cutoff).delete() if raw_cutoff > 0 else 0
    rollups = await MetricRollup.filter(ts__lt=moment - settings.rollup_retention_seconds).delete()
    return int(points or 0), int(rollups or 0)
