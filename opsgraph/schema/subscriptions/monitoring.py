"""`alarmEvents(businessId, afterSeq)`: a business's stored alarm events after `afterSeq`, then
live ones, for dashboards. Like `taskEvents`, it joins the in-process bus *before* reading the
table, drops what it has seen (by seq) and fills gaps from the table; it also re-reads the table
every POLL_SECONDS, so events written by another server process arrive too. It never ends by
itself: a client that reconnects with the last seq it saw misses nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.models.monitoring_alarms import AlarmEvent
from opsgraph.resolvers.monitoring.alarm_events import alarm_bus
from opsgraph.resolvers.topology.business import get_business
from opsgraph.schema.inputs import pk
from opsgraph.schema.types.monitoring import AlarmEventType

POLL_SECONDS = 2.0
_BATCH = 1000


def _event(row: dict[str, Any]) -> AlarmEventType:
    return AlarmEventType(
        seq=row["id"],
        alarm_id=strawberry.ID(encode_global_id("Alarm", row["alarm_id"])),
        bk_alarm_id=row["alarm_id"],
        kind=str(row["kind"]),
        payload=row["payload"],
        at=row.get("created_at"),
    )


async def _stored_after(business_id: int, seq: int) -> list[dict[str, Any]]:
    query = AlarmEvent.filter(business_id=business_id, id__gt=seq).order_by("id").limit(_BATCH)
    return list(await query.values())


@strawberry.type
class MonitoringSubscription:
    @strawberry.subscription(description="Alarm events of a business: replays after afterSeq, then live.")
    async def alarm_events(
        self, info: Info, business_id: strawberry.ID, after_seq: int | None = None
    ) -> AsyncGenerator[AlarmEventType, None]:
        business = await get_business(info.context.caller, pk(business_id, "Business"))
        last = max(after_seq or 0, 0)
        async with alarm_bus.subscribe(business.id) as live:
            while True:
                rows = await _stored_after(business.id, last)
                for row in rows:
                    yield _event(row)
                    last = row["id"]
                if len(rows) < _BATCH:
                    break
            while True:
                event: dict[str, Any] | None = None
                with contextlib.suppress(TimeoutError):
                    event = await asyncio.wait_for(live.get(), POLL_SECONDS)
                if event is not None and event["seq"] <= last:
                    continue
                if event is not None and event["seq"] == last + 1:
                    yield AlarmEventType(
                        seq=event["seq"],
                        alarm_id=strawberry.ID(encode_global_id("Alarm", event["alarm_id"])),
                        bk_alarm_id=event["alarm_id"],
                        kind=event["kind"],
                        payload=event["payload"],
                        at=event.get("at"),
                    )
                    last = event["seq"]
                    continue
                # A gap (ids are global, so other businesses' events leave holes), a timeout, or an
                # event from another process: the table is the truth.
                for row in await _stored_after(business.id, last):
                    yield _event(row)
                    last = row["id"]
