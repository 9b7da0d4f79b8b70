"""The documented v2 strategy shape, validated and normalised (import_alarm_strategy's conf_list
items, export_alarm_strategy's success items, import_uptime_check_task's monitor_conf).

Where the docs disagree we accept both forms:
- `stat_source_info` is a JSON *string* in the docs' examples; a JSON object is accepted too;
- the notice window is `notice_start_time`/`notice_end_time` (strategy docs) or
  `alarm_start_time`/`alarm_end_time` (uptime docs);
- `alarm_window` is an int in the docs and a string ("5") in the alarm snapshot example;
- `level` keys of `alarm_level_config` are strings ("2") or ints.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.monitoring import algorithms

LEVELS = ("1", "2", "3")
ALGORITHMS = algorithms.ALGORITHMS
describe_algorithm = algorithms.describe
NOTIFY_WAYS = {"mail": "mail", "wechat": "weixin", "weixin": "weixin", "sms": "sms", "phone": "voice", "voice": "voice"}
# role_list names → the Business column holding those people. v2 spells the business roles
# "Maintainers", "Operator"…, v3 notice groups "bk_biz_maintainer"…; "other" (the docs' example)
# stands for the `responsible` list and adds nobody.
ROLE_FIELDS = {
    "maintainers": "maintainer",
    "maintainer": "maintainer",
    "bk_biz_maintainer": "maintainer",
    "operator": "operator",
    "productor": "productor",
    "bk_biz_productor": "productor",
    "developer": "developer",
    "bk_biz_developer": "developer",
    "tester": "tester",
    "bk_biz_tester": "tester",
    "other": "",
}
CONDITION_METHODS = {"eq", "neq", "include", "exclude", "reg", "gt", "gte", "lt", "lte"}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def invalid(message: str, where: str) -> ValidationFailed:
    return ValidationFailed(message, field=where)


def _int(value: Any, where: str, low: int, high: int, default: int | None = None) -> int:
    if value is None or value == "":
        if default is None:
            raise invalid(f"{where} is required", where)
        return default
    if isinstance(value, bool):
        raise invalid(f"{where} must be an integer", where)
    try:
        number = int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError) as exc:
        raise invalid(f"{where} must be an integer", where) from exc
    if isinstance(value, float) and not value.is_integer():
        raise invalid(f"{where} must be an integer", where)
    if not low <= number <= high:
        raise invalid(f"{where} must be between {low} and {high}, got {number}", where)
    return number


def _number(value: Any, where: str, *, optional: bool = False) -> float | None:
    if value is None or value == "":
        if optional:
            return None
        raise invalid(f"{where} is required", where)
    if isinstance(value, bool):
        raise invalid(f"{where} must be a number", where)
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise invalid(f"{where} must be a number", where) from exc


def _bool(value: Any, where: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false", "True", "False"):
        return str(value).lower() in ("1", "true")
    raise invalid(f"{where} must be a boolean", where)


def _names(value: Any, where: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[,;\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 128 for v in value):
        raise invalid(f"{where} must be a list of names", where)
    if len(value) > 100:
        raise invalid(f"{where} may name at most 100 receivers", where)
    return list(value)


def _hhmm(value: Any, where: str, default: str) -> str:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or not _HHMM.match(value.strip()):
        raise invalid(f"{where} must be a time HH:MM", where)
    return value.strip()[:5]


def algorithm(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise invalid(f"{where} must be an object", where)
    algorithm_id = _int(item.get("algorithm_id"), f"{where}.algorithm_id", 0, 10**6)
    config = algorithms.normalise(algorithm_id, item.get("config"), f"{where}.config")
    return {"algorithm_id": algorithm_id, "config": config}


def level_config(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid(f"{where} must be an object", where)
    algorithms = raw.get("detect_algorithm")
    if not isinstance(algorithms, list) or not algorithms or len(algorithms) > 10:
        raise invalid(f"{where}.detect_algorithm must list 1 to 10 algorithms", f"{where}.detect_algorithm")
    ways = []
    for way in _names(raw.get("notify_way"), f"{where}.notify_way"):
        if way not in NOTIFY_WAYS:
            raise invalid(f"{where}.notify_way {way!r} is not one of mail, wechat, sms, phone", f"{where}.notify_way")
        ways.append(way)
    roles = _names(raw.get("role_list"), f"{where}.role_list")
    for role in roles:
        if role.lower() not in ROLE_FIELDS:
            raise invalid(
                f"{where}.role_list {role!r} is not a business role (Maintainers, Operator, Productor, Developer, "
                "Tester, other)",
                f"{where}.role_list",
            )
    return {
        "detect_algorithm": [algorithm(a, f"{where}.detect_algorithm[{i}]") for i, a in enumerate(algorithms)],
        "notify_way": ways,
        "responsible": _names(raw.get("responsible"), f"{where}.responsible"),
        "phone_receiver": _names(raw.get("phone_receiver"), f"{where}.phone_receiver"),
        "role_list": roles,
        "notice_start_time": _hhmm(
            raw.get("notice_start_time", raw.get("alarm_start_time")), f"{where}.notice_start_time", "00:00"
        ),
        "notice_end_time": _hhmm(
            raw.get("notice_end_time", raw.get("alarm_end_time")), f"{where}.notice_end_time", "23:59"
        ),
        "is_recovery": _bool(raw.get("is_recovery"), f"{where}.is_recovery", False),
    }


def condition(raw: Any, where: str = "condition") -> list[list[dict[str, Any]]]:
    """OR of AND lists of {field, method, value}; [], [[]] and [[], []] all mean "everything"."""
    if raw is None or raw == "":
        return [[]]
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise invalid(f"{where} is not valid JSON", where) from exc
    if not isinstance(raw, list) or len(raw) > 20:
        raise invalid(f"{where} must be a list of condition lists", where)
    result: list[list[dict[str, Any]]] = []
    for i, group in enumerate(raw):
        if not isinstance(group, list) or len(group) > 20:
            raise invalid(f"{where}[{i}] must be a list of conditions", f"{where}[{i}]")
        clean = []
        for j, item in enumerate(group):
            at = f"{where}[{i}][{j}]"
            if not isinstance(item, dict) or not isinstance(item.get("field"), str) or not _NAME.match(item["field"]):
                raise invalid(f"{at} must be {{field, method, value}}", at)
            method = item.get("method", "eq")
            if method not in CONDITION_METHODS:
                raise invalid(f"{at}.method must be one of {', '.join(sorted(CONDITION_METHODS))}", f"{at}.method")
            value = item.get("value")
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in values):
                raise invalid(f"{at}.value must be a value or a list of values", f"{at}.value")
            if method == "reg":
                for pattern in values:
                    try:
                        re.compile(str(pattern))
                    except re.error as exc:
                        raise invalid(f"{at}.value is not a valid regular expression", f"{at}.value") from exc
            clean.append({"field": item["field"], "method": method, "value": [str(v) for v in values]})
        result.append(clean)
    return result or [[]]


@dataclass
class StrategySpec:
    name: str
    levels: dict[str, Any]
    count: int
    check_window: int
    alarm_window: int
    nodata_alarm: int
    condition: list[list[dict[str, Any]]]
    is_recovery: bool
    is_enabled: bool
    is_classify_notice: bool
    scenario: str
    strategy_id: int | None = None  # alarm_strategy_id: which strategy of the source an update keeps


@dataclass
class SourceSpec:
    title: str
    description: str
    scenario: str
    monitor_type: str
    src_type: str
    stat_source_type: str
    table: str
    field: str
    aggregator: str
    count_freq: int
    dimensions: list[str]
    where_sql: str
    unit: str
    unit_conversion: float
    is_enabled: bool
    strategies: list[StrategySpec] = dataclass_field(default_factory=list)
    monitor_id: int | None = None


def strategy_spec(raw: Any, where: str, default_scenario: str) -> StrategySpec:
    if not isinstance(raw, dict):
        raise invalid(f"{where} must be an object", where)
    levels_raw = raw.get("alarm_level_config")
    if not isinstance(levels_raw, dict) or not levels_raw:
        raise invalid(f"{where}.alarm_level_config must configure at least one level", f"{where}.alarm_level_config")
    levels: dict[str, Any] = {}
    for key, value in levels_raw.items():
        if str(key) not in LEVELS:
            raise invalid(f"{where}.alarm_level_config level {key!r} is not 1, 2 or 3", f"{where}.alarm_level_config")
        levels[str(key)] = level_config(value, f"{where}.alarm_level_config.{key}")
    rules = raw.get("rules") or {}
    if not isinstance(rules, dict):
        raise invalid(f"{where}.rules must be an object", f"{where}.rules")
    check_window = _int(rules.get("check_window"), f"{where}.rules.check_window", 1, 60, 5)
    count = _int(rules.get("count"), f"{where}.rules.count", 1, 60, 1)
    if count > check_window:
        raise invalid(f"{where}.rules.count ({count}) exceeds check_window ({check_window})", f"{where}.rules.count")
    name = raw.get("display_name") or raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 256:
        raise invalid(f"{where}.display_name is required (at most 256 characters)", f"{where}.display_name")
    return StrategySpec(
        name=name.strip(),
        levels=levels,
        count=count,
        check_window=check_window,
        alarm_window=_int(rules.get("alarm_window"), f"{where}.rules.alarm_window", 0, 10080, 60),
        nodata_alarm=_int(raw.get("nodata_alarm"), f"{where}.nodata_alarm", 0, 60, 0),
        condition=condition(raw.get("condition"), f"{where}.condition"),
        is_recovery=_bool(raw.get("is_recovery"), f"{where}.is_recovery", True),
        is_enabled=_bool(raw.get("is_enabled"), f"{where}.is_enabled", True),
        is_classify_notice=_bool(raw.get("is_classify_notice"), f"{where}.is_classify_notice", False),
        scenario=str(raw.get("scenario") or default_scenario)[:32],
        strategy_id=None
        if raw.get("alarm_strategy_id") in (None, "", 0)
        else _int(raw.get("alarm_strategy_id"), f"{where}.alarm_strategy_id", 1, 2**31 - 1),
    )


def source_spec(raw: Any, business_id: int, where: str = "conf") -> SourceSpec:
    """A monitor source with its strategies (one conf_list item)."""
    if not isinstance(raw, dict):
        raise invalid(f"{where} must be an object", where)
    info = raw.get("stat_source_info")
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except ValueError as exc:
            raise invalid(f"{where}.stat_source_info is not valid JSON", f"{where}.stat_source_info") from exc
    if not isinstance(info, dict):
        raise invalid(f"{where}.stat_source_info must be an object (or its JSON text)", f"{where}.stat_source_info")
    table_id = info.get("monitor_result_table_id")
    found = re.match(r"^(\d+)_([A-Za-z_][A-Za-z0-9_]{0,63})$", str(table_id or ""))
    if not found:
        raise invalid(
            f"{where}.stat_source_info.monitor_result_table_id must be <bk_biz_id>_<table>",
            f"{where}.stat_source_info.monitor_result_table_id",
        )
    if int(found.group(1)) != business_id:
        raise invalid(
            f"{where}.stat_source_info.monitor_result_table_id belongs to business {found.group(1)}, not {business_id}",
            f"{where}.stat_source_info.monitor_result_table_id",
        )
    metric = info.get("monitor_field") or raw.get("monitor_target")
    if not isinstance(metric, str) or not _NAME.match(metric):
        raise invalid(f"{where}.stat_source_info.monitor_field is required", f"{where}.stat_source_info.monitor_field")
    aggregator = str(info.get("aggregator") or "avg").lower()
    if aggregator not in ("avg", "sum", "min", "max", "count"):
        raise invalid(
            f"{where}.stat_source_info.aggregator must be avg, sum, min, max or count",
            f"{where}.stat_source_info.aggregator",
        )
    dimensions = info.get("dimensions") or []
    if not isinstance(dimensions, list) or not all(isinstance(d, str) and _NAME.match(d) for d in dimensions):
        raise invalid(f"{where}.stat_source_info.dimensions must be a list of names", f"{where}.stat_source_info")
    where_sql = info.get("where_sql") or ""
    if not isinstance(where_sql, str) or len(where_sql) > 1024:
        raise invalid(f"{where}.stat_source_info.where_sql must be text", f"{where}.stat_source_info.where_sql")
    title = raw.get("title") or raw.get("display_name")
    if not isinstance(title, str) or not title.strip() or len(title) > 256:
        raise invalid(f"{where}.title is required (at most 256 characters)", f"{where}.title")
    scenario = str(raw.get("scenario") or "custom")[:32]
    strategies_raw = raw.get("alarm_strategy")
    if not isinstance(strategies_raw, list) or len(strategies_raw) > 20:
        raise invalid(f"{where}.alarm_strategy must be a list of strategies", f"{where}.alarm_strategy")
    monitor_id = raw.get("monitor_id")
    return SourceSpec(
        title=title.strip(),
        description=str(raw.get("description") or "")[:1024],
        scenario=scenario,
        monitor_type=str(raw.get("monitor_type") or "")[:32],
        src_type=str(raw.get("src_type") or "BKMONITOR")[:32],
        stat_source_type=str(raw.get("stat_source_type") or "BKDATA")[:32],
        table=found.group(2),
        field=metric,
        aggregator=aggregator,
        count_freq=_int(info.get("count_freq"), f"{where}.stat_source_info.count_freq", 1, 86400, 60),
        dimensions=list(dimensions),
        where_sql=where_sql,
        unit=str(info.get("unit") or "")[:32],
        unit_conversion=_number(info.get("unit_conversion", 1.0), f"{where}.stat_source_info.unit_conversion") or 1.0,
        is_enabled=_bool(raw.get("is_enabled"), f"{where}.is_enabled", True),
        strategies=[strategy_spec(s, f"{where}.alarm_strategy[{i}]", scenario) for i, s in enumerate(strategies_raw)],
        monitor_id=None if monitor_id in (None, "", 0) else _int(monitor_id, f"{where}.monitor_id", 1, 2**31 - 1),
    )


def converge_display(check_window: int, count: int, alarm_window: int) -> str:
    window = f"{alarm_window // 60}小时" if alarm_window and alarm_window % 60 == 0 else f"{alarm_window}分钟"
    return f"{check_window}个周期内,满足{count}次检测算法,且告警产生后未恢复,{window}内不再告警"
