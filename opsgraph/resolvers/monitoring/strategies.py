"""Monitor sources and their alarm strategies: import (create or update, partial success per
item), export in the same shape, listing, enabling and deleting. Maintainers of the business write;
anyone with a role reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, OpsGraphError
from opsgraph.models.monitoring_alarms import Alarm, AlarmEventKind, AlarmStatus, AlarmStrategy, MonitorSource
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.monitoring.alarm_events import record_alarm_event
from opsgraph.resolvers.monitoring.sql_filters import where_predicate
from opsgraph.resolvers.monitoring.strategy_shape import (
    ALGORITHMS,
    SourceSpec,
    converge_display,
    describe_algorithm,
    source_spec,
)
from opsgraph.resolvers.monitoring.tables import table_spec
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

WRITE_ROLE = "maintainer"
READ_ROLE = "viewer"
MAX_IMPORT = 200


async def _checked(spec: SourceSpec, business_id: int) -> SourceSpec:
    table = await table_spec(business_id, spec.table)
    if spec.field not in table.metrics:
        raise NotFound(
            f"table {spec.table} has no metric {spec.field!r} (it has: {', '.join(table.metrics)})",
            field="stat_source_info.monitor_field",
            code="UNKNOWN_FIELD",
        )
    allowed = set(table.dimensions)
    unknown = [d for d in spec.dimensions if d not in allowed]
    if unknown:
        raise NotFound(f"table {spec.table} has no dimension {unknown[0]!r}", field="stat_source_info.dimensions")
    where_predicate(spec.where_sql, allowed)
    return spec


async def save_source(principal: Principal, business_id: int, spec: SourceSpec) -> MonitorSource:
    """Create the source and its strategies, or (with monitor_id) replace an existing source's."""
    await _checked(spec, business_id)
    columns: dict[str, Any] = {
        "title": spec.title,
        "description": spec.description,
        "scenario": spec.scenario,
        "monitor_type": spec.monitor_type,
        "src_type": spec.src_type,
        "stat_source_type": spec.stat_source_type,
        "table": spec.table,
        "field": spec.field,
        "aggregator": spec.aggregator,
        "count_freq": spec.count_freq,
        "dimensions": spec.dimensions,
        "where_sql": spec.where_sql,
        "unit": spec.unit,
        "unit_conversion": spec.unit_conversion,
        "is_enabled": spec.is_enabled,
    }
    async with write_transaction("monitor source already exists"):
        if spec.monitor_id is not None:
            source = await MonitorSource.get_or_none(id=spec.monitor_id, business_id=business_id)
            if source is None:
                raise NotFound(f"monitor source {spec.monitor_id} does not exist", field="monitor_id")
            before = await export_source(source)
            await MonitorSource.filter(id=source.id).update(**columns)
            op_type = "update"
        else:
            source = await MonitorSource.create(business_id=business_id, created_by=principal.username, **columns)
            before = None
            op_type = "create"
        await _save_strategies(principal, source, spec)
        await source.refresh_from_db()
        await record_operation(
            principal,
            op_type=op_type,
            op_target="monitor_source",
            op_desc=f"{op_type} monitor source {spec.title}",
            business_id=business_id,
            inst_id=source.id,
            pre_data=before,
            cur_data={"title": spec.title, "strategies": [s.name for s in spec.strategies]},
        )
    return source


async def _save_strategies(principal: Principal, source: MonitorSource, spec: SourceSpec) -> None:
    """Update the source's strategies in place (by alarm_strategy_id, else by position) so their
    ids, and the alarms they raised, survive an import that replaces the source; drop the rest."""
    existing = await AlarmStrategy.filter(source_id=source.id).order_by("id")
    by_id = {s.id: s for s in existing}
    unclaimed = [s for s in existing if s.id not in {x.strategy_id for x in spec.strategies}]
    kept: set[int] = set()
    for strategy in spec.strategies:
        target = by_id.get(strategy.strategy_id) if strategy.strategy_id is not None else None
        if strategy.strategy_id is not None and target is None:
            raise NotFound(
                f"alarm strategy {strategy.strategy_id} is not in monitor source {source.id}", field="alarm_strategy_id"
            )
        if target is None and unclaimed:
            target = unclaimed.pop(0)
        columns: dict[str, Any] = {
            "name": strategy.name,
            "scenario": strategy.scenario,
            "levels": strategy.levels,
            "count": strategy.count,
            "check_window": strategy.check_window,
            "alarm_window": strategy.alarm_window,
            "nodata_alarm": strategy.nodata_alarm,
            "condition": strategy.condition,
            "is_recovery": strategy.is_recovery,
            "is_enabled": strategy.is_enabled,
            "is_classify_notice": strategy.is_classify_notice,
        }
        if target is not None:
            await AlarmStrategy.filter(id=target.id).update(**columns)
            kept.add(target.id)
        else:
            await AlarmStrategy.create(
                source_id=source.id, business_id=source.business_id, created_by=principal.username, **columns
            )
    dropped = [s.id for s in existing if s.id not in kept]
    if dropped:
        await close_strategy_alarms(dropped, "its strategy was deleted")
        await AlarmStrategy.filter(id__in=dropped).delete()


async def close_strategy_alarms(strategy_ids: list[int], reason: str) -> None:
    """Open alarms of deleted strategies can no longer recover: close them."""
    for alarm in await Alarm.filter(strategy_id__in=strategy_ids, status=AlarmStatus.ABNORMAL):
        updated = await Alarm.filter(id=alarm.id, status=AlarmStatus.ABNORMAL).update(
            status=AlarmStatus.CLOSED,
            active_key=None,
            end_time=datetime.now(UTC),
            closed_by="system",
            close_message=reason,
        )
        if updated:
            alarm.status = AlarmStatus.CLOSED
            await record_alarm_event(alarm, AlarmEventKind.CLOSED, {"by": "system", "message": reason})


async def import_sources(principal: Principal, business_id: int, conf_list: Any) -> dict[str, list[Any]]:
    """import_alarm_strategy: `{success: [{monitor_id, alarm_strategy, config}], fail: [{config, message}]}`."""
    await get_business(principal, business_id, WRITE_ROLE)
    if not isinstance(conf_list, list) or not conf_list:
        raise OpsGraphError("conf_list must be a non-empty list", field="conf_list", code="INVALID")
    if len(conf_list) > MAX_IMPORT:
        raise OpsGraphError(f"conf_list may hold at most {MAX_IMPORT} items", field="conf_list", code="LIMIT_EXCEEDED")
    success: list[Any] = []
    fail: list[Any] = []
    for index, raw in enumerate(conf_list):
        try:
            spec = source_spec(raw, business_id, f"conf_list[{index}]")
            source = await save_source(principal, business_id, spec)
        except OpsGraphError as exc:
            fail.append({"config": raw, "message": exc.message})
            continue
        exported = await export_source(source)
        success.append({"monitor_id": source.id, "alarm_strategy": exported["alarm_strategy"], "config": raw})
    return {"success": success, "fail": fail}


def _level_export(level: str, config: dict[str, Any], unit: str) -> dict[str, Any]:
    return {
        **{k: v for k, v in config.items() if k != "detect_algorithm"},
        "monitor_level": int(level),
        "detect_algorithm": [
            {**a, "name": ALGORITHMS[a["algorithm_id"]], "display": describe_algorithm(a, unit)}
            for a in config["detect_algorithm"]
        ],
    }


def strategy_export(strategy: dict[str, Any], source: Any) -> dict[str, Any]:
    """One strategy in the v2 export shape; `source` needs id, business_id and unit."""
    return {
        "alarm_strategy_id": strategy["id"],
        "monitor_id": source.id,
        "bk_biz_id": source.business_id,
        "cc_biz_id": source.business_id,
        "display_name": strategy["name"],
        "scenario": strategy["scenario"],
        "is_enabled": strategy["is_enabled"],
        "is_recovery": strategy["is_recovery"],
        "is_classify_notice": strategy["is_classify_notice"],
        "alarm_level_config": {k: _level_export(k, v, source.unit) for k, v in sorted(strategy["levels"].items())},
        "rules": {
            "count": strategy["count"],
            "check_window": strategy["check_window"],
            "alarm_window": strategy["alarm_window"],
        },
        "nodata_alarm": strategy["nodata_alarm"],
        "condition": strategy["condition"],
        "converge_display": converge_display(strategy["check_window"], strategy["count"], strategy["alarm_window"]),
        "condition_display": "当前所有维度" if all(not group for group in strategy["condition"]) else "按条件",
    }


async def export_source(source: MonitorSource) -> dict[str, Any]:
    """One export_alarm_strategy success item: what import_alarm_strategy takes back."""
    strategies = await AlarmStrategy.filter(source_id=source.id).order_by("id").values()
    info = {
        "where_sql": source.where_sql,
        "monitor_result_table_id": f"{source.business_id}_{source.table}",
        "count_freq": source.count_freq,
        "unit_conversion": source.unit_conversion,
        "aggregator": source.aggregator,
        "monitor_field": source.field,
        "unit": source.unit,
        "dimensions": source.dimensions,
    }
    return {
        "monitor_id": source.id,
        "title": source.title,
        "description": source.description,
        "scenario": source.scenario,
        "biz_id": source.business_id,
        "monitor_target": source.field,
        "src_type": source.src_type,
        "stat_source_type": source.stat_source_type,
        "monitor_type": source.monitor_type,
        "is_enabled": source.is_enabled,
        "stat_source_info": json.dumps(info, ensure_ascii=False),  # a JSON string, as documented
        "alarm_strategy": [strategy_export(s, source) for s in strategies],
    }


async def export_sources(principal: Principal, business_id: int, monitor_ids: list[int]) -> dict[str, list[Any]]:
    """export_alarm_strategy: `{success: [...], fail: [{monitor_id, message: "can't find monitor"}]}`."""
    await get_business(principal, business_id, READ_ROLE)
    found = {s.id: s for s in await MonitorSource.filter(business_id=business_id, id__in=monitor_ids)}
    success, fail = [], []
    for monitor_id in monitor_ids:
        source = found.get(monitor_id)
        if source is None:
            fail.append({"monitor_id": monitor_id, "message": "can't find monitor"})
        else:
            success.append(await export_source(source))
    return {"success": success, "fail": fail}


async def get_source(principal: Principal, monitor_id: int, minimum_role: str = READ_ROLE) -> MonitorSource:
    source = await MonitorSource.get_or_none(id=monitor_id)
    if source is None or not principal.can(source.business_id):
        raise NotFound(f"monitor source {monitor_id} does not exist", field="monitorId")
    principal.require(source.business_id, minimum_role)
    return source


async def delete_source(principal: Principal, monitor_id: int) -> None:
    source = await get_source(principal, monitor_id, WRITE_ROLE)
    before = await export_source(source)
    async with write_transaction():
        await close_strategy_alarms(
            [s.id for s in await AlarmStrategy.filter(source_id=monitor_id)], "its monitor source was deleted"
        )
        await source.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="monitor_source",
            op_desc=f"delete monitor source {source.title}",
            business_id=source.business_id,
            inst_id=monitor_id,
            pre_data=before,
        )


async def set_strategy_enabled(principal: Principal, strategy_id: int, enabled: bool) -> AlarmStrategy:
    strategy = await AlarmStrategy.get_or_none(id=strategy_id)
    if strategy is None or not principal.can(strategy.business_id):
        raise NotFound(f"alarm strategy {strategy_id} does not exist", field="strategyId")
    principal.require(strategy.business_id, WRITE_ROLE)
    async with write_transaction():
        await AlarmStrategy.filter(id=strategy_id).update(is_enabled=enabled)
        await record_operation(
            principal,
            op_type="update",
            op_target="alarm_strategy",
            op_desc=f"{'enable' if enabled else 'disable'} alarm strategy {strategy.name}",
            business_id=strategy.business_id,
            inst_id=strategy_id,
            pre_data={"is_enabled": strategy.is_enabled},
            cur_data={"is_enabled": enabled},
        )
    await strategy.refresh_from_db()
    return strategy
