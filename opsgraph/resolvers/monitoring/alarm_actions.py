"""What users do to alarms: acknowledge, close and shield. Batch actions answer with a partition
of the ids, as bk-monitor's ack does (alerts_ack_success / not_exist / already_ack / not_abnormal):
`done`, `not_found` (missing, or on a business the caller cannot see: the two are not told apart),
`already` (already acknowledged / closed) and `not_applicable` (not ABNORMAL, or the caller only
has the viewer role on its business). Changes, audit entries and alarm events are written together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.models.monitoring_alarms import Alarm, AlarmEventKind, AlarmShield, AlarmStatus
from opsgraph.resolvers.audit import operation_entry, record_operation, record_operations
from opsgraph.resolvers.monitoring.alarm_events import record_alarm_event
from opsgraph.resolvers.monitoring.shield_cycles import CYCLE_TYPES, business_zone, cycle_in_force, normalise_cycle
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

ACT_ROLE = "operator"
MAX_BATCH = 500
MAX_SHIELD = timedelta(days=30)
MAX_PERIODIC_SHIELD = timedelta(days=366)  # a daily / weekly / monthly window may recur for a year
SHIELD_CATEGORIES = ("scope", "strategy", "alarm")


@dataclass
class Partition:
    done: list[int] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    not_applicable: list[int] = field(default_factory=list)


def _ids(alarm_ids: list[int]) -> list[int]:
    if not alarm_ids:
        raise ValidationFailed("alarmIds must not be empty", field="alarmIds")
    if len(alarm_ids) > MAX_BATCH:
        raise ValidationFailed(f"at most {MAX_BATCH} alarms at once", field="alarmIds")
    return list(dict.fromkeys(alarm_ids))


async def _sorted(principal: Principal, alarm_ids: list[int]) -> tuple[Partition, list[Alarm]]:
    partition = Partition()
    found = {a.id: a for a in await Alarm.filter(id__in=alarm_ids)}
    actionable: list[Alarm] = []
    for alarm_id in alarm_ids:
        alarm = found.get(alarm_id)
        if alarm is None or not principal.can(alarm.business_id):
            partition.not_found.append(alarm_id)
        elif not principal.can(alarm.business_id, ACT_ROLE):
            partition.not_applicable.append(alarm_id)
        else:
            actionable.append(alarm)
    return partition, actionable


async def acknowledge(principal: Principal, alarm_ids: list[int], message: str) -> Partition:
    if len(message) > 1024:
        raise ValidationFailed("message must be at most 1024 characters", field="message")
    partition, alarms = await _sorted(principal, _ids(alarm_ids))
    now = datetime.now(UTC)
    async with write_transaction():
        entries = []
        for alarm in alarms:
            if alarm.acknowledged:
                partition.already.append(alarm.id)
                continue
            updated = await Alarm.filter(id=alarm.id, status=AlarmStatus.ABNORMAL, acknowledged=False).update(
                acknowledged=True, ack_by=principal.username, ack_message=message, ack_time=now
            )
            if not updated:
                partition.not_applicable.append(alarm.id)
                continue
            partition.done.append(alarm.id)
            alarm.acknowledged = True
            await record_alarm_event(alarm, AlarmEventKind.ACKNOWLEDGED, {"by": principal.username, "message": message})
            entries.append(_entry(principal, alarm, "acknowledge", message))
        await record_operations(entries)
    return partition


async def close(principal: Principal, alarm_ids: list[int], message: str) -> Partition:
    if len(message) > 1024:
        raise ValidationFailed("message must be at most 1024 characters", field="message")
    partition, alarms = await _sorted(principal, _ids(alarm_ids))
    now = datetime.now(UTC)
    async with write_transaction():
        entries = []
        for alarm in alarms:
            if alarm.status == AlarmStatus.CLOSED:
                partition.already.append(alarm.id)
                continue
            updated = await Alarm.filter(id=alarm.id, status=AlarmStatus.ABNORMAL).update(
                status=AlarmStatus.CLOSED,
                active_key=None,
                end_time=now,
                closed_by=principal.username,
                close_message=message,
            )
            if not updated:
                partition.not_applicable.append(alarm.id)
                continue
            partition.done.append(alarm.id)
            alarm.status = AlarmStatus.CLOSED
            await record_alarm_event(alarm, AlarmEventKind.CLOSED, {"by": principal.username, "message": message})
            entries.append(_entry(principal, alarm, "close", message))
        await record_operations(entries)
    return partition


def _entry(principal: Principal, alarm: Alarm, action: str, message: str) -> Any:
    return operation_entry(
        principal,
        op_type="update",
        op_target="alarm",
        op_desc=f"{action} alarm {alarm.id}",
        business_id=alarm.business_id,
        inst_id=alarm.id,
        cur_data={"action": action, "message": message},
    )


async def expire_alarms(max_age: timedelta) -> int:
    """Close ABNORMAL alarms nothing has touched for `max_age` (bk-monitor's "已失效")."""
    now = datetime.now(UTC)
    stale = await Alarm.filter(status=AlarmStatus.ABNORMAL, latest_time__lt=now - max_age)
    closed = 0
    for alarm in stale:
        updated = await Alarm.filter(id=alarm.id, status=AlarmStatus.ABNORMAL).update(
            status=AlarmStatus.CLOSED, active_key=None, end_time=now, closed_by="system", close_message="expired"
        )
        if updated:
            closed += 1
            alarm.status = AlarmStatus.CLOSED
            await record_alarm_event(alarm, AlarmEventKind.CLOSED, {"by": "system", "message": "expired"})
    return closed


@dataclass
class ShieldSpec:
    business_id: int
    category: str
    begin: datetime | None
    end: datetime
    strategy_ids: list[int] = field(default_factory=list)
    dimensions: dict[str, Any] = field(default_factory=dict)
    alarm_ids: list[int] = field(default_factory=list)
    reason: str = ""
    cycle_config: Any = None  # bk-monitor's cycle_config, validated by shield_cycles.normalise_cycle


async def create_shield(principal: Principal, spec: ShieldSpec) -> tuple[AlarmShield, list[int]]:
    """A time-boxed shield, one-off or periodic; open alarms it covers now are shielded at once.
    Returns it and those alarm ids."""
    await get_business(principal, spec.business_id, ACT_ROLE)
    if spec.category not in SHIELD_CATEGORIES:
        raise ValidationFailed(f"category must be one of {', '.join(SHIELD_CATEGORIES)}", field="category")
    cycle = normalise_cycle(spec.cycle_config)
    begin = spec.begin or datetime.now(UTC)
    if spec.end <= begin:
        raise ValidationFailed("end must be after begin", field="end")
    if spec.end - begin > (MAX_PERIODIC_SHIELD if cycle else MAX_SHIELD):
        limit = "366 days (periodic)" if cycle else "30 days (366 for a periodic shield)"
        raise ValidationFailed(f"a shield lasts at most {limit}", field="end")
    if spec.category == "strategy" and not spec.strategy_ids:
        raise ValidationFailed("a strategy shield names strategyIds", field="strategyIds")
    if spec.category == "alarm" and not spec.alarm_ids:
        raise ValidationFailed("an alarm shield names alarmIds", field="alarmIds")
    if spec.category == "scope" and not spec.dimensions:
        raise ValidationFailed("a scope shield names dimensions to match", field="dimensions")
    if spec.category == "scope" and (
        len(spec.dimensions) > 20 or not all(isinstance(v, str | int) for v in spec.dimensions.values())
    ):
        raise ValidationFailed("dimensions must map names to text or numbers", field="dimensions")
    if len(spec.reason) > 1024:
        raise ValidationFailed("reason must be at most 1024 characters", field="reason")
    async with write_transaction():
        shield = await AlarmShield.create(
            business_id=spec.business_id,
            category=spec.category,
            strategy_ids=spec.strategy_ids,
            dimensions={k: str(v) for k, v in spec.dimensions.items()},
            alarm_ids=spec.alarm_ids,
            cycle_config=cycle,
            begin_time=begin,
            end_time=spec.end,
            reason=spec.reason,
            created_by=principal.username,
        )
        shielded: list[int] = []
        now = datetime.now(UTC)
        if begin <= now and cycle_in_force(cycle, now, await business_zone(spec.business_id)):
            for alarm in await Alarm.filter(business_id=spec.business_id, status=AlarmStatus.ABNORMAL, shield_id=None):
                if _covers(shield, alarm):
                    await Alarm.filter(id=alarm.id).update(shield_id=shield.id)
                    alarm.shield_id = shield.id
                    shielded.append(alarm.id)
                    await record_alarm_event(alarm, AlarmEventKind.SHIELDED, {"shield_id": shield.id})
        await record_operation(
            principal,
            op_type="create",
            op_target="alarm_shield",
            op_desc=f"shield {spec.category} until {spec.end.isoformat()}"
            + (f" ({CYCLE_TYPES[cycle['type']]})" if cycle else ""),
            business_id=spec.business_id,
            inst_id=shield.id,
            cur_data={"category": spec.category, "alarms": shielded, "reason": spec.reason, "cycle": cycle},
        )
    return shield, shielded


def _covers(shield: AlarmShield, alarm: Alarm) -> bool:
    if shield.category == "strategy":
        return alarm.strategy_id in shield.strategy_ids
    if shield.category == "alarm":
        return alarm.id in shield.alarm_ids
    return all(str(alarm.dimensions.get(k, "")) == str(v) for k, v in shield.dimensions.items())


async def delete_shield(principal: Principal, shield_id: int) -> None:
    shield = await AlarmShield.get_or_none(id=shield_id)
    if shield is None or not principal.can(shield.business_id):
        raise NotFound(f"alarm shield {shield_id} does not exist", field="shieldId")
    principal.require(shield.business_id, ACT_ROLE)
    async with write_transaction():
        await shield.delete()
        await Alarm.filter(shield_id=shield_id, status=AlarmStatus.ABNORMAL).update(shield_id=None)
        await record_operation(
            principal,
            op_type="delete",
            op_target="alarm_shield",
            op_desc=f"delete alarm shield {shield_id}",
            business_id=shield.business_id,
            inst_id=shield_id,
        )
