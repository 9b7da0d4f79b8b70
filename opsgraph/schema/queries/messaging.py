"""Message records (newest first) and the channels."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from opsgraph.models.messaging import ChannelKind, MessageStatus
from opsgraph.resolvers.messaging.channels import channel_views
from opsgraph.resolvers.messaging.records import PUBLIC_COLUMNS, get_message, visible_messages
from opsgraph.schema.connection import Connection, Edge, PageInfo, check_first, decode_cursor, encode_cursor
from opsgraph.schema.inputs import pk
from opsgraph.schema.types.messaging import (
    MessageChannelKindEnum,
    MessageChannelType,
    MessageStatusEnum,
    MessageType,
)


@strawberry.input
class MessageFilter:
    channel: MessageChannelKindEnum | None = None
    status: MessageStatusEnum | None = None
    bk_biz_id: int | None = None
    requested_by: str | None = None
    origin: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.type
class MessagingQuery:
    @strawberry.field(description="Messages of your businesses and those you sent, newest first (all, for superusers).")
    async def messages(
        self, info: Info, first: int, after: str | None = None, filter: MessageFilter | None = None
    ) -> Connection[MessageType]:
        spec = filter or MessageFilter()
        query = visible_messages(
            info.context.caller,
            channel=ChannelKind(spec.channel.value) if spec.channel else None,
            status=MessageStatus(spec.status.value) if spec.status else None,
            business_id=spec.bk_biz_id,
            requested_by=spec.requested_by,
            origin=spec.origin,
            created_after=spec.created_after,
            created_before=spec.created_before,
        )
        check_first(first, info.context.settings.max_page_size)
        before_id = decode_cursor(after)
        page = query if before_id is None else query.filter(id__lt=before_id)
        # Only the public columns: a list never loads the attachments' content.
        rows = await page.order_by("-id").limit(first + 1).values(*PUBLIC_COLUMNS)

        async def count() -> int:
            return await query.count()

        edges = [Edge(node=MessageType.from_row(row), cursor=encode_cursor(row["id"])) for row in rows[:first]]
        return Connection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None),
            count_rows=count,
        )

    @strawberry.field(description="Null when missing or not visible to you.")
    async def message(self, info: Info, id: strawberry.ID) -> MessageType | None:
        row = await get_message(info.context.caller, pk(id, "Message"))
        return MessageType.from_row(row) if row is not None else None

    @strawberry.field(description="Every channel; settings only for superusers.")
    async def message_channels(self, info: Info) -> list[MessageChannelType]:
        full = info.context.caller.is_superuser
        views = await channel_views(info.context.settings.secret_key)
        return [MessageChannelType.from_view(view, full=full) for view in views]
