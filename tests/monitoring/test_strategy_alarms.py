"""A strategy on real agent metrics fires per host, notifies by mail over real SMTP, recovers when
its threshold no longer holds (notifying the recovery); acknowledge / close answer with id partitions;
shields silence; bad strategies are refused per item and change nothing."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

from tests.monitoring.support import (
    ACK,
    CLOSE,
    SHIELD,
    MonitorLab,
    alarms,
    import_strategies,
    static_strategy,
    wait_for,
)

MONITOR_SOURCES = """
query($b: ID!) { monitorSources(businessId: $b, first: 100) {
  totalCount nodes { bkMonitorId title strategies { bkStrategyId name enabled } } } }"""


def _tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


def _open(lab: MonitorLab, strategy_id: int, status: str = "ABNORMAL") -> list[dict] | None:
    found = [a for a in alarms(lab.gql, strategyId=strategy_id) if a["status"] == status and a["origin"] == "STRATEGY"]
    return found if len(found) == len(lab.ips) else None


def test_a_strategy_fires_notifies_by_mail_and_recovers(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    title = f"procs-{uuid.uuid4().hex[:6]}"
    receiver = f"oncall-{uuid.uuid4().hex[:6]}@example.com"
    notify = {"notify_way": ["mail"], "responsible": [receiver]}
    imported = import_strategies(lab.gql, lab.business, [static_strategy(lab.biz, title, threshold=1, notify=notify)])
    assert imported["fail"] == [], imported
    monitor_id = imported["success"][0]["monitor_id"]
    strategy_id = imported["success"][0]["alarm_strategy"][0]["alarm_strategy_id"]
    fired = wait_for("one alarm per host", lambda: _open(lab, strategy_id))
    assert {a["ip"] for a in fired} == set(lab.ips)
    assert all(a["level"] == 2 and a["alarmType"] == "system_env" and a["value"] > 1 for a in fired)
    mails = [lab.smtp.next_mail(timeout=30) for _ in lab.ips]
    assert all(receiver in m.envelope_to for m in mails)
    assert all(title in str(m.message["Subject"]) and "发生告警" in str(m.message["Subject"]) for m in mails)
    # The same source, re-imported with a threshold nothing reaches: the strategy keeps its id and recovers.
    quiet = static_strategy(lab.biz, title, threshold=10**9, notify=notify, monitor_id=monitor_id)
    again = import_strategies(lab.gql, lab.business, [quiet])
    assert again["success"][0]["alarm_strategy"][0]["alarm_strategy_id"] == strategy_id
    recovered = wait_for("recovery", lambda: _open(lab, strategy_id, "RECOVERED"))
    assert all(a["endTime"] for a in recovered)
    recovery_mails = [lab.smtp.next_mail(timeout=30) for _ in lab.ips]
    assert all("已恢复" in str(m.message["Subject"]) for m in recovery_mails)


def test_acknowledge_and_close_answer_with_partitions(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    title = f"ack-{uuid.uuid4().hex[:6]}"
    imported = import_strategies(lab.gql, lab.business, [static_strategy(lab.biz, title, threshold=1)])
    strategy_id = imported["success"][0]["alarm_strategy"][0]["alarm_strategy_id"]
    first, second, third = (a["id"] for a in wait_for("alarms", lambda: _open(lab, strategy_id)))
    missing = "QWxhcm06MjE0NzQ4MzY0Nw"  # Alarm:2147483647
    acked = lab.gql.ok(ACK, {"input": {"alarmIds": [first, second, missing], "message": "on it"}})["acknowledgeAlarms"]
    assert (acked["done"], acked["notFound"], acked["already"], acked["notApplicable"]) == (
        [first, second],
        [missing],
        [],
        [],
    )
    again = lab.gql.ok(ACK, {"input": {"alarmIds": [first, third]}})["acknowledgeAlarms"]
    assert (again["done"], again["already"]) == ([third], [first])
    closed = lab.gql.ok(CLOSE, {"input": {"alarmIds": [first], "message": "known"}})["closeAlarms"]
    assert closed["done"] == [first]
    late = lab.gql.ok(ACK, {"input": {"alarmIds": [first]}})["acknowledgeAlarms"]
    assert late["already"] == [first]  # acknowledged before it was closed
    twice = lab.gql.ok(CLOSE, {"input": {"alarmIds": [first, second]}})["closeAlarms"]
    assert (twice["already"], twice["done"]) == ([first], [second])
    states = {a["id"]: a for a in alarms(lab.gql, strategyId=strategy_id)}
    assert states[first]["status"] == "CLOSED"
    assert states[first]["closedBy"] == "admin"
    assert states[third]["acknowledged"]
    assert states[third]["ackBy"] == "admin"
    # A closed alarm is not reopened: the next occurrence is a new alarm.
    reopened = wait_for(
        "a new alarm after the close",
        lambda: [
            a
            for a in alarms(lab.gql, strategyId=strategy_id)
            if a["status"] == "ABNORMAL" and a["ip"] == states[first]["ip"]
        ],
    )
    assert reopened[0]["id"] not in (first, second)


def test_shields_silence_alarms(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    title = f"shield-{uuid.uuid4().hex[:6]}"
    receiver = f"shielded-{uuid.uuid4().hex[:6]}@example.com"
    notify = {"notify_way": ["mail"], "responsible": [receiver]}
    imported = import_strategies(
        lab.gql, lab.business, [static_strategy(lab.biz, title, threshold=10**9, notify=notify)]
    )
    monitor_id = imported["success"][0]["monitor_id"]
    strategy_id = imported["success"][0]["alarm_strategy"][0]["alarm_strategy_id"]
    strategy_gid = base64.urlsafe_b64encode(f"AlarmStrategy:{strategy_id}".encode()).decode().rstrip("=")
    shield = lab.gql.ok(
        SHIELD,
        {
            "input": {
                "businessId": lab.business.id,
                "category": "strategy",
                "strategyIds": [strategy_gid],
                "end": _tomorrow(),
                "reason": "maintenance",
            }
        },
    )["createAlarmShield"]
    assert shield["errors"] == []
    assert shield["bkShieldId"] > 0
    import_strategies(
        lab.gql, lab.business, [static_strategy(lab.biz, title, threshold=1, notify=notify, monitor_id=monitor_id)]
    )
    fired = wait_for("shielded alarms", lambda: _open(lab, strategy_id))
    assert all(a["shielded"] and not a["notified"] for a in fired)
    too_long = lab.gql.ok(
        SHIELD,
        {
            "input": {
                "businessId": lab.business.id,
                "category": "scope",
                "dimensions": {"ip": lab.ips[0]},
                "begin": "2030-01-01T00:00:00+00:00",
                "end": "2031-01-01T00:00:00+00:00",
            }
        },
    )["createAlarmShield"]
    assert too_long["errors"][0]["field"] == "end"
    empty = lab.gql.ok(SHIELD, {"input": {"businessId": lab.business.id, "category": "scope", "end": _tomorrow()}})[
        "createAlarmShield"
    ]
    assert empty["errors"][0]["field"] == "dimensions"


def test_bad_strategies_are_refused_per_item_and_change_nothing(monitor_lab: MonitorLab) -> None:
    lab = monitor_lab
    before = lab.gql.ok(MONITOR_SOURCES, {"b": lab.business.id})["monitorSources"]["totalCount"]
    good = static_strategy(lab.biz, "fine", threshold=1)
    bad_items = [
        static_strategy(lab.biz, "t", table="no_such_table", threshold=1),
        static_strategy(lab.biz, "t", field_name="nope", threshold=1),
        static_strategy(lab.biz, "t", threshold=1, method="approximately"),
        static_strategy(lab.biz, "t", threshold=1, count=5, check_window=2),
        {**good, "stat_source_info": "{not json"},
        {**good, "stat_source_info": good["stat_source_info"].replace(f'"{lab.biz}_', '"999999_')},
        {
            **good,
            "stat_source_info": good["stat_source_info"].replace(
                '"where_sql": ""', '"where_sql": "1=1; DROP TABLE alarm"'
            ),
        },
        {
            **good,
            "stat_source_info": good["stat_source_info"].replace('"where_sql": ""', '"where_sql": "password = \'x\'"'),
        },
    ]
    result = import_strategies(lab.gql, lab.business, bad_items)
    assert result["success"] == []
    assert len(result["fail"]) == len(bad_items)
    messages = [f["message"] for f in result["fail"]]
    assert "no_such_table" in messages[0]
    assert "nope" in messages[1]
    assert "method" in messages[2]
    assert "check_window" in messages[3]
    assert "JSON" in messages[4]
    assert "999999" in messages[5]
    assert "where_sql" in messages[6]
    assert "password" in messages[7]
    after = lab.gql.ok(MONITOR_SOURCES, {"b": lab.business.id})["monitorSources"]["totalCount"]
    assert after == before
