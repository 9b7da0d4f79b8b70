"""Event subscriptions of a business (bk search_subscription)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.cmdb_events import subscriptions as subscription_actions
from opsgraph.schema.queries.topology import OffsetPageInput
from opsgraph.schema.types.cmdb_events import EventSubscriptionType


@strawberry.type
class EventSubscriptionSearchResult:
    count: int
    items: list[EventSubscriptionType]


@strawberry.type
class EventSubscriptionQuery:
    @strawberry.field(description="Subscriptions of a business; bkBizId 0 = the estate-wide ones (superusers).")
    async def event_subscriptions(
        self, info: Info, bk_biz_id: int = 0, name_contains: str | None = None, page: OffsetPageInput | None = None
    ) -> EventSubscriptionSearchResult:
        paging = page or OffsetPageInput()
        total, rows = await subscription_actions.search_subscriptions(
            info.context.caller, bk_biz_id, name_contains, paging.start, paging.limit, paging.sort
        )
        return EventSubscriptionSearchResult(count=total, items=[EventSubscriptionType.from_row(row) for row in rows])
