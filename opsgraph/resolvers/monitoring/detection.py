"""Strategy detection: one pass over every enabled strategy of every business.

Per strategy: the monitor source's metric, aggregated per period (`count_freq`) and per dimension
group over the last `check_window` complete periods, filtered by `where_sql` and the target scope.
A period is anomalous for a level when every algorithm of that level holds (algorithms: static
threshold, simple and advanced year-on-year / ring ratio, amplitudes and ranges), each reading the
history it needs: earlier periods, and the same periods whole days back.
`count` anomalous periods within the window raise an alarm at the most severe such level; a window
without any anomaly recovers it. `nodata_alarm` periods without data after data was seen raise a
no-data alarm, recovered when data returns. Values are compared as displayed: raw / unit_conversion.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F

from opsgraph.models.monitoring_alarms import Alarm, AlarmOrigin, AlarmStatus, AlarmStrategy, MonitorSource
from opsgraph.resolvers.monitoring import algorithms
from opsgraph.resolvers.monitoring.alarm_store import AlarmSignal, active_shields, raise_alarm, recover_alarm
from opsgraph.resolvers.monitoring.metric_query import (
    Partial,
    SeriesRow,
    aggregate,
    find_series,
    series_dims,
)
from opsgraph.resolvers.monitoring.notify import notify_alarm
from opsgraph.resolvers.monitoring.sql_filters import where_predicate
from opsgraph.resolvers.monitoring.tables import table_spec
from opsgraph.resolvers.monitoring.targets import condition_predicate, host_topology, uses_topology

log = logging.getLogger("opsgraph.monitoring.detection")


@dataclass
class DetectionStats:
    strategies: int = 0
    groups: int = 0
    raised: int = 0
    recovered: int = 0


def _value(partial: Partial | None, method: str, conversion: float) -> float | None:
    raw = None if partial is None else partial.value(method)
    return None if raw is None else raw / (conversion or 1.0)


def _predicate(parts: list[Callable[[SeriesRow], bool] | None]) -> Callable[[SeriesRow], bool] | None:
    active = [p for p in parts if p is not None]
    if not active:
        return None
    return lambda row: all(p(row) for p in active)


async def detect_strategy(strategy: AlarmStrategy, source: MonitorSource, now: int, stats: DetectionStats) -> None:
    period = max(source.count_freq, 1)
    end = now - now % period
    window = strategy.check_window
    start = end - window * period
    spec = await table_spec(source.business_id, source.table)
    where = where_predicate(source.where_sql, set(spec.dimensions))
    topology = await host_topology(source.business_id) if uses_topology(strategy.condition) else None
    scope = condition_predicate(strategy.condition, topology)
    keep = _predicate([None if where is None else (lambda row: where(series_dims(row))), scope])
    series = await find_series([source.business_id], source.table, source.field, keep)
    dims = list(source.dimensions)
    back, offsets = 0, set[int]()
    for level in strategy.levels.values():
        for item in level["detect_algorithm"]:
            periods_back, days_back = algorithms.history_needs(item, period)
            back, offsets = max(back, periods_back), offsets | days_back
    lookback = max(window + back, strategy.nodata_alarm * 3 + 1, window + 1)
    groups = await aggregate(series, start=end - lookback * period, end=end, bucket=period, group_by=dims, now=now)
    for offset in sorted(offsets):  # the same periods whole days back, and one period before them
        earlier = await aggregate(
            series, start=start - offset - period, end=end - offset, bucket=period, group_by=dims, now=now
        )
        for key, buckets in earlier.items():
            groups.setdefault(key, {}).update(buckets)
    open_alarms = {
        a["dedupe_key"]: a for a in await Alarm.filter(strategy_id=strategy.id, status=AlarmStatus.ABNORMAL).values()
    }
    stats.strategies += 1
    shields = await active_shields(strategy.business_id)
    touched: list[int] = []
    checked_at = datetime.now(UTC)
    method, conversion = source.aggregator, source.unit_conversion
    for key, buckets in groups.items():
        stats.groups += 1
        dimensions = dict(zip(dims, key, strict=True))
        values = {m: _value(p, method, conversion) for m, p in buckets.items()}
        periods = [start + i * period for i in range(window)]
        worst: tuple[int, int, float, str] | None = None  # (level, hits, latest value, description)
        anomalous = 0
        for level in sorted(strategy.levels, key=int):
            level_algorithms = strategy.levels[level]["detect_algorithm"]
            hits, latest = 0, None
            for moment in periods:
                value = values.get(moment)
                if value is None:
                    continue
                if all(algorithms.holds(a, moment, value, values.get, period) for a in level_algorithms):
                    hits += 1
                    latest = value
            anomalous += hits
            if hits >= strategy.count and latest is not None and worst is None:
                text = " 且 ".join(algorithms.describe(a, source.unit) for a in level_algorithms)
                worst = (int(level), hits, latest, text)
        signal = _signal(strategy, source, spec.alarm_type, dimensions, "strategy")
        if worst is not None:
            worst_level, hits, latest, text = worst
            signal.level, signal.value = worst_level, latest
            signal.content = f"当前指标值({latest:g}{source.unit}) {text};{window}个周期内满足{hits}次"
            existing = open_alarms.get(signal.dedupe_key)
            if existing is None or worst_level < existing["level"]:  # new, or more severe now
                alarm, created = await raise_alarm(signal, known_new=existing is None, shields=shields)
                stats.raised += int(created)
                await notify_alarm(alarm, strategy, "abnormal", shields=shields)
            else:
                # Still abnormal: counted in one statement for the whole strategy, below.
                touched.append(existing["id"])
                if _notification_due(existing, strategy, checked_at):
                    await notify_alarm(await Alarm.get(id=existing["id"]), strategy, "abnormal", shields=shields)
        elif signal.dedupe_key in open_alarms and not anomalous and values.get(periods[-1]) is not None:
            recovered = await recover_alarm(signal.dedupe_key, "no anomaly in the check window")
            if recovered is not None:
                stats.recovered += 1
                await notify_alarm(recovered, strategy, "recovered", shields=shields)
        if strategy.nodata_alarm:
            await _nodata(strategy, source, spec.alarm_type, dimensions, values, end, period, stats, open_alarms)
    if touched:
        await Alarm.filter(id__in=touched, status=AlarmStatus.ABNORMAL).update(
            latest_time=checked_at, event_count=F("event_count") + 1
        )


def _notification_due(alarm: dict[str, Any], strategy: AlarmStrategy, moment: datetime) -> bool:
    """Worth loading the alarm for notify_alarm (which decides, shields and notice window included):
    ways configured and the last notification older than alarm_window."""
    config = strategy.levels.get(str(alarm["level"])) or {}
    if not config.get("notify_way"):
        return False
    last = alarm["last_notified_at"]
    return last is None or moment - last >= timedelta(minutes=strategy.alarm_window)


async def _nodata(
    strategy: AlarmStrategy,
    source: MonitorSource,
    alarm_type: str,
    dimensions: dict[str, Any],
    values: dict[int, float | None],
    end: int,
    period: int,
    stats: DetectionStats,
    open_alarms: dict[str, Any],
) -> None:
    recent = [end - (i + 1) * period for i in range(strategy.nodata_alarm)]
    signal = _signal(strategy, source, alarm_type, dimensions, "nodata")
    if all(values.get(m) is None for m in recent):
        signal.level = max(int(k) for k in strategy.levels)
        signal.content = f"{strategy.nodata_alarm}个周期内无数据"
        alarm, created = await raise_alarm(signal)
        stats.raised += int(created)
        await notify_alarm(alarm, strategy, "abnormal")
    elif signal.dedupe_key in open_alarms and (recovered := await recover_alarm(signal.dedupe_key, "data is back")):
        stats.recovered += 1
        await notify_alarm(recovered, strategy, "recovered")


def _signal(
    strategy: AlarmStrategy, source: MonitorSource, alarm_type: str, dimensions: dict[str, Any], what: str
) -> AlarmSignal:
    ip = str(dimensions.get("ip") or dimensions.get("bk_target_ip") or "")
    cloud = dimensions.get("bk_cloud_id") or dimensions.get("plat_id") or 0
    host = dimensions.get("bk_host_id")
    label = f"{ip} " if ip else ""
    return AlarmSignal(
        business_id=strategy.business_id,
        origin=AlarmOrigin.STRATEGY,
        identity=f"{what}:{strategy.id}",
        level=3,
        title=f"{label}{strategy.name}" + ("无数据" if what == "nodata" else ""),
        alarm_type=alarm_type,
        dimensions=dimensions,
        strategy_id=strategy.id,
        source_id=source.id,
        host_id=int(host) if host and str(host).isdigit() else None,
        ip=ip,
        bk_cloud_id=int(cloud) if str(cloud).isdigit() else 0,
        source_time=datetime.now(UTC),
    )


async def detect_all(now: int | None = None) -> DetectionStats:
    """One detection pass over every enabled strategy; a failing strategy is logged and skipped."""
    moment = int(time.time()) if now is None else now
    stats = DetectionStats()
    sources = {s.id: s for s in await MonitorSource.filter(is_enabled=True)}
    for strategy in await AlarmStrategy.filter(is_enabled=True, source_id__in=list(sources)).order_by("id"):
        try:
            await detect_strategy(strategy, sources[strategy.source_id], moment, stats)
        except Exception:
            log.exception("detection of strategy %s failed", strategy.id)
    return stats
