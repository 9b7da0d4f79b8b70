"""An alarm in the v2 shape (alarm_instance, list_alarm_instance, get_alarms).

The v2 `status` is undocumented ("待定"; the examples show "success"), so we answer an open string:
"success" for an ABNORMAL alarm whose handling went through, "shield" while shielded, "recovered"
and "closed" afterwards. `user_status` is notified / unnotified. Levels keep their numbers (1 fatal,
2 warning, 3 reminder).
"""

from __future__ import annotations

import json
from typing import Any

from opsgraph.compat_rest.bk.monitor.common import v2_time

LEVEL_NAMES = {1: "致命", 2: "预警", 3: "提醒"}
PERFORMANCE_TYPES = {"cpu", "mem", "disk", "net", "system_env"}


def v2_status(alarm: dict[str, Any]) -> str:
    if alarm["status"] == "RECOVERED":
        return "recovered"
    if alarm["status"] == "CLOSED":
        return "closed"
    return "shield" if alarm["shielded"] else "success"


def _dimensions_display(dims: dict[str, Any]) -> str:
    return "-".join(f"{k}({v})" for k, v in sorted(dims.items()))


def v2_alarm(alarm: dict[str, Any], *, full: bool) -> dict[str, Any]:
    dims = alarm["dimensions"] or {}
    strategy = alarm.get("strategy") or {}
    match = {**{k: str(v) for k, v in dims.items()}, "bk_biz_id": alarm["bkBizId"]}
    if alarm["ip"]:
        match |= {"ip": alarm["ip"], "bk_cloud_id": str(alarm["bkCloudId"])}
    content = {
        "source_name": strategy.get("display_name") or alarm["title"],
        "title": alarm["title"],
        "content": alarm["content"],
        "is_performance_alarm": alarm["alarmType"] in PERFORMANCE_TYPES,
        "dimensions_display": _dimensions_display(match),
        "attention": f"【{LEVEL_NAMES.get(alarm['level'], '')}】",
        "subject": alarm["title"],
    }
    item: dict[str, Any] = {
        "id": alarm["bkAlarmId"],
        "bk_biz_id": alarm["bkBizId"],
        "bk_cloud_id": alarm["bkCloudId"],
        "bk_supplier_id": 0,
        "ip": alarm["ip"],
        "comment": alarm["ackMessage"],
        "status": v2_status(alarm),
        "user_status": "notified" if alarm["notified"] else "unnotified",
        "alarm_type": alarm["alarmType"],
        "level": alarm["level"],
        "source_time": v2_time(alarm["sourceTime"]),
        "alarm_content": content,
        "match_dimension": match,
    }
    if not full:
        return item
    source_type = str(alarm["origin"])
    return item | {
        "begin_time": v2_time(alarm["beginTime"]),
        "end_time": v2_time(alarm["endTime"]),
        "finish_time": v2_time(alarm["endTime"]) if alarm["status"] == "RECOVERED" else None,
        "alarm_attr_id": strategy.get("monitor_id") or 0,
        "alarm_source_id": alarm["strategyId"] or 0,
        "alarm_def_id": alarm["strategyId"] or 0,
        "alarm_dimension": dims,
        "raw": alarm["content"],
        "source_type": source_type,
        "source_id": str(alarm["bkAlarmId"]),
        "event_id": f"{source_type}{alarm['bkAlarmId']}",
        "priority": {1: 4000, 2: 2880, 3: 1440}.get(alarm["level"], 0),
        "approved_user": alarm["ackBy"] or None,
        "approved_comment": alarm["ackMessage"] or None,
        "event_count": alarm["eventCount"],
        "origin_alarm": {
            "value": alarm["value"],
            "dimensions": dims,
            "anomaly_message": alarm["content"],
            "monitor_level": alarm["level"],
            "scenario": strategy.get("scenario") or "",
        },
        "snap_converge": {"config": json.dumps(strategy.get("rules") or {})} if strategy else None,
        "snap_alarm_source": strategy or None,
        "is_deleted": False,
    }
