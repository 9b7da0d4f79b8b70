"""Per-request DataLoaders for monitoring: a host's metric series, a source's strategies, an
alarm's strategy. Kept beside the shared `Loaders` (attached to it on first use) so each domain
owns its loaders; like those, they never outlive a request.

`host.metrics(names, from, to, step)` on N hosts is two queries whatever N is: the series of every
asked host, then their points bucketed by `step` (one loader per distinct argument set)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from aiodataloader import DataLoader

from opsgraph.models.monitoring_alarms import AlarmStrategy, MonitorSource
from opsgraph.models.monitoring_metrics import MetricSeries
from opsgraph.resolvers.monitoring.metric_query import Partial, aggregate

Row = dict[str, Any]


@dataclass(frozen=True)
class MetricWindow:
    names: tuple[tuple[str, str], ...]  # (table, metric)
    start: int
    end: int
    step: int
    method: str


@dataclass
class SeriesPoints:
    table: str
    metric: str
    dims: dict[str, str]
    points: list[tuple[int, float]]


def _host_metrics_loader(window: MetricWindow) -> DataLoader:
    async def batch(host_ids: list[int]) -> list[list[SeriesPoints]]:
        tables = {t for t, _ in window.names}
        rows = await MetricSeries.filter(host_id__in=host_ids, table__in=tables).values(
            "id", "business_id", "host_id", "table", "metric", "dims"
        )
        wanted = [r for r in rows if (r["table"], r["metric"]) in window.names]
        # Group by series id: each series is its own line.
        for row in wanted:
            row["dims"] = {**(row["dims"] or {}), "__series": str(row["id"])}
        groups = await aggregate(wanted, start=window.start, end=window.end, bucket=window.step, group_by=["__series"])
        by_host: dict[int, list[SeriesPoints]] = defaultdict(list)
        for row in sorted(wanted, key=lambda r: (r["table"], r["metric"], r["id"])):
            buckets: dict[int, Partial] = groups.get((str(row["id"]),), {})
            points = []
            for moment in sorted(buckets):
                value = buckets[moment].value(window.method)
                if value is not None:
                    points.append((moment, value))
            dims = {k: v for k, v in row["dims"].items() if k != "__series"}
            by_host[row["host_id"]].append(SeriesPoints(row["table"], row["metric"], dims, points))
        return [by_host.get(h, []) for h in host_ids]

    return DataLoader(batch, max_batch_size=1000)


def _grouped(model: Any, key: str) -> DataLoader:
    async def batch(keys: list[int]) -> list[list[Row]]:
        groups: dict[int, list[Row]] = defaultdict(list)
        for row in await model.filter(**{f"{key}__in": keys}).order_by("id").values():
            groups[row[key]].append(row)
        return [groups.get(k, []) for k in keys]

    return DataLoader(batch, max_batch_size=5000)


def _by_id(model: Any) -> DataLoader:
    async def batch(ids: list[int]) -> list[Row | None]:
        rows = {row["id"]: row for row in await model.filter(id__in=ids).values()}
        return [rows.get(i) for i in ids]

    return DataLoader(batch, max_batch_size=5000)


class MonitoringLoaders:
    def __init__(self) -> None:
        self.strategies_by_source = _grouped(AlarmStrategy, "source_id")
        self.strategy = _by_id(AlarmStrategy)
        self.source = _by_id(MonitorSource)
        self._metrics: dict[MetricWindow, DataLoader] = {}

    def host_metrics(self, window: MetricWindow) -> DataLoader:
        if window not in self._metrics:
            self._metrics[window] = _host_metrics_loader(window)
        return self._metrics[window]


def monitoring_loaders(loaders: Any) -> MonitoringLoaders:
    """The request's monitoring loaders, created on first use beside its shared loaders."""
    found = getattr(loaders, "_monitoring", None)
    if found is None:
        found = MonitoringLoaders()
        loaders._monitoring = found
    return found
