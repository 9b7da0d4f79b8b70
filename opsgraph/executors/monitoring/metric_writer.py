"""Writing metric points in batches: many producers (heartbeats, uptime probes), one writer.

`write(points)` returns once its points are committed (group commit): a heartbeat is acknowledged
only after its metrics are stored, yet a thousand agents beating at once cost a handful of
multi-row INSERTs instead of a thousand. Series ids are cached; a new series is created with
`ignore_conflicts` and read back, so two servers creating the same series at once both get its id.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tortoise.transactions import in_transaction

from opsgraph.models.monitoring_metrics import MetricPoint, MetricSeries

log = logging.getLogger("opsgraph.monitoring.writer")

MAX_BATCH = 5000
MAX_DELAY = 0.05  # seconds a point may wait for companions before its batch is written
SERIES_CACHE = 200_000


@dataclass(frozen=True)
class Point:
    business_id: int
    host_id: int | None
    table: str
    metric: str
    dims: tuple[tuple[str, str], ...]  # sorted (name, value) pairs
    ts: int
    value: float
    series_key: tuple[int, str, str, str]  # (business, table, metric, dims_key): computed once


def make_point(
    business_id: int, host_id: int | None, table: str, metric: str, dims: dict[str, Any], ts: int, value: float
) -> Point:
    pairs = tuple(sorted((str(k), str(v)) for k, v in dims.items()))
    key = (business_id, table, metric, _dims_key_cached(pairs))
    return Point(business_id, host_id, table, metric, pairs, int(ts), float(value), key)


@lru_cache(maxsize=65536)
def _dims_key_cached(pairs: tuple[tuple[str, str], ...]) -> str:
    return dims_key(pairs)


def dims_key(pairs: Iterable[tuple[str, str]]) -> str:
    canonical = json.dumps(list(pairs), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class MetricWriter:
    def __init__(self, max_batch: int = MAX_BATCH, max_delay: float = MAX_DELAY) -> None:
        self.max_batch = max_batch
        self.max_delay = max_delay
        self._queue: asyncio.Queue[tuple[list[Point], asyncio.Future[None]]] = asyncio.Queue()
        self._series: OrderedDict[tuple[int, str, str, str], int] = OrderedDict()
        self._task: asyncio.Task[None] | None = None

    async def write(self, points: list[Point]) -> None:
        """Store `points`; returns when they are committed, raises if the batch failed."""
        if not points:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="opsgraph-metric-writer")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((points, done))
        await done

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            size = len(first[0])
            deadline = asyncio.get_running_loop().time() + self.max_delay
            while size < self.max_batch:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), remaining)
                except TimeoutError:
                    break
                batch.append(item)
                size += len(item[0])
            try:
                await self._store([p for points, _ in batch for p in points])
            except Exception as exc:  # every waiter of this batch learns it failed; the writer goes on
                log.warning("metric batch of %d points failed: %s", size, exc)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    async def _store(self, points: list[Point]) -> None:
        ids = await self.series_ids(points)
        rows = [[ids[p.series_key], p.ts, p.value] for p in points]
        # One constant, parameterised INSERT executed for many rows: model objects would cost more
        # than the insert itself at this volume (DESIGN: values/bulk paths for big writes).
        async with in_transaction() as connection:
            marks = ("?", "?", "?") if connection.capabilities.dialect == "sqlite" else ("$1", "$2", "$3")
            sql = f'INSERT INTO "{MetricPoint._meta.db_table}" ("series_id", "ts", "value") VALUES ({", ".join(marks)})'
            for start in range(0, len(rows), 1000):
                await connection.execute_many(sql, rows[start : start + 1000])

    async def series_ids(self, points: Iterable[Point]) -> dict[tuple[int, str, str, str], int]:
        wanted: dict[tuple[int, str, str, str], Point] = {}
        found: dict[tuple[int, str, str, str], int] = {}
        for point in points:
            key = point.series_key
            cached = self._series.get(key)
            if cached is not None:
                found[key] = cached
            else:
                wanted.setdefault(key, point)
        if wanted:
            new = [
                MetricSeries(
                    business_id=p.business_id,
                    host_id=p.host_id,
                    table=p.table,
                    metric=p.metric,
                    dims=dict(p.dims),
                    dims_key=key[3],
                )
                for key, p in wanted.items()
            ]
            await MetricSeries.bulk_create(new, batch_size=500, ignore_conflicts=True)
            for key, series_id in (await _lookup(list(wanted))).items():
                found[key] = series_id
                self._remember(key, series_id)
        return found

    def _remember(self, key: tuple[int, str, str, str], series_id: int) -> None:
        self._series[key] = series_id
        if len(self._series) > SERIES_CACHE:
            self._series.popitem(last=False)


async def _lookup(keys: list[tuple[int, str, str, str]]) -> dict[tuple[int, str, str, str], int]:
    found: dict[tuple[int, str, str, str], int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = await MetricSeries.filter(
            business_id__in={k[0] for k in chunk}, dims_key__in={k[3] for k in chunk}
        ).values("id", "business_id", "table", "metric", "dims_key")
        for row in rows:
            found[(row["business_id"], row["table"], row["metric"], row["dims_key"])] = row["id"]
    return found


_writer: MetricWriter | None = None


def metric_writer() -> MetricWriter:
    """The process's writer (created on first use, in the running loop)."""
    global _writer
    if _writer is None:
        _writer = MetricWriter()
    return _writer
