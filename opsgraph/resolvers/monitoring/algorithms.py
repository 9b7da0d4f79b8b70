"""The detection algorithms of a strategy level: their documented configs, what history each needs,
whether one holds for a period, and how it reads in an alarm.

The v2 catalogue documents 1000 static threshold, 1001 year-on-year (simple) and 1002 ring ratio
(simple). bk-monitor numbers its other threshold-family algorithms 1003..1007 (the v3 names the
wave-2 notes list: AdvancedYearRound, AdvancedRingRatio, YearRoundAmplitude, YearRoundRange,
RingRatioAmplitude), with the configs of its serializers; they are implemented over the stored
series here. Values are compared as displayed (raw / unit_conversion).

- 1000 `{threshold, method gte|gt|lte|lt|eq|neq}`: value `method` threshold.
- 1001 `{ceil, floor}` (percent): change against the same period 7 days earlier.
- 1002 `{ceil, floor}` (percent): change against the previous period.
- 1003 `{ceil, ceil_interval, floor, floor_interval, fetch_type avg|last}`: change against the
  absolute values at the same moment of the last `*_interval` days (their mean, or the latest).
- 1004 same config: against the previous `*_interval` periods.
- 1005 `{ratio, shock, days, method}`: |value − previous| `method` |same difference i days ago| ×
  ratio + shock, for any i in 1..days.
- 1006 `{ratio, shock, days, method}`: |value| `method` |value i days ago| × ratio + shock, any i.
- 1007 `{ratio, shock, threshold}`: value and previous both ≥ threshold, and
  |value − previous| ≥ previous × ratio + shock.
Missing history means "does not hold" (an alarm needs evidence).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from opsgraph.core.errors import ValidationFailed

STATIC, YEAR_ON_YEAR, RING_RATIO = 1000, 1001, 1002
ADVANCED_YEAR_ROUND, ADVANCED_RING_RATIO = 1003, 1004
YEAR_ROUND_AMPLITUDE, YEAR_ROUND_RANGE, RING_RATIO_AMPLITUDE = 1005, 1006, 1007
ALGORITHMS = {
    STATIC: "静态阈值",
    YEAR_ON_YEAR: "同比策略(简易)",
    RING_RATIO: "环比策略(简易)",
    ADVANCED_YEAR_ROUND: "同比策略(高级)",
    ADVANCED_RING_RATIO: "环比策略(高级)",
    YEAR_ROUND_AMPLITUDE: "同比振幅",
    YEAR_ROUND_RANGE: "同比区间",
    RING_RATIO_AMPLITUDE: "环比振幅",
}
METHODS = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "neq": "≠"}
AMPLITUDE_METHODS = ("gte", "gt", "lte", "lt", "eq")
DAY = 86400
WEEK = 7 * DAY
MAX_DAYS = 30
MAX_INTERVAL = 60
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gte": lambda v, t: v >= t,
    "gt": lambda v, t: v > t,
    "lte": lambda v, t: v <= t,
    "lt": lambda v, t: v < t,
    "eq": lambda v, t: v == t,
    "neq": lambda v, t: v != t,
}
# The value of the group at an epoch second (a period start), None when there is no data.
Lookup = Callable[[int], float | None]


def _bad(message: str, where: str) -> ValidationFailed:
    return ValidationFailed(message, field=where)


def _number(config: dict[str, Any], name: str, where: str, *, optional: bool = False) -> float | None:
    value = config.get(name)
    if value is None or value == "":
        if optional:
            return None
        raise _bad(f"{where}.{name} is required", f"{where}.{name}")
    if isinstance(value, bool):
        raise _bad(f"{where}.{name} must be a number", f"{where}.{name}")
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise _bad(f"{where}.{name} must be a number", f"{where}.{name}") from exc


def _count(config: dict[str, Any], name: str, where: str, high: int, *, optional: bool = False) -> int | None:
    number = _number(config, name, where, optional=optional)
    if number is None:
        return None
    if not number.is_integer() or not 1 <= number <= high:
        raise _bad(f"{where}.{name} must be a whole number from 1 to {high}", f"{where}.{name}")
    return int(number)


def _percent(config: dict[str, Any], name: str, where: str) -> float | None:
    value = _number(config, name, where, optional=True)
    if value is not None and value < 0:
        raise _bad(f"{where}.{name} must not be negative", f"{where}.{name}")
    return value


def _advanced(config: dict[str, Any], where: str, unit: str) -> dict[str, Any]:
    fetch_type = config.get("fetch_type") or "avg"
    if fetch_type not in ("avg", "last"):
        raise _bad(f"{where}.fetch_type must be avg or last", f"{where}.fetch_type")
    clean: dict[str, Any] = {"fetch_type": fetch_type}
    for side in ("ceil", "floor"):
        percent = _percent(config, side, where)
        interval = _count(config, f"{side}_interval", where, MAX_INTERVAL, optional=True)
        configured = percent is not None and interval is not None
        clean[side] = percent if configured else None
        clean[f"{side}_interval"] = interval if configured else None
    if clean["ceil"] is None and clean["floor"] is None:
        raise _bad(f"{where} needs ceil with ceil_interval ({unit}) or floor with floor_interval", where)
    return clean


def normalise(algorithm_id: int, raw: Any, where: str) -> dict[str, Any]:
    """The stored config of one algorithm; a bad one is refused naming its field."""
    config = raw or {}
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError as exc:
            raise _bad(f"{where} is not valid JSON", where) from exc
    if not isinstance(config, dict):
        raise _bad(f"{where} must be an object", where)
    message = str(config.get("message") or "")[:256]
    if algorithm_id == STATIC:
        method = config.get("method")
        if method not in METHODS:
            raise _bad(f"{where}.method must be one of {', '.join(METHODS)}", f"{where}.method")
        return {"threshold": _number(config, "threshold", where), "method": method, "message": message}
    if algorithm_id in (YEAR_ON_YEAR, RING_RATIO):
        ceil, floor = _percent(config, "ceil", where), _percent(config, "floor", where)
        if ceil is None and floor is None:
            raise _bad(f"{where} needs ceil or floor (percent)", where)
        return {"ceil": ceil, "floor": floor, "message": message}
    if algorithm_id in (ADVANCED_YEAR_ROUND, ADVANCED_RING_RATIO):
        unit = "days" if algorithm_id == ADVANCED_YEAR_ROUND else "periods"
        return {**_advanced(config, where, unit), "message": message}
    if algorithm_id in (YEAR_ROUND_AMPLITUDE, YEAR_ROUND_RANGE):
        method = config.get("method")
        if method not in AMPLITUDE_METHODS:
            raise _bad(f"{where}.method must be one of {', '.join(AMPLITUDE_METHODS)}", f"{where}.method")
        return {
            "ratio": _number(config, "ratio", where),
            "shock": _number(config, "shock", where),
            "days": _count(config, "days", where, MAX_DAYS),
            "method": method,
            "message": message,
        }
    if algorithm_id == RING_RATIO_AMPLITUDE:
        return {
            "ratio": _number(config, "ratio", where),
            "shock": _number(config, "shock", where),
            "threshold": _number(config, "threshold", where),
            "message": message,
        }
    known = ", ".join(f"{k} {v}" for k, v in ALGORITHMS.items())
    raise _bad(f"algorithm_id {algorithm_id} is not supported ({known})", where.rsplit(".", 1)[0] + ".algorithm_id")


def history_needs(item: dict[str, Any], period: int) -> tuple[int, set[int]]:
    """(how many earlier periods, which day-sized offsets in seconds) the algorithm reads. The
    history at a day offset is read for the check window and one period before it."""
    algorithm_id, config = item["algorithm_id"], item["config"]
    if algorithm_id in (RING_RATIO, RING_RATIO_AMPLITUDE):
        return 1, set()
    if algorithm_id == ADVANCED_RING_RATIO:
        return max(config["ceil_interval"] or 0, config["floor_interval"] or 0), set()
    if algorithm_id == YEAR_ON_YEAR:
        return 0, {WEEK}
    if algorithm_id == ADVANCED_YEAR_ROUND:
        days = max(config["ceil_interval"] or 0, config["floor_interval"] or 0)
        return 0, {d * DAY for d in range(1, days + 1)}
    if algorithm_id == YEAR_ROUND_AMPLITUDE:
        return 1, {d * DAY for d in range(1, config["days"] + 1)}
    if algorithm_id == YEAR_ROUND_RANGE:
        return 0, {d * DAY for d in range(1, config["days"] + 1)}
    return 0, set()


def _changed(value: float, base: float | None, config: dict[str, Any]) -> bool:
    """A rise of at least `ceil` percent or a fall of at least `floor` percent against `base`."""
    if base is None or base == 0:
        return False
    change = (value - base) / abs(base) * 100
    return (config.get("ceil") is not None and change >= config["ceil"]) or (
        config.get("floor") is not None and -change >= config["floor"]
    )


def _history(points: list[float | None], fetch_type: str) -> float | None:
    known = [p for p in points if p is not None]
    if not known:
        return None
    return known[0] if fetch_type == "last" else sum(known) / len(known)


def _advanced_holds(value: float, config: dict[str, Any], back: Callable[[int], list[float | None]]) -> bool:
    for side in ("ceil", "floor"):
        interval = config[f"{side}_interval"]
        if interval and _changed(value, _history(back(interval), config["fetch_type"]), {side: config[side]}):
            return True
    return False


def holds(item: dict[str, Any], moment: int, value: float, at: Lookup, period: int) -> bool:
    """Whether the algorithm finds the period starting at `moment` (value `value`) anomalous."""
    algorithm_id, config = item["algorithm_id"], item["config"]
    if algorithm_id == STATIC:
        return COMPARE[config["method"]](value, float(config["threshold"]))
    if algorithm_id == RING_RATIO:
        return _changed(value, at(moment - period), config)
    if algorithm_id == YEAR_ON_YEAR:
        return _changed(value, at(moment - WEEK), config)
    if algorithm_id == ADVANCED_RING_RATIO:
        # Newest first, so "last" is the previous period.
        return _advanced_holds(value, config, lambda n: [at(moment - k * period) for k in range(1, n + 1)])
    if algorithm_id == ADVANCED_YEAR_ROUND:

        def days_back(n: int) -> list[float | None]:
            return [abs(v) if (v := at(moment - d * DAY)) is not None else None for d in range(1, n + 1)]

        return _advanced_holds(abs(value), config, days_back)
    compare = COMPARE.get(str(config.get("method")), COMPARE["gte"])
    if algorithm_id == YEAR_ROUND_RANGE:
        history = [at(moment - d * DAY) for d in range(1, config["days"] + 1)]
        return any(compare(abs(value), abs(h) * config["ratio"] + config["shock"]) for h in history if h is not None)
    previous = at(moment - period)
    if previous is None:
        return False
    if algorithm_id == RING_RATIO_AMPLITUDE:
        both_high = value >= config["threshold"] and previous >= config["threshold"]
        return both_high and abs(value - previous) >= previous * config["ratio"] + config["shock"]
    if algorithm_id == YEAR_ROUND_AMPLITUDE:
        diff = abs(value - previous)
        for d in range(1, config["days"] + 1):
            then, before = at(moment - d * DAY), at(moment - d * DAY - period)
            if (
                then is not None
                and before is not None
                and compare(diff, abs(then - before) * config["ratio"] + config["shock"])
            ):
                return True
        return False
    return False


def _shown(number: float) -> str:
    return f"{int(number)}" if float(number).is_integer() else f"{number:g}"


def describe(item: dict[str, Any], unit: str = "") -> str:
    algorithm_id, config = item["algorithm_id"], item["config"]
    if algorithm_id == STATIC:
        return f"当前值{METHODS[config['method']]}阈值:{_shown(config['threshold'])}{unit}"
    if algorithm_id in (YEAR_ON_YEAR, RING_RATIO):
        kind = "同比" if algorithm_id == YEAR_ON_YEAR else "环比"
        parts = []
        if config.get("ceil") is not None:
            parts.append(f"{kind}上升≥{config['ceil']}%")
        if config.get("floor") is not None:
            parts.append(f"{kind}下降≥{config['floor']}%")
        return "或".join(parts)
    if algorithm_id in (ADVANCED_YEAR_ROUND, ADVANCED_RING_RATIO):
        span = "天内同一时刻" if algorithm_id == ADVANCED_YEAR_ROUND else "个时间点"
        fetch = "均值" if config["fetch_type"] == "avg" else "瞬间值"
        parts = []
        if config.get("ceil") is not None:
            parts.append(f"较前{config['ceil_interval']}{span}的{fetch}上升超过{config['ceil']}%")
        if config.get("floor") is not None:
            parts.append(f"较前{config['floor_interval']}{span}的{fetch}下降超过{config['floor']}%")
        return "或".join(parts)
    if algorithm_id == RING_RATIO_AMPLITUDE:
        return (
            f"当前值与前一时刻值均≥{_shown(config['threshold'])}{unit},且差值≥前一时刻值×{config['ratio']:g}"
            f"+{_shown(config['shock'])}{unit}"
        )
    sign = METHODS[config["method"]]
    if algorithm_id == YEAR_ROUND_AMPLITUDE:
        return (
            f"当前值-前一时刻值{sign}过去{config['days']}天内任一天同时刻差值×{config['ratio']:g}"
            f"+{_shown(config['shock'])}{unit}"
        )
    return f"当前值{sign}过去{config['days']}天内同一时刻绝对值×{config['ratio']:g}+{_shown(config['shock'])}{unit}"
