"""Helpers for the monitoring tests: the lab (a server of their own with fast heartbeats and
detection, agents on three loopback sshd hosts), GraphQL documents and polling."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tests.support.mail_sink import SmtpSink
from tests.support.server import GraphQLClient, Server
from tests.support.sshd import SshdPool, SshUser
from tests.support.topology import Business

T = TypeVar("T")
USER_ERROR = "errors { code field message }"
DETECT_SECONDS = 1

IMPORT_STRATEGIES = f"""
mutation($input: ImportAlarmStrategiesInput!) {{ importAlarmStrategies(input: $input) {{ result {USER_ERROR} }} }}"""
ALARMS = """
query($filter: AlarmFilterInput, $first: Int!) {
  alarms(first: $first, filter: $filter) {
    nodes { id bkAlarmId bkBizId origin strategyId alarmType level status title content dimensions ip
            bkHostId value eventCount acknowledged ackBy shielded notified closedBy endTime }
  }
}"""
PARTITION = f"done notFound already notApplicable {USER_ERROR}"
ACK = f"mutation($input: AlarmIdsInput!) {{ acknowledgeAlarms(input: $input) {{ {PARTITION} }} }}"
CLOSE = f"mutation($input: AlarmIdsInput!) {{ closeAlarms(input: $input) {{ {PARTITION} }} }}"
SHIELD = f"""
mutation($input: CreateAlarmShieldInput!) {{
  createAlarmShield(input: $input) {{ shieldId bkShieldId shieldedAlarmIds {USER_ERROR} }}
}}"""


@dataclass
class MonitorLab:
    server: Server
    gql: GraphQLClient
    business: Business
    root: Path
    pool: SshdPool
    user: SshUser
    smtp: SmtpSink
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)  # ip → {id, bkHostId}

    @property
    def biz(self) -> int:
        return self.business.bk_biz_id

    @property
    def ips(self) -> list[str]:
        return list(self.hosts)


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30, every: float = 0.25) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` (and the last value)."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")
        time.sleep(every)


def static_strategy(
    biz: int,
    title: str,
    *,
    table: str = "system_env",
    field_name: str = "procs",
    threshold: float,
    method: str = "gte",
    count_freq: int = 2,
    check_window: int = 2,
    count: int = 1,
    dimensions: list[str] | None = None,
    notify: dict[str, Any] | None = None,
    condition: list[Any] | None = None,
    monitor_id: int | None = None,
    nodata: int = 0,
) -> dict[str, Any]:
    """One conf_list item in the documented v2 shape (stat_source_info as a JSON string)."""
    level = {
        "detect_algorithm": [{"algorithm_id": 1000, "config": {"threshold": threshold, "method": method}}],
        "notify_way": [],
        "responsible": [],
        "role_list": [],
        "phone_receiver": [],
        "notice_start_time": "00:00",
        "notice_end_time": "23:59",
        "is_recovery": True,
        **(notify or {}),
    }
    info = {
        "monitor_result_table_id": f"{biz}_{table}",
        "monitor_field": field_name,
        "aggregator": "max",
        "count_freq": count_freq,
        "dimensions": dimensions if dimensions is not None else ["ip"],
        "where_sql": "",
        "unit": "",
        "unit_conversion": 1.0,
    }
    item: dict[str, Any] = {
        "title": title,
        "scenario": "os",
        "monitor_target": field_name,
        "src_type": "BKMONITOR",
        "stat_source_type": "BKDATA",
        "stat_source_info": json.dumps(info),
        "alarm_strategy": [
            {
                "display_name": title,
                "alarm_level_config": {"2": level},
                "rules": {"count": count, "check_window": check_window, "alarm_window": 60},
                "nodata_alarm": nodata,
                "condition": condition if condition is not None else [[]],
                "is_enabled": True,
            }
        ],
    }
    if monitor_id is not None:
        item["monitor_id"] = monitor_id
    return item


def import_strategies(gql: GraphQLClient, business: Business, conf_list: list[Any]) -> dict[str, Any]:
    payload = gql.ok(IMPORT_STRATEGIES, {"input": {"businessId": business.id, "confList": conf_list}})
    result = payload["importAlarmStrategies"]
    assert result["errors"] == [], result
    return dict(result["result"])


def alarms(gql: GraphQLClient, **filter_spec: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = gql.ok(ALARMS, {"first": 200, "filter": filter_spec})["alarms"]["nodes"]
    return nodes
