"""Raising and recovering alarms, whatever their origin.

`raise_alarm` opens an alarm for a signal or counts one more occurrence of the open one with the
same dedupe key (origin + what + dimensions). Opening is an INSERT under the unique `active_key`:
two detectors racing cannot open the same alarm twice; the loser adopts the winner's row.
`recover_alarm` is one conditional UPDATE (only an ABNORMAL alarm recovers), so it happens once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from opsgraph.models.monitoring_alarms import Alarm, AlarmEventKind, AlarmOrigin, AlarmShield, AlarmStatus
from opsgraph.resolvers.monitoring.alarm_events import record_alarm_event
from opsgraph.resolvers.monitoring.shield_cycles import business_zone, cycle_in_force


@dataclass
class AlarmSignal:
    business_id: int
    origin: AlarmOrigin
    identity: str  # what raised it within its origin: "strategy:7", "host:3", "task:12", "ingest:2:disk"
    level: int
    title: str
    alarm_type: str
    content: str = ""
    dimensions: dict[str, Any] = field(default_factory=dict)
    strategy_id: int | None = None
    source_id: int | None = None
    host_id: int | None = None
    ip: str = ""
    bk_cloud_id: int = 0
    value: float | None = None
    source_time: datetime | None = None

    @property
    def dedupe_key(self) -> str:
        return dedupe_key(self.business_id, self.origin, self.identity, self.dimensions)


def dedupe_key(business_id: int, origin: AlarmOrigin, identity: str, dimensions: dict[str, Any]) -> str:
    canonical = json.dumps([business_id, str(origin), identity, dimensions], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


async def active_shields(business_id: int, now: datetime | None = None) -> list[dict[str, Any]]:
    """The shields in force now: inside [begin, end) and, for a periodic one, inside today's window
    on the business's clock (shield_cycles)."""
    moment = now or _now()
    rows = await AlarmShield.filter(business_id=business_id, begin_time__lte=moment, end_time__gt=moment).values()
    if not any(row["cycle_config"] for row in rows):
        return list(rows)
    zone = await business_zone(business_id)
    return [row for row in rows if cycle_in_force(row["cycle_config"] or {}, moment, zone)]


def covering_shield(
    shields: list[dict[str, Any]], strategy_id: int | None, dimensions: dict[str, Any], alarm_id: int | None = None
) -> int | None:
    """The id of the first shield (of `shields`, already read) that covers an alarm like this."""
    for shield in shields:
        if shield["category"] == "strategy" and strategy_id in (shield["strategy_ids"] or []):
            return int(shield["id"])
        if shield["category"] == "alarm" and alarm_id is not None and alarm_id in (shield["alarm_ids"] or []):
            return int(shield["id"])
        if shield["category"] == "scope":
            wanted = shield["dimensions"] or {}
            if wanted and all(str(dimensions.get(k, "")) == str(v) for k, v in wanted.items()):
                return int(shield["id"])
    return None


async def matching_shield(
    signal: AlarmSignal, alarm_id: int | None = None, shields: list[dict[str, Any]] | None = None
) -> int | None:
    """The id of an active shield that covers the signal, if any (`shields`: already read)."""
    if shields is None:
        shields = await active_shields(signal.business_id)
    return covering_shield(shields, signal.strategy_id, signal.dimensions, alarm_id)


async def raise_alarm(
    signal: AlarmSignal, *, known_new: bool = False, shields: list[dict[str, Any]] | None = None
) -> tuple[Alarm, bool]:
    """The open alarm for the signal and whether it was opened now. A caller that has just read the
    open alarms (`known_new`) and the active shields saves their queries; the INSERT still decides."""
    key = signal.dedupe_key
    now = _now()
    existing = None if known_new else await Alarm.get_or_none(active_key=key)
    if existing is None:
        shield_id = await matching_shield(signal, shields=shields)
        try:
            created = await Alarm.create(
                business_id=signal.business_id,
                origin=signal.origin,
                strategy_id=signal.strategy_id,
                source_id=signal.source_id,
                alarm_type=signal.alarm_type,
                level=signal.level,
                dedupe_key=key,
                active_key=key,
                dimensions=signal.dimensions,
                host_id=signal.host_id,
                ip=signal.ip,
                bk_cloud_id=signal.bk_cloud_id,
                title=signal.title[:512],
                content=signal.content,
                value=signal.value,
                source_time=signal.source_time or now,
                latest_time=now,
                shield_id=shield_id,
            )
        except IntegrityError:
            existing = await Alarm.get_or_none(active_key=key)
            if existing is None:
                raise
        else:
            await record_alarm_event(created, AlarmEventKind.RAISED, {"content": signal.content})
            return created, True
    # One more occurrence: the more severe level wins, the newest value and content are kept.
    changed_level = signal.level < existing.level
    await Alarm.filter(id=existing.id).update(
        latest_time=now,
        event_count=existing.event_count + 1,
        level=min(signal.level, existing.level),
        value=signal.value,
        content=signal.content or existing.content,
    )
    await existing.refresh_from_db()
    if changed_level:
        await record_alarm_event(existing, AlarmEventKind.REPEATED, {"content": existing.content})
    return existing, False


async def recover_alarm(key: str, message: str = "") -> Alarm | None:
    """Recover the open alarm with this dedupe key; None when there is none (already recovered)."""
    now = _now()
    alarm = await Alarm.get_or_none(active_key=key)
    if alarm is None:
        return None
    updated = await Alarm.filter(id=alarm.id, status=AlarmStatus.ABNORMAL).update(
        status=AlarmStatus.RECOVERED, end_time=now, active_key=None
    )
    if not updated:
        return None
    await alarm.refresh_from_db()
    await record_alarm_event(alarm, AlarmEventKind.RECOVERED, {"message": message})
    return alarm


async def open_keys(business_ids: list[int] | None, origin: AlarmOrigin) -> dict[str, int]:
    """dedupe key → alarm id of the open alarms of one origin (optionally some businesses)."""
    query = Alarm.filter(status=AlarmStatus.ABNORMAL, origin=origin)
    if business_ids is not None:
        query = query.filter(business_id__in=business_ids)
    return {row["dedupe_key"]: row["id"] for row in await query.values("dedupe_key", "id")}
