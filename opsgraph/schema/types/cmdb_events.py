"""EventSubscription: a subscriber to CMDB change events, with its delivery statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.schema.types.node import Node

Row = dict[str, Any]


@strawberry.type(name="EventDeliveryStatistics")
class EventDeliveryStatisticsType:
    total: int = strawberry.field(description="Push attempts (bk statistics.total).")
    failure: int = strawberry.field(description="Push attempts that were not confirmed (bk statistics.failure).")
    delivered: int = strawberry.field(description="Events confirmed by the subscriber.")
    given_up: int = strawberry.field(description="Events still unconfirmed when they grew too old.")
    last_error: str
    last_delivered_at: datetime | None
    subscription_pk: strawberry.Private[int]

    @strawberry.field(description="Events owed and not yet confirmed.")
    async def pending(self, info: Info) -> int:
        count: int = await info.context.loaders.pending_deliveries.load(self.subscription_pk)
        return count


@strawberry.type(name="EventSubscription")
class EventSubscriptionType(Node):
    subscription_id: int
    bk_biz_id: int = strawberry.field(description="0: every business's events.")
    name: str
    system_name: str
    callback_url: str
    confirm_mode: str = strawberry.field(description="httpstatus or regular")
    confirm_pattern: str
    timeout: int = strawberry.field(description="Seconds per push.")
    subscription_form: list[str] = strawberry.field(description="Event types, e.g. hostcreate, moduletransfer.")
    operator: str
    last_time: datetime
    statistics: EventDeliveryStatisticsType

    @classmethod
    def from_row(cls, row: Row) -> EventSubscriptionType:
        return cls(
            id=strawberry.ID(encode_global_id("EventSubscription", row["id"])),
            subscription_id=row["id"],
            bk_biz_id=row["business_id"],
            name=row["name"],
            system_name=row["system_name"],
            callback_url=row["callback_url"],
            confirm_mode=row["confirm_mode"],
            confirm_pattern=row["confirm_pattern"],
            timeout=row["timeout_seconds"],
            subscription_form=[name for name in row["subscription_form"].split(",") if name],
            operator=row["operator"],
            last_time=row["updated_at"],
            statistics=EventDeliveryStatisticsType(
                total=row["total"],
                failure=row["failure"],
                delivered=row["delivered"],
                given_up=row["given_up"],
                last_error=row["last_error"],
                last_delivered_at=row["last_delivered_at"],
                subscription_pk=row["id"],
            ),
        )
