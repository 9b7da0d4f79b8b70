"""Reading the message records. A caller sees the messages of the businesses it has a role in and
the messages it sent itself (superusers: all). A message it may not see reads as missing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from opsgraph.core.auth.principal import NO_USER_ID, Principal
from opsgraph.models.messaging import ChannelKind, Message, MessageStatus

# What GraphQL reads of a message: everything but the attachments' content.
PUBLIC_COLUMNS = (
    "id",
    "channel",
    "business_id",
    "requested_by",
    "app_code",
    "origin",
    "title",
    "content",
    "body_format",
    "from_address",
    "extra",
    "attachment_summary",
    "status",
    "created_at",
    "finished_at",
)
# Channel details never shown: the caller's WeCom secret, kept encrypted for the provider.
HIDDEN_EXTRA = frozenset({"wx_qy_corpsecret_encrypted"})


def visible_messages(
    principal: Principal,
    *,
    channel: ChannelKind | None = None,
    status: MessageStatus | None = None,
    business_id: int | None = None,
    requested_by: str | None = None,
    origin: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> QuerySet[Message]:
    query = Message.all()
    visible = principal.visible_business_ids()
    if visible is not None:
        mine = Q(business_id__in=visible)
        # A bare name (no user row, see core.auth.principal) has no "own" messages to read.
        if principal.user_id != NO_USER_ID:
            mine |= Q(requested_by=principal.username)
        query = query.filter(mine)
    filters: dict[str, Any] = {
        "channel": channel,
        "status": status,
        "business_id": business_id,
        "requested_by": requested_by,
        "origin": origin,
        "created_at__gte": created_after,
        "created_at__lt": created_before,
    }
    return query.filter(**{k: v for k, v in filters.items() if v is not None})


async def get_message(principal: Principal, message_id: int) -> dict[str, Any] | None:
    rows = await visible_messages(principal).filter(id=message_id).values(*PUBLIC_COLUMNS)
    return rows[0] if rows else None


def public_extra(extra: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (extra or {}).items() if k not in HIDDEN_EXTRA}
