"""Alarm notifications through the messaging channels (cmsi: mail, sms, weixin, voice).

A strategy level names its ways (mail, wechat, sms, phone) and receivers (responsible users, phone
receivers for calls, and business roles: role_list "Maintainers", "Operator", "Developer",
"Tester", "Productor" → the business's people). An open alarm is notified when it is raised and
again at most once per `alarm_window` minutes while it stays abnormal (bk-monitor's convergence),
only inside the level's daily notice window (UTC), never while shielded; a recovery is notified
when the level asks for it (is_recovery). Messages go to `send_message` (messaging), which stores
them in its outbox before returning and delivers them with retries.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from opsgraph.models.monitoring_alarms import Alarm, AlarmEventKind, AlarmStrategy
from opsgraph.models.topology import Business
from opsgraph.resolvers.monitoring.alarm_events import record_alarm_event
from opsgraph.resolvers.monitoring.strategy_shape import NOTIFY_WAYS

log = logging.getLogger("opsgraph.monitoring.notify")

ROLE_FIELDS = {
    "maintainers": "maintainer",
    "maintainer": "maintainer",
    "operator": "operator",
    "productor": "productor",
    "developer": "developer",
    "tester": "tester",
}
LEVEL_NAMES = {1: "致命", 2: "预警", 3: "提醒"}


def in_notice_window(config: dict[str, Any], moment: datetime) -> bool:
    start = config.get("notice_start_time") or "00:00"
    end = config.get("notice_end_time") or "23:59"
    now = moment.astimezone(UTC).strftime("%H:%M")
    return start <= now <= end if start <= end else (now >= start or now <= end)


def _people(business: Business | None, roles: list[str]) -> list[str]:
    names: list[str] = []
    for role in roles:
        column = ROLE_FIELDS.get(role.lower())
        if business is not None and column:
            names += [n for n in str(getattr(business, column) or "").replace(";", ",").split(",") if n.strip()]
    return [n.strip() for n in names]


def receivers_by_channel(config: dict[str, Any], business: Business | None) -> dict[str, list[str]]:
    people = list(dict.fromkeys([*config.get("responsible", []), *_people(business, config.get("role_list", []))]))
    channels: dict[str, list[str]] = {}
    for way in config.get("notify_way", []):
        channel = NOTIFY_WAYS[way]
        receivers = list(dict.fromkeys(people + (config.get("phone_receiver", []) if channel == "voice" else [])))
        if receivers:
            channels[channel] = receivers
    return channels


async def notify_alarm(alarm: Alarm, strategy: AlarmStrategy | None, kind: str, *, now: datetime | None = None) -> bool:
    """Send what the strategy asks for `kind` ("abnormal" or "recovered"); True when anything was queued."""
    if strategy is None or alarm.shield_id is not None:
        return False
    moment = now or datetime.now(UTC)
    config = strategy.levels.get(str(alarm.level)) or {}
    if not config or not in_notice_window(config, moment):
        return False
    if kind == "abnormal":
        if alarm.last_notified_at is not None and moment - alarm.last_notified_at < timedelta(
            minutes=strategy.alarm_window
        ):
            return False
    elif not (config.get("is_recovery") or strategy.is_recovery):
        return False
    if not config.get("notify_way"):
        return False
    business = await Business.get_or_none(id=alarm.business_id) if config.get("role_list") else None
    channels = receivers_by_channel(config, business)
    if not channels:
        return False
    try:
        from opsgraph.resolvers.messaging.send import send_message
    except ImportError:  # messaging not installed in this build: alarms still work, unnotified
        log.warning("alarm %s not notified: messaging is unavailable", alarm.id)
        return False
    state = "已恢复" if kind == "recovered" else "发生告警"
    title = f"【{LEVEL_NAMES.get(alarm.level, alarm.level)}】{alarm.title}{state}"
    content = f"{alarm.title}\n{alarm.content}\n维度: {alarm.dimensions}\n时间: {moment.isoformat()}"
    outcomes: list[Any] = []
    for channel, receivers in channels.items():
        try:
            outcomes += await send_message(
                channel=channel,
                receivers=receivers,
                title=title,
                content=content,
                business_id=alarm.business_id,
                origin="monitor.alarm",
                body_format="text",
            )
        except Exception as exc:  # a channel refusing the message must not stop detection
            log.warning("alarm %s: %s notification refused: %s", alarm.id, channel, exc)
    accepted = [o.receiver for o in outcomes if getattr(o, "ok", False)]
    if kind == "abnormal":
        await Alarm.filter(id=alarm.id).update(notified=bool(accepted) or alarm.notified, last_notified_at=moment)
        alarm.last_notified_at = moment
    await record_alarm_event(
        alarm, AlarmEventKind.NOTIFIED, {"kind": kind, "channels": sorted(channels), "accepted": accepted}
    )
    return bool(accepted)
