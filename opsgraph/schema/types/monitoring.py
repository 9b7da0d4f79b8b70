"""Monitoring types: metric series, alarms, monitor sources with their strategies, alarm events.
Built from `.values()` rows; relationships go through the request's DataLoaders."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.resolvers.monitoring.loaders import SeriesPoints, monitoring_loaders
from opsgraph.resolvers.monitoring.strategies import strategy_export
from opsgraph.schema.types.node import Node

Row = dict[str, Any]


@strawberry.enum(name="AlarmStatus")
class AlarmStatusEnum(Enum):
    ABNORMAL = "ABNORMAL"
    RECOVERED = "RECOVERED"
    CLOSED = "CLOSED"


@strawberry.enum(name="AlarmOrigin", description="What raised the alarm.")
class AlarmOriginEnum(Enum):
    STRATEGY = "STRATEGY"
    HEARTBEAT = "HEARTBEAT"
    UPTIME = "UPTIME"
    TASK = "TASK"
    INGEST = "INGEST"


@strawberry.type(name="MetricPoint")
class MetricPointType:
    at: datetime
    value: float


@strawberry.type(name="MetricSeries", description="One series: a metric of a result table with its dimensions.")
class MetricSeriesType:
    table: str
    metric: str
    dimensions: JSON
    points: list[MetricPointType]

    @classmethod
    def from_series(cls, series: SeriesPoints) -> MetricSeriesType:
        return cls(
            table=series.table,
            metric=series.metric,
            dimensions=cast(JSON, series.dims),
            points=[MetricPointType(at=datetime.fromtimestamp(ts, UTC), value=v) for ts, v in series.points],
        )


@strawberry.type(name="AlarmStrategy")
class AlarmStrategyType(Node):
    bk_strategy_id: int
    bk_biz_id: int
    monitor_id: int
    name: str
    enabled: bool
    count: int = strawberry.field(description="Anomalous periods needed within checkWindow.")
    check_window: int = strawberry.field(description="Periods looked at.")
    alarm_window: int = strawberry.field(description="Minutes between two notifications of one alarm.")
    nodata_alarm: int = strawberry.field(description="Periods without data before a no-data alarm; 0 = off.")
    is_recovery: bool
    condition: JSON = strawberry.field(description="Target scope: OR of AND lists of {field, method, value}.")
    levels: JSON = strawberry.field(description="alarm_level_config in the documented v2 shape.")

    @classmethod
    def from_row(cls, row: Row) -> AlarmStrategyType:
        return cls(
            id=strawberry.ID(encode_global_id("AlarmStrategy", row["id"])),
            bk_strategy_id=row["id"],
            bk_biz_id=row["business_id"],
            monitor_id=row["source_id"],
            name=row["name"],
            enabled=row["is_enabled"],
            count=row["count"],
            check_window=row["check_window"],
            alarm_window=row["alarm_window"],
            nodata_alarm=row["nodata_alarm"],
            is_recovery=row["is_recovery"],
            condition=row["condition"],
            levels=row["levels"],
        )


@strawberry.type(name="MonitorSource", description="What is measured (bk-monitor v2 监控源) and its strategies.")
class MonitorSourceType(Node):
    bk_monitor_id: int
    bk_biz_id: int
    title: str
    scenario: str
    result_table_id: str
    field: str
    aggregator: str
    count_freq: int = strawberry.field(description="Seconds per detection period.")
    dimensions: list[str]
    where_sql: str
    unit: str
    enabled: bool

    @classmethod
    def from_row(cls, row: Row) -> MonitorSourceType:
        return cls(
            id=strawberry.ID(encode_global_id("MonitorSource", row["id"])),
            bk_monitor_id=row["id"],
            bk_biz_id=row["business_id"],
            title=row["title"],
            scenario=row["scenario"],
            result_table_id=f"{row['business_id']}_{row['table']}",
            field=row["field"],
            aggregator=row["aggregator"],
            count_freq=row["count_freq"],
            dimensions=list(row["dimensions"] or []),
            where_sql=row["where_sql"],
            unit=row["unit"],
            enabled=row["is_enabled"],
        )

    @strawberry.field
    async def strategies(self, info: Info) -> list[AlarmStrategyType]:
        rows = await monitoring_loaders(info.context.loaders).strategies_by_source.load(self.bk_monitor_id)
        return [AlarmStrategyType.from_row(r) for r in rows]


@strawberry.type(name="Alarm")
class AlarmType(Node):
    bk_alarm_id: int
    bk_biz_id: int
    origin: AlarmOriginEnum
    strategy_id: int | None
    alarm_type: str
    level: int = strawberry.field(description="1 fatal, 2 warning, 3 reminder.")
    status: AlarmStatusEnum
    title: str
    content: str
    dimensions: JSON
    ip: str
    bk_cloud_id: int
    bk_host_id: int | None
    value: float | None
    source_time: datetime
    begin_time: datetime
    latest_time: datetime
    end_time: datetime | None
    event_count: int
    acknowledged: bool
    ack_by: str
    ack_message: str
    shielded: bool
    notified: bool
    closed_by: str

    @classmethod
    def from_row(cls, row: Row) -> AlarmType:
        return cls(
            id=strawberry.ID(encode_global_id("Alarm", row["id"])),
            bk_alarm_id=row["id"],
            bk_biz_id=row["business_id"],
            origin=AlarmOriginEnum(str(row["origin"])),
            strategy_id=row["strategy_id"],
            alarm_type=row["alarm_type"],
            level=row["level"],
            status=AlarmStatusEnum(str(row["status"])),
            title=row["title"],
            content=row["content"],
            dimensions=row["dimensions"],
            ip=row["ip"],
            bk_cloud_id=row["bk_cloud_id"],
            bk_host_id=row["host_id"],
            value=row["value"],
            source_time=row["source_time"],
            begin_time=row["begin_time"],
            latest_time=row["latest_time"],
            end_time=row["end_time"],
            event_count=row["event_count"],
            acknowledged=row["acknowledged"],
            ack_by=row["ack_by"],
            ack_message=row["ack_message"],
            shielded=row["shield_id"] is not None,
            notified=row["notified"],
            closed_by=row["closed_by"],
        )

    @strawberry.field(description="The strategy that raised it (STRATEGY alarms), in the v2 export shape.")
    async def strategy(self, info: Info) -> JSON | None:
        if self.strategy_id is None:
            return None
        loaders = monitoring_loaders(info.context.loaders)
        row = await loaders.strategy.load(self.strategy_id)
        if row is None:
            return None
        source = await loaders.source.load(row["source_id"])
        return cast(JSON, strategy_export(row, _SourceView(source))) if source else None


class _SourceView:
    """The few MonitorSource attributes strategy_export reads, from a loader row."""

    def __init__(self, row: Row) -> None:
        self.id = row["id"]
        self.business_id = row["business_id"]
        self.unit = row["unit"]


@strawberry.type(name="AlarmEvent")
class AlarmEventType:
    seq: int = strawberry.field(description="Increasing per server database; resume with afterSeq.")
    alarm_id: strawberry.ID
    bk_alarm_id: int
    kind: str
    payload: JSON
    at: datetime | None


async def host_metrics(
    info: Info,
    host_id: int,
    names: list[str],
    start: datetime | None,
    end: datetime | None,
    step: int,
    method: str,
) -> list[MetricSeriesType]:
    """`host.metrics(...)`: batched across hosts by one loader per argument set (two queries)."""
    import time

    from opsgraph.core.errors import ValidationFailed
    from opsgraph.resolvers.monitoring.loaders import MetricWindow
    from opsgraph.resolvers.monitoring.metric_query import AGGREGATES

    pairs = []
    for name in names:
        table, _, metric = name.partition(".")
        if not table or not metric:
            raise ValidationFailed(f"metric names are table.metric, got {name!r}", field="names")
        pairs.append((table, metric))
    if not 0 < len(pairs) <= 50:
        raise ValidationFailed("name 1 to 50 metrics", field="names")
    if method not in AGGREGATES:
        raise ValidationFailed(f"aggregateBy must be one of {', '.join(AGGREGATES)}", field="aggregateBy")
    end_s = int(end.timestamp()) if end else int(time.time()) + 1
    start_s = int(start.timestamp()) if start else end_s - 3600
    if end_s <= start_s or not 1 <= step <= 86400 or (end_s - start_s) // step > 100_000:
        raise ValidationFailed("need from < to, step 1..86400 s and at most 100000 points", field="step")
    window = MetricWindow(tuple(sorted(set(pairs))), start_s - start_s % step, end_s, step, method)
    series = await monitoring_loaders(info.context.loaders).host_metrics(window).load(host_id)
    return [MetricSeriesType.from_series(s) for s in series]
