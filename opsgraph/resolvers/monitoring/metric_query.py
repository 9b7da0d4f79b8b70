"""Aggregating the metrics store: one parameterised statement per store (raw points, and hourly
roll-ups for the part of the range older than the raw retention), grouped by series and time
bucket in SQL; series are then merged into the caller's dimension groups here.

Only mergeable aggregates are offered (avg, sum, min, max, count): a group's value over several
series is computed from per-series counts, sums, minima and maxima, never from averages of averages.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F
from tortoise.functions import Count, Max, Min, Sum

from opsgraph.models.monitoring_metrics import MetricPoint, MetricRollup, MetricSeries
from opsgraph.resolvers.monitoring.config import monitoring_settings

AGGREGATES = ("avg", "sum", "min", "max", "count")
ROLLUP_SECONDS = 3600
_CHUNK = 2000

SeriesRow = dict[str, Any]
GroupKey = tuple[str, ...]


@dataclass
class Partial:
    count: float = 0.0
    total: float = 0.0
    minimum: float | None = None
    maximum: float | None = None

    def add(self, count: float, total: float, minimum: float, maximum: float) -> None:
        self.count += count
        self.total += total
        self.minimum = minimum if self.minimum is None else min(self.minimum, minimum)
        self.maximum = maximum if self.maximum is None else max(self.maximum, maximum)

    def value(self, method: str) -> float | None:
        if not self.count:
            return None
        if method == "avg":
            return self.total / self.count
        if method == "sum":
            return self.total
        if method == "count":
            return self.count
        return self.minimum if method == "min" else self.maximum


def series_dims(row: SeriesRow) -> dict[str, str]:
    """A series' dimensions, with the aliases v2 clients group by (plat_id, company_id, bk_biz_id)."""
    dims = dict(row["dims"] or {})
    if "bk_cloud_id" in dims:
        dims.setdefault("plat_id", dims["bk_cloud_id"])
        dims.setdefault("bk_target_cloud_id", dims["bk_cloud_id"])
    if "ip" in dims:
        dims.setdefault("bk_target_ip", dims["ip"])
    dims.setdefault("company_id", "0")
    dims.setdefault("bk_supplier_id", "0")
    dims.setdefault("bk_biz_id", str(row["business_id"]))
    if row.get("host_id") is not None:
        dims.setdefault("bk_host_id", str(row["host_id"]))
    return dims


async def find_series(
    business_ids: list[int], table: str, metric: str, keep: Callable[[SeriesRow], bool] | None = None
) -> list[SeriesRow]:
    rows = await MetricSeries.filter(business_id__in=business_ids, table=table, metric=metric).values(
        "id", "business_id", "host_id", "dims"
    )
    return [row for row in rows if keep is None or keep(row)]


async def _bucketed(model: Any, ids: list[int], start: int, end: int, bucket: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    raw = model is MetricPoint
    for first in range(0, len(ids), _CHUNK):
        chunk = ids[first : first + _CHUNK]
        query = model.filter(series_id__in=chunk, ts__gte=start, ts__lt=end).annotate(
            bucket=F("ts") / bucket,
            n=Count("id") if raw else Sum("count"),
            s=Sum("value") if raw else Sum("total"),
            lo=Min("value") if raw else Min("minimum"),
            hi=Max("value") if raw else Max("maximum"),
        )
        rows.extend(await query.group_by("series_id", "bucket").values("series_id", "bucket", "n", "s", "lo", "hi"))
    return rows


async def aggregate(
    series: list[SeriesRow],
    *,
    start: int,
    end: int,
    bucket: int,
    group_by: list[str],
    now: int | None = None,
) -> dict[GroupKey, dict[int, Partial]]:
    """group (values of `group_by` dims) → bucket start (epoch s) → partial aggregate, for [start, end)."""
    if not series:
        return {}
    by_id = {row["id"]: row for row in series}
    ids = list(by_id)
    cutoff = (now or int(time.time())) - monitoring_settings().raw_retention_seconds
    rows: list[dict[str, Any]] = []
    if start < cutoff:
        # Older than the raw retention: only hourly roll-ups remain, so buckets are at least an hour.
        rolled_bucket = max(bucket, ROLLUP_SECONDS)
        rows += [dict(r, width=rolled_bucket) for r in await _bucketed(MetricRollup, ids, start, cutoff, rolled_bucket)]
    rows += [dict(r, width=bucket) for r in await _bucketed(MetricPoint, ids, max(start, cutoff), end, bucket)]
    groups: dict[GroupKey, dict[int, Partial]] = defaultdict(lambda: defaultdict(Partial))
    dims_cache: dict[int, GroupKey] = {}
    for row in rows:
        series_id = row["series_id"]
        key = dims_cache.get(series_id)
        if key is None:
            dims = series_dims(by_id[series_id])
            key = dims_cache[series_id] = tuple(str(dims.get(name, "")) for name in group_by)
        moment = int(row["bucket"]) * row["width"]
        if row["n"]:
            groups[key][moment].add(float(row["n"]), float(row["s"] or 0), float(row["lo"]), float(row["hi"]))
    return groups
