"""Alarm notifications over the real SMTP sink: notice windows judged on the business's clock,
receivers given as business roles, re-notification once `alarm_window` has passed, and periodic
(daily) shields holding notifications back only inside their window."""

from __future__ import annotations

import base64
import queue
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.messaging.support import create_user
from tests.monitoring.support import SHIELD, MonitorLab, alarms, import_strategies, static_strategy, wait_for
from tests.support.mail_sink import ReceivedMail, SmtpSink

_MINE = re.compile(r"^(keeper|utc|again|daily|elsewhen)-[0-9a-f]{6}@example\.com$")
BUSINESS = "query($b: Int!) { business(bkBizId: $b) { timeZone maintainer } }"
UPDATE_BUSINESS = """
mutation($input: UpdateBusinessInput!) { updateBusiness(input: $input) { errors { field message } } }"""
DELETE_SOURCE = """
mutation($input: DeleteMonitorSourceInput!) { deleteMonitorSource(input: $input) { errors { message } } }"""


def mails_to(sink: SmtpSink, receiver: str, count: int, timeout: float = 40) -> list[tuple[float, ReceivedMail]]:
    """The next `count` mails addressed to `receiver` with their arrival (monotonic) times; mails to
    others go back to the shared sink."""
    found: list[tuple[float, ReceivedMail]] = []
    others: list[ReceivedMail] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count:
            try:
                mail = sink.inbox.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError(f"{len(found)} of {count} mails to {receiver} within {timeout} s") from None
            if receiver in mail.envelope_to:
                found.append((time.monotonic(), mail))
            else:
                others.append(mail)
    finally:
        for mail in others:
            sink.inbox.put(mail)
    return found


def no_mail_to(sink: SmtpSink, receiver: str, wait: float) -> None:
    others: list[ReceivedMail] = []
    deadline = time.monotonic() + wait
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                mail = sink.inbox.get(timeout=left)
            except queue.Empty:
                return
            assert receiver not in mail.envelope_to, f"unexpected mail to {receiver}: {mail.message['Subject']}"
            others.append(mail)
    finally:
        for mail in others:
            sink.inbox.put(mail)


@pytest.fixture
def sources(monitor_lab: MonitorLab) -> Iterator[list[int]]:
    """Monitor sources a test creates, deleted afterwards so they stop notifying the shared sink;
    then mails to this test's receivers (all at example.com, tagged by the test) that were still on
    their way are drained, so later tests of the session see only their own."""
    created: list[int] = []
    yield created
    for monitor_id in created:
        gid = base64.urlsafe_b64encode(f"MonitorSource:{monitor_id}".encode()).decode().rstrip("=")
        deleted = monitor_lab.gql.ok(DELETE_SOURCE, {"input": {"monitorSourceId": gid}})["deleteMonitorSource"]
        assert deleted["errors"] == [], deleted
    time.sleep(2)  # a detection pass that was running with a deleted strategy has ended
    drained: list[ReceivedMail] = []
    while True:
        try:
            mail = monitor_lab.smtp.inbox.get_nowait()
        except queue.Empty:
            break
        if not any(_MINE.match(to) for to in mail.envelope_to):
            drained.append(mail)
    for mail in drained:
        monitor_lab.smtp.inbox.put(mail)


def _one_host(lab: MonitorLab, title: str, **options: Any) -> dict[str, Any]:
    """A strategy on the lab's first host only (one alarm), `procs >= 1` unless told otherwise."""
    condition = [[{"field": "ip", "method": "eq", "value": [lab.ips[0]]}]]
    options.setdefault("threshold", 1)
    return static_strategy(lab.biz, title, condition=condition, **options)


def _import(lab: MonitorLab, sources: list[int], item: dict[str, Any]) -> tuple[int, int]:
    result = import_strategies(lab.gql, lab.business, [item])
    assert result["fail"] == [], result
    monitor_id = int(result["success"][0]["monitor_id"])
    if monitor_id not in sources:
        sources.append(monitor_id)
    return monitor_id, int(result["success"][0]["alarm_strategy"][0]["alarm_strategy_id"])


def _open(lab: MonitorLab, strategy_id: int) -> list[dict[str, Any]] | None:
    found = [a for a in alarms(lab.gql, strategyId=strategy_id) if a["status"] == "ABNORMAL"]
    return found or None


def _window(zone: ZoneInfo, around: datetime, before: int, after: int) -> tuple[str, str]:
    local = around.astimezone(zone)
    return (local - timedelta(minutes=before)).strftime("%H:%M"), (local + timedelta(minutes=after)).strftime("%H:%M")


def test_notice_windows_follow_the_business_clock_and_roles_reach_its_people(
    monitor_lab: MonitorLab, sources: list[int]
) -> None:
    lab = monitor_lab
    tag = uuid.uuid4().hex[:6]
    business = lab.gql.ok(BUSINESS, {"b": lab.biz})["business"]
    zone = ZoneInfo(business["timeZone"])
    now = datetime.now(UTC)
    assert now.astimezone(zone).utcoffset() != timedelta(0), "the test needs a business clock apart from UTC"
    # A maintainer of the business, with an address in the user directory: role_list reaches them.
    maintainer = create_user(lab.server, lab.gql, f"keeper{tag}", email=f"keeper-{tag}@example.com")
    others = [n for n in business["maintainer"].replace(";", ",").split(",") if n.strip()]
    updated = lab.gql.ok(
        UPDATE_BUSINESS, {"input": {"businessId": lab.business.id, "maintainer": ",".join([*others, maintainer])}}
    )
    assert updated["updateBusiness"]["errors"] == []
    local_start, local_end = _window(zone, now, 30, 30)  # the next half hour on the business's clock
    utc_start, utc_end = _window(ZoneInfo("UTC"), now, 30, 30)  # the same half hour read as UTC
    on_time = {
        "notify_way": ["mail"],
        "role_list": ["Maintainers"],
        "notice_start_time": local_start,
        "notice_end_time": local_end,
    }
    utc_receiver = f"utc-{tag}@example.com"
    utc_only = {
        "notify_way": ["mail"],
        "responsible": [utc_receiver],
        "notice_start_time": utc_start,
        "notice_end_time": utc_end,
    }
    _, local_strategy = _import(lab, sources, _one_host(lab, f"local-{tag}", notify=on_time))
    _, utc_strategy = _import(lab, sources, _one_host(lab, f"utc-{tag}", notify=utc_only))
    ((_, mail),) = mails_to(lab.smtp, f"keeper-{tag}@example.com", 1)
    assert f"local-{tag}" in str(mail.message["Subject"])
    # The time in the mail is the business's local time.
    assert f" {now.astimezone(zone):%Z}" in mail.message.get_content()
    [held] = wait_for("the UTC-window alarm", lambda: _open(lab, utc_strategy))
    no_mail_to(lab.smtp, utc_receiver, 4)
    assert not next(a for a in alarms(lab.gql, strategyId=utc_strategy) if a["id"] == held["id"])["notified"]
    assert wait_for("notified flag", lambda: (_open(lab, local_strategy) or [{}])[0].get("notified"))


def test_an_alarm_is_notified_again_once_its_alarm_window_has_passed(
    monitor_lab: MonitorLab, sources: list[int]
) -> None:
    lab = monitor_lab
    receiver = f"again-{uuid.uuid4().hex[:6]}@example.com"
    item = _one_host(lab, f"again-{receiver[6:12]}", notify={"notify_way": ["mail"], "responsible": [receiver]})
    item["alarm_strategy"][0]["rules"]["alarm_window"] = 1  # minutes
    _import(lab, sources, item)
    first, second = mails_to(lab.smtp, receiver, 2, timeout=110)
    gap = second[0] - first[0]
    assert 50 <= gap <= 90, f"the second notification came {gap:.1f} s after the first"
    assert "发生告警" in str(second[1].message["Subject"])
    assert second[1].message["Message-ID"] != first[1].message["Message-ID"]


def test_a_daily_shield_holds_notifications_back_only_inside_its_window(
    monitor_lab: MonitorLab, sources: list[int]
) -> None:
    lab = monitor_lab
    tag = uuid.uuid4().hex[:6]
    zone = ZoneInfo(lab.gql.ok(BUSINESS, {"b": lab.biz})["business"]["timeZone"])
    now = datetime.now(UTC)
    shielded_receiver, free_receiver = f"daily-{tag}@example.com", f"elsewhen-{tag}@example.com"
    # Created quiet (nothing reaches the threshold), shielded, then made to fire.
    quiet = {"threshold": 10**9}
    shielded_id, shielded_strategy = _import(
        lab,
        sources,
        _one_host(lab, f"daily-{tag}", notify={"notify_way": ["mail"], "responsible": [shielded_receiver]}, **quiet),
    )
    free_id, free_strategy = _import(
        lab,
        sources,
        _one_host(lab, f"elsewhen-{tag}", notify={"notify_way": ["mail"], "responsible": [free_receiver]}, **quiet),
    )
    inside = _window(zone, now, 20, 20)  # today's window covers now on the business's clock
    later = _window(zone, now + timedelta(hours=3), 0, 30)  # a window three hours away
    for strategy_id, (begin, end) in ((shielded_strategy, inside), (free_strategy, later)):
        gid = base64.urlsafe_b64encode(f"AlarmStrategy:{strategy_id}".encode()).decode().rstrip("=")
        created = lab.gql.ok(
            SHIELD,
            {
                "input": {
                    "businessId": lab.business.id,
                    "category": "strategy",
                    "strategyIds": [gid],
                    "begin": (now - timedelta(days=1)).isoformat(),
                    "end": (now + timedelta(days=60)).isoformat(),
                    "cycleConfig": {"type": 2, "begin_time": begin, "end_time": end},
                    "reason": "nightly batch",
                }
            },
        )["createAlarmShield"]
        assert created["errors"] == [], created
    for monitor_id, title, receiver in (
        (shielded_id, f"daily-{tag}", shielded_receiver),
        (free_id, f"elsewhen-{tag}", free_receiver),
    ):
        item = _one_host(lab, title, notify={"notify_way": ["mail"], "responsible": [receiver]}, monitor_id=monitor_id)
        _import(lab, sources, item)
    ((_, mail),) = mails_to(lab.smtp, free_receiver, 1)  # the shield three hours away does not hold it back
    assert f"elsewhen-{tag}" in str(mail.message["Subject"])
    [held] = wait_for("the shielded alarm", lambda: _open(lab, shielded_strategy))
    assert held["shielded"]
    assert not held["notified"]
    no_mail_to(lab.smtp, shielded_receiver, 4)
    [free] = wait_for("the free alarm", lambda: _open(lab, free_strategy))
    assert not free["shielded"]
    assert free["notified"]


@pytest.mark.parametrize(
    ("cycle", "field"),
    [
        ({"type": 9}, "cycleConfig"),
        ({"type": 2, "begin_time": "25:00", "end_time": "26:00"}, "cycleConfig.begin_time"),
        ({"type": 2, "begin_time": "10:00"}, "cycleConfig"),
        ({"type": 3, "begin_time": "10:00", "end_time": "11:00"}, "cycleConfig.week_list"),
        ({"type": 3, "begin_time": "10:00", "end_time": "11:00", "week_list": [0]}, "cycleConfig.week_list"),
        ({"type": 4, "begin_time": "10:00", "end_time": "11:00", "day_list": [32]}, "cycleConfig.day_list"),
        ({"type": 2, "begin_time": "10:00", "end_time": "10:00"}, "cycleConfig.end_time"),
        ({"type": 2, "surprise": 1}, "cycleConfig"),
        ("daily", "cycleConfig"),
    ],
)
def test_bad_shield_cycles_are_refused(monitor_lab: MonitorLab, cycle: Any, field: str) -> None:
    lab = monitor_lab
    now = datetime.now(UTC)
    created = lab.gql.ok(
        SHIELD,
        {
            "input": {
                "businessId": lab.business.id,
                "category": "scope",
                "dimensions": {"ip": "10.254.254.254"},
                "end": (now + timedelta(days=1)).isoformat(),
                "cycleConfig": cycle,
            }
        },
    )["createAlarmShield"]
    assert created["shieldId"] is None
    assert [e["field"] for e in created["errors"]] == [field], created
