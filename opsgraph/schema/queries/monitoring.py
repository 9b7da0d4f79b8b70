"""Monitoring queries: alarms (keyset connection, and the offset-paged search the v2 dialect uses),
monitor sources and strategies, query_data, business metrics, uptime, collectors, components."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.monitoring_alarms import Alarm, MonitorSource
from opsgraph.models.monitoring_checks import Collector, CollectorKind, UptimeNode, UptimeTask
from opsgraph.resolvers.monitoring import collectors as collector_actions
from opsgraph.resolvers.monitoring import strategies as strategy_actions
from opsgraph.resolvers.monitoring import uptime as uptime_actions
from opsgraph.resolvers.monitoring.alarm_queries import (
    AlarmFilter,
    ComponentFilter,
    alarm_query,
    component_query,
    search_alarms,
)
from opsgraph.resolvers.monitoring.loaders import SeriesPoints
from opsgraph.resolvers.monitoring.metric_query import AGGREGATES, aggregate, find_series
from opsgraph.resolvers.monitoring.query_data import run_query
from opsgraph.resolvers.monitoring.tables import table_spec
from opsgraph.resolvers.topology.business import get_business
from opsgraph.schema.connection import Connection, connection_from_query
from opsgraph.schema.inputs import pk, pks
from opsgraph.schema.types.monitoring import AlarmType, MetricSeriesType, MonitorSourceType
from opsgraph.schema.types.monitoring_checks import (
    CollectorType,
    ComponentInstanceType,
    UptimeNodeType,
    UptimeTaskType,
)

MAX_METRIC_POINTS = 100_000


@strawberry.input
class AlarmFilterInput:
    business_ids: list[strawberry.ID] | None = None
    alarm_ids: list[strawberry.ID] | None = None
    statuses: list[str] | None = strawberry.field(default=None, description="ABNORMAL, RECOVERED, CLOSED")
    levels: list[int] | None = None
    origins: list[str] | None = None
    alarm_types: list[str] | None = None
    strategy_id: int | None = None
    ip: str | None = None
    bk_cloud_id: int | None = None
    source_time_from: datetime | None = None
    source_time_to: datetime | None = None
    content_contains: str | None = None
    notified: bool | None = None
    acknowledged: bool | None = None

    def to_filter(self) -> AlarmFilter:
        return AlarmFilter(
            business_ids=pks(self.business_ids, "Business") if self.business_ids is not None else None,
            ids=pks(self.alarm_ids, "Alarm") if self.alarm_ids is not None else None,
            statuses=self.statuses,
            levels=self.levels,
            origins=self.origins,
            alarm_types=self.alarm_types,
            strategy_id=self.strategy_id,
            ip=self.ip,
            bk_cloud_id=self.bk_cloud_id,
            source_time_from=self.source_time_from,
            source_time_to=self.source_time_to,
            content_contains=self.content_contains,
            notified=self.notified,
            acknowledged=self.acknowledged,
        )


@strawberry.input
class SearchAlarmsInput:
    filter: AlarmFilterInput = strawberry.field(default_factory=AlarmFilterInput)
    ordering: str = strawberry.field(default="id", description="id, source_time, begin_time, end_time; '-' = desc")
    offset: int = 0
    limit: int = 5


@strawberry.type
class AlarmSearchResult:
    count: int
    items: list[AlarmType]


@strawberry.input
class ComponentFilterInput:
    business_id: strawberry.ID | None = None
    component_ids: list[strawberry.ID] | None = None
    ip: str | None = None
    component: str | None = None
    bk_cloud_id: int | None = None
    status: str | None = None


@strawberry.type
class QueryDataResult:
    rows: JSON = strawberry.field(description="The documented `list`: one object per group and time bucket.")
    select_fields_order: list[str]
    total_records: int
    timetaken: float
    cluster: str
    device: str


def _window(start: datetime | None, end: datetime | None, step: int) -> tuple[int, int, int]:
    now = int(time.time())
    end_s = int(end.timestamp()) if end else now + 1
    start_s = int(start.timestamp()) if start else end_s - 3600
    if end_s <= start_s:
        raise ValidationFailed("to must be after from", field="to")
    if not 1 <= step <= 86400:
        raise ValidationFailed("step must be 1 to 86400 seconds", field="step")
    if (end_s - start_s) // step > MAX_METRIC_POINTS:
        raise ValidationFailed(f"at most {MAX_METRIC_POINTS} points per series: raise step", field="step")
    return start_s - start_s % step, end_s, step


@strawberry.type
class MonitoringQuery:
    @strawberry.field(description="Alarms of the businesses you can see, newest first.")
    async def alarms(
        self, info: Info, first: int, after: str | None = None, filter: AlarmFilterInput | None = None
    ) -> Connection[AlarmType]:
        query = alarm_query(info.context.caller, (filter or AlarmFilterInput()).to_filter())
        return await connection_from_query(
            query,
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=AlarmType.from_row,
            descending=True,
        )

    @strawberry.field(description="Null when missing or not visible to you.")
    async def alarm(self, info: Info, id: strawberry.ID) -> AlarmType | None:
        row = await Alarm.get_or_none(id=pk(id, "Alarm")).values()
        if row is None or not info.context.caller.can(row["business_id"]):
            return None
        return AlarmType.from_row(row)

    @strawberry.field(description="Offset-paged alarms with bk-monitor's orderings (get_alarms, list_alarm_instance).")
    async def search_alarms(self, info: Info, input: SearchAlarmsInput) -> AlarmSearchResult:
        total, rows = await search_alarms(
            info.context.caller,
            input.filter.to_filter(),
            ordering=input.ordering,
            offset=input.offset,
            limit=input.limit,
        )
        return AlarmSearchResult(count=total, items=[AlarmType.from_row(r) for r in rows])

    @strawberry.field(description="A business's monitor sources with their alarm strategies.")
    async def monitor_sources(
        self, info: Info, business_id: strawberry.ID, first: int, after: str | None = None
    ) -> Connection[MonitorSourceType]:
        business = await get_business(info.context.caller, pk(business_id, "Business"))
        return await connection_from_query(
            MonitorSource.filter(business_id=business.id),
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=MonitorSourceType.from_row,
        )

    @strawberry.field(description="export_alarm_strategy: {success: [...], fail: [{monitor_id, message}]}.")
    async def export_alarm_strategies(self, info: Info, business_id: strawberry.ID, monitor_ids: list[int]) -> JSON:
        exported = await strategy_actions.export_sources(info.context.caller, pk(business_id, "Business"), monitor_ids)
        return cast(JSON, exported)

    @strawberry.field(description="bk-monitor v2 query_data: a SQL-like query over the metrics store.")
    async def query_data(self, info: Info, sql: str) -> QueryDataResult:
        data = await run_query(info.context.caller, sql)
        return QueryDataResult(
            rows=cast(JSON, data["list"]),
            select_fields_order=data["select_fields_order"],
            total_records=data["totalRecords"],
            timetaken=data["timetaken"],
            cluster=data["cluster"],
            device=data["device"],
        )

    @strawberry.field(description="A metric of a business aggregated per step, one series per groupBy value set.")
    async def business_metrics(
        self,
        info: Info,
        business_id: strawberry.ID,
        table: str,
        metric: str,
        step: int = 60,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        group_by: list[str] | None = None,
        aggregate_by: str = "avg",
    ) -> list[MetricSeriesType]:
        business = await get_business(info.context.caller, pk(business_id, "Business"))
        spec = await table_spec(business.id, table)
        if metric not in spec.metrics:
            raise ValidationFailed(f"table {table} has no metric {metric!r}", field="metric")
        if aggregate_by not in AGGREGATES:
            raise ValidationFailed(f"aggregateBy must be one of {', '.join(AGGREGATES)}", field="aggregateBy")
        dims = list(group_by or [])
        unknown = [d for d in dims if d not in spec.dimensions]
        if unknown:
            raise ValidationFailed(f"{table} has no dimension {unknown[0]!r}", field="groupBy")
        start, end, step = _window(from_, to, step)
        series = await find_series([business.id], table, metric)
        groups = await aggregate(series, start=start, end=end, bucket=step, group_by=dims)
        result = []
        for key in sorted(groups):
            buckets = groups[key]
            points = [(m, v) for m in sorted(buckets) if (v := buckets[m].value(aggregate_by)) is not None]
            result.append(
                MetricSeriesType.from_series(SeriesPoints(table, metric, dict(zip(dims, key, strict=True)), points))
            )
        return result

    @strawberry.field
    async def uptime_nodes(self, info: Info, business_id: strawberry.ID) -> list[UptimeNodeType]:
        business = await get_business(info.context.caller, pk(business_id, "Business"))
        rows = await UptimeNode.filter(business_id=business.id).order_by("id").values()
        return [UptimeNodeType.from_row(r) for r in rows]

    @strawberry.field
    async def uptime_tasks(self, info: Info, business_id: strawberry.ID) -> list[UptimeTaskType]:
        business = await get_business(info.context.caller, pk(business_id, "Business"))
        rows = await UptimeTask.filter(business_id=business.id).order_by("id").values()
        return [UptimeTaskType.from_row(r) for r in rows]

    @strawberry.field(description="export_uptime_check_task's data: one item per task.")
    async def export_uptime_tasks(
        self,
        info: Info,
        business_id: strawberry.ID,
        protocol: str | None = None,
        task_ids: list[int] | None = None,
        with_nodes: bool = True,
    ) -> JSON:
        exported = await uptime_actions.export_tasks(
            info.context.caller,
            pk(business_id, "Business"),
            protocol=protocol,
            task_ids=task_ids,
            with_nodes=with_nodes,
        )
        return cast(JSON, exported)

    @strawberry.field
    async def collectors(self, info: Info, business_id: strawberry.ID, kind: str | None = None) -> list[CollectorType]:
        business = await get_business(info.context.caller, pk(business_id, "Business"))
        query = Collector.filter(business_id=business.id)
        if kind is not None:
            query = query.filter(kind=_kind(kind))
        return [CollectorType.from_row(r) for r in await query.order_by("id").values()]

    @strawberry.field(description="export_script_collector / export_log_collector data.")
    async def export_collectors(
        self, info: Info, business_id: strawberry.ID, kind: str, ids: list[int] | None = None
    ) -> JSON:
        exported = await collector_actions.export_collectors(
            info.context.caller, pk(business_id, "Business"), _kind(kind), ids
        )
        return cast(JSON, exported)

    @strawberry.field(description="Components (redis, mysql, nginx…) the agents found listening.")
    async def component_instances(
        self, info: Info, first: int, after: str | None = None, filter: ComponentFilterInput | None = None
    ) -> Connection[ComponentInstanceType]:
        spec = filter or ComponentFilterInput()
        query = component_query(
            info.context.caller,
            ComponentFilter(
                business_ids=[pk(spec.business_id, "Business")] if spec.business_id is not None else None,
                ids=pks(spec.component_ids, "ComponentInstance") if spec.component_ids is not None else None,
                ip=spec.ip,
                component=spec.component,
                bk_cloud_id=spec.bk_cloud_id,
                status=spec.status,
            ),
        )
        return await connection_from_query(
            query,
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=ComponentInstanceType.from_row,
        )


def _kind(value: Any) -> CollectorKind:
    try:
        return CollectorKind(str(value).upper())
    except ValueError as exc:
        raise ValidationFailed("kind must be SCRIPT or LOG", field="kind") from exc
