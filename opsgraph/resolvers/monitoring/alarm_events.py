"""The alarm event stream: stored first (`alarm_event`, its id is the sequence), then announced to
in-process subscribers of the business. Subscribers also poll the table, so events written by
another server process reach them too (see schema.subscriptions.monitoring)."""

from __future__ import annotations

from typing import Any

from opsgraph.core.events import EventBus
from opsgraph.models.monitoring_alarms import Alarm, AlarmEvent, AlarmEventKind

# Keyed by business id (the bus is keyed by an int; task ids and business ids never share a bus).
alarm_bus = EventBus("alarms")  # a namespace of its own: across processes too (core/events.py)


def alarm_payload(alarm: Alarm) -> dict[str, Any]:
    return {
        "alarm_id": alarm.id,
        "status": str(alarm.status),
        "level": alarm.level,
        "origin": str(alarm.origin),
        "title": alarm.title,
        "acknowledged": alarm.acknowledged,
        "shielded": alarm.shield_id is not None,
    }


async def record_alarm_event(alarm: Alarm, kind: AlarmEventKind, extra: dict[str, Any] | None = None) -> AlarmEvent:
    event = await AlarmEvent.create(
        business_id=alarm.business_id, alarm_id=alarm.id, kind=kind, payload={**alarm_payload(alarm), **(extra or {})}
    )
    alarm_bus.publish(
        alarm.business_id,
        {"seq": event.id, "alarm_id": alarm.id, "kind": str(kind), "payload": event.payload, "at": event.created_at},
    )
    return event
