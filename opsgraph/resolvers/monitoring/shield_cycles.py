"""When a shield is in force, and the business clock alarms are judged by.

bk-monitor judges a notice window ("告警时间段", `notice_start_time`/`notice_end_time`) and a periodic
shield's daily window by the wall clock of the business (the CMDB business's `time_zone`, default
Asia/Shanghai), not by the server's clock: an operator in Shanghai who writes "09:00-18:00" means
office hours in Shanghai. OpsGraph does the same; an unknown zone name falls back to UTC.

A shield's `cycle_config` (bk-monitor add_shield) is
`{type: 1 once | 2 daily | 3 weekly | 4 monthly, begin_time, end_time, week_list, day_list}`:
- type 1 (or no cycle): in force for the whole [begin, end) of the shield;
- types 2-4: in force between `begin_time` and `end_time` (HH:MM or HH:MM:SS, local time) on the days
  the type selects (weekly: `week_list` 1 Monday … 7 Sunday, monthly: `day_list` 1..31), and only
  inside the shield's [begin, end). An end before the begin runs past midnight and belongs to the
  day it started on. An empty begin/end time means the whole day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.topology import Business

ONCE, DAILY, WEEKLY, MONTHLY = 1, 2, 3, 4
CYCLE_TYPES = {ONCE: "once", DAILY: "daily", WEEKLY: "weekly", MONTHLY: "monthly"}
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
UTC_ZONE = ZoneInfo("UTC")


def zone_named(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


async def business_zone(business_id: int) -> ZoneInfo:
    rows = await Business.filter(id=business_id).values_list("time_zone", flat=True)
    return zone_named(str(rows[0]) if rows else None)


def _clock(value: Any, where: str) -> str:
    if value in (None, ""):
        return ""
    found = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if not found:
        raise ValidationFailed(f"{where} must be a time of day HH:MM or HH:MM:SS", field=where)
    return f"{found.group(1)}:{found.group(2)}:{found.group(3) or '00'}"


def _days(value: Any, where: str, low: int, high: int) -> list[int]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > 31:
        raise ValidationFailed(f"{where} must be a list of days", field=where)
    days: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).strip().isdigit():
            raise ValidationFailed(f"{where} must hold days {low}..{high}, got {item!r}", field=where)
        number = int(str(item).strip())
        if not low <= number <= high:
            raise ValidationFailed(f"{where} must hold days {low}..{high}, got {number}", field=where)
        days.append(number)
    return sorted(set(days))


def normalise_cycle(raw: Any, where: str = "cycleConfig") -> dict[str, Any]:
    """The stored cycle ({} for a one-off shield); a bad one is refused naming its field."""
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        raise ValidationFailed(f"{where} must be an object", field=where)
    unknown = sorted(set(raw) - {"type", "begin_time", "end_time", "week_list", "day_list"})
    if unknown:
        raise ValidationFailed(f"{where} has unknown keys: {', '.join(unknown)}", field=where)
    kind = raw.get("type", ONCE)
    if isinstance(kind, bool) or str(kind).strip() not in {str(k) for k in CYCLE_TYPES}:
        raise ValidationFailed(f"{where}.type must be 1 (once), 2 (daily), 3 (weekly) or 4 (monthly)", field=where)
    kind = int(str(kind).strip())
    if kind == ONCE:
        return {}
    cycle: dict[str, Any] = {
        "type": kind,
        "begin_time": _clock(raw.get("begin_time"), f"{where}.begin_time"),
        "end_time": _clock(raw.get("end_time"), f"{where}.end_time"),
        "week_list": _days(raw.get("week_list"), f"{where}.week_list", 1, 7) if kind == WEEKLY else [],
        "day_list": _days(raw.get("day_list"), f"{where}.day_list", 1, 31) if kind == MONTHLY else [],
    }
    if bool(cycle["begin_time"]) != bool(cycle["end_time"]):
        raise ValidationFailed(f"{where} needs both begin_time and end_time, or neither", field=where)
    if cycle["begin_time"] and cycle["begin_time"] == cycle["end_time"]:
        raise ValidationFailed(f"{where}.end_time must differ from begin_time", field=f"{where}.end_time")
    if kind == WEEKLY and not cycle["week_list"]:
        raise ValidationFailed(f"{where}.week_list must name days 1..7 (Monday is 1)", field=f"{where}.week_list")
    if kind == MONTHLY and not cycle["day_list"]:
        raise ValidationFailed(f"{where}.day_list must name days 1..31", field=f"{where}.day_list")
    return cycle


def _day_selected(cycle: dict[str, Any], day: date) -> bool:
    if cycle["type"] == WEEKLY:
        return day.isoweekday() in cycle["week_list"]
    if cycle["type"] == MONTHLY:
        return day.day in cycle["day_list"]
    return True


def cycle_in_force(cycle: dict[str, Any], moment: datetime, zone: ZoneInfo) -> bool:
    """Whether the periodic window covers `moment` (aware) on the business's clock."""
    if not cycle or int(cycle.get("type") or ONCE) == ONCE:
        return True
    local = moment.astimezone(zone)
    if not cycle.get("begin_time"):
        return _day_selected(cycle, local.date())
    begin = time.fromisoformat(cycle["begin_time"])
    end = time.fromisoformat(cycle["end_time"])
    now = local.time().replace(microsecond=0, tzinfo=None)
    if begin < end:
        return begin <= now < end and _day_selected(cycle, local.date())
    # Past midnight: the evening part belongs to today, the morning part to yesterday's window.
    if now >= begin:
        return _day_selected(cycle, local.date())
    return now < end and _day_selected(cycle, local.date() - timedelta(days=1))


def in_notice_window(config: dict[str, Any], moment: datetime, zone: ZoneInfo) -> bool:
    """A strategy level's daily notice window (HH:MM, both ends inclusive) on the business's clock."""
    start = config.get("notice_start_time") or "00:00"
    end = config.get("notice_end_time") or "23:59"
    now = moment.astimezone(zone).strftime("%H:%M")
    return start <= now <= end if start <= end else (now >= start or now <= end)
