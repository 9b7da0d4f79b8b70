"""Alarm notifications through the messaging channels (cmsi: mail, sms, weixin, voice).

A strategy level names its ways (mail, wechat, sms, phone) and receivers (responsible users, phone
receivers for calls, and business roles: role_list "Maintainers", "Operator", "Developer",
"Tester", "Productor" or their v3 names bk_biz_maintainer… → the people the business lists in
that role). An open alarm is notified when it is raised and again at most once per `alarm_window`
minutes while it stays abnormal (bk-monitor's convergence), only inside the level's daily notice
window and never while a shield is in force. Both are judged on the business's clock (its
`time_zone`, see shield_cycles), and re-checked at every notification: an alarm raised under a
shield is notified once the shield is over (or outside a periodic shield's window), and one held
back by the notice window is notified when the window opens. A recovery is notified when the level
asks for it (is_recovery). Messages go to `send_message` (messaging), which stores them in its
outbox before returning and delivers them with retries.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from opsgraph.models.monitoring_alarms import Alarm, AlarmEventKind, AlarmStrategy
from opsgraph.models.topology import Business
from opsgraph.resolvers.monitoring.alarm_events import record_alarm_event
from opsgraph.resolvers.monitoring.alarm_store import active_shields, covering_shield
from opsgraph.resolvers.monitoring.shield_cycles import in_notice_window, zone_named
from opsgraph.resolvers.monitoring.strategy_shape import NOTIFY_WAYS, ROLE_FIELDS

log = logging.getLogger("opsgraph.monitoring.notify")

LEVEL_NAMES = {1: "致命", 2: "预警", 3: "提醒"}


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


async def _shield_now(alarm: Alarm, moment: datetime, shields: list[dict[str, Any]] | None) -> int | None:
    """The shield in force for the alarm now; the alarm row follows it (shielded / unshielded)."""
    if shields is None:
        shields = await active_shields(alarm.business_id, moment)
    current = covering_shield(shields, alarm.strategy_id, alarm.dimensions, alarm.id)
    if current != alarm.shield_id:
        await Alarm.filter(id=alarm.id).update(shield_id=current)
        alarm.shield_id = current
        if current is not None:
            await record_alarm_event(alarm, AlarmEventKind.SHIELDED, {"shield_id": current})
    return current


async def notify_alarm(
    alarm: Alarm,
    strategy: AlarmStrategy | None,
    kind: str,
    *,
    now: datetime | None = None,
    shields: list[dict[str, Any]] | None = None,
) -> bool:
    """Send what the strategy asks for `kind` ("abnormal" or "recovered"); True when anything was
    queued. `shields`: the business's shields in force at `now`, when the caller has read them."""
    if strategy is None:
        return False
    moment = now or datetime.now(UTC)
    config = strategy.levels.get(str(alarm.level)) or {}
    if not config or not config.get("notify_way"):
        return False
    if kind == "abnormal":
        if alarm.last_notified_at is not None and moment - alarm.last_notified_at < timedelta(
            minutes=strategy.alarm_window
        ):
            return False
    elif not (config.get("is_recovery") or strategy.is_recovery):
        return False
    if await _shield_now(alarm, moment, shields) is not None:
        return False
    business = await Business.get_or_none(id=alarm.business_id)
    zone = zone_named(business.time_zone if business else None)
    if not in_notice_window(config, moment, zone):
        return False
    if not await AlarmStrategy.exists(id=strategy.id, is_enabled=True):
        return False  # disabled or deleted while a detection pass was running with it
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
    local = moment.astimezone(zone)
    content = f"{alarm.title}\n{alarm.content}\n维度: {alarm.dimensions}\n时间: {local:%Y-%m-%d %H:%M:%S %Z}"
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
