"""Messages (cmsi) as GraphQL sees them: the record, its receivers (the outbox rows), the outcome of
a send per receiver, and the channels. Built from `.values()` rows; receivers come through the
request's DataLoader. Channel secrets have no field at all."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.resolvers.messaging.channels import ChannelView
from opsgraph.resolvers.messaging.records import public_extra
from opsgraph.resolvers.messaging.send import ReceiverOutcome
from opsgraph.schema.types.node import Node
from opsgraph.schema.types.topology import BusinessType

Row = dict[str, Any]


@strawberry.enum(name="MessageChannelKind")
class MessageChannelKindEnum(Enum):
    MAIL = "mail"
    SMS = "sms"
    WEIXIN = "weixin"
    VOICE = "voice"


@strawberry.enum(name="MessageStatus", description="PENDING while receivers are in the outbox.")
class MessageStatusEnum(Enum):
    PENDING = "PENDING"
    SENT = "SENT"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"


@strawberry.enum(
    name="MessageDeliveryStatus",
    description="REJECTED: never queued (unknown user, no address, channel unavailable).",
)
class MessageDeliveryStatusEnum(Enum):
    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    REJECTED = "REJECTED"


@strawberry.enum(name="MessageReceiverRole")
class MessageReceiverRoleEnum(Enum):
    TO = "to"
    CC = "cc"


@strawberry.enum(name="MailBodyFormat")
class MailBodyFormatEnum(Enum):
    HTML = "html"
    TEXT = "text"


@strawberry.type(name="MessageReceiver", description="One receiver of a message: its outbox row.")
class MessageReceiverType:
    receiver: str = strawberry.field(description="As the sender gave it: an address or a username.")
    username: str = strawberry.field(description="The user it was resolved from, if any.")
    address: str
    role: MessageReceiverRoleEnum
    status: MessageDeliveryStatusEnum
    attempts: int
    last_error: str = strawberry.field(description="Why the last attempt failed, or why it was rejected.")
    next_attempt_at: datetime | None
    sent_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> MessageReceiverType:
        return cls(
            receiver=row["receiver"],
            username=row["username"],
            address=row["address"],
            role=MessageReceiverRoleEnum(str(row["role"])),
            status=MessageDeliveryStatusEnum(str(row["status"])),
            attempts=row["attempts"],
            last_error=row["last_error"],
            next_attempt_at=row["next_attempt_at"] if str(row["status"]) == "PENDING" else None,
            sent_at=row["sent_at"],
        )


@strawberry.type(name="MessageAttachment")
class MessageAttachmentType:
    filename: str
    mime_type: str
    disposition: str
    content_id: str
    size: int


@strawberry.type(name="Message")
class MessageType(Node):
    message_id: int
    channel: MessageChannelKindEnum
    bk_biz_id: int | None
    requested_by: str = strawberry.field(description="Who asked for it (a username, or `system`).")
    app_code: str
    origin: str = strawberry.field(description="Which part asked, as it said (e.g. `cmsi.send_mail`).")
    title: str
    content: str
    body_format: MailBodyFormatEnum
    from_address: str
    extra: JSON = strawberry.field(description="Channel details (weixin date/remark, WeCom agent id).")
    attachments: list[MessageAttachmentType]
    status: MessageStatusEnum
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> MessageType:
        return cls(
            id=strawberry.ID(encode_global_id("Message", row["id"])),
            message_id=row["id"],
            channel=MessageChannelKindEnum(str(row["channel"])),
            bk_biz_id=row["business_id"],
            requested_by=row["requested_by"],
            app_code=row["app_code"],
            origin=row["origin"],
            title=row["title"],
            content=row["content"],
            body_format=MailBodyFormatEnum(row["body_format"]),
            from_address=row["from_address"],
            extra=cast(JSON, public_extra(row["extra"])),
            attachments=[MessageAttachmentType(**item) for item in row["attachment_summary"] or []],
            status=MessageStatusEnum(str(row["status"])),
            created_at=row["created_at"],
            finished_at=row["finished_at"],
        )

    @strawberry.field(description="Every receiver in the order given, rejected ones included.")
    async def receivers(self, info: Info) -> list[MessageReceiverType]:
        rows = await info.context.loaders.deliveries_by_message.load(self.message_id)
        return [MessageReceiverType.from_row(row) for row in rows]

    @strawberry.field(description="Null without a business, or when you have no role there.")
    async def business(self, info: Info) -> BusinessType | None:
        if self.bk_biz_id is None or not info.context.caller.can(self.bk_biz_id):
            return None
        row = await info.context.loaders.business.load(self.bk_biz_id)
        return BusinessType.from_row(row) if row is not None else None


@strawberry.type(name="ReceiverOutcome", description="Whether a receiver was accepted for delivery, and why not.")
class ReceiverOutcomeType:
    receiver: str
    ok: bool
    reason: str
    username: str
    role: MessageReceiverRoleEnum
    problem: str = strawberry.field(
        description="Empty when ok; else not_a_user, no_address, invalid_address or channel_unavailable."
    )

    @classmethod
    def from_outcome(cls, outcome: ReceiverOutcome) -> ReceiverOutcomeType:
        return cls(
            receiver=outcome.receiver,
            ok=outcome.ok,
            reason=outcome.reason,
            username=outcome.username,
            role=MessageReceiverRoleEnum(outcome.role),
            problem=outcome.problem,
        )


@strawberry.type(name="MessageChannel")
class MessageChannelType:
    kind: MessageChannelKindEnum
    enabled: bool
    configured: bool
    active: bool = strawberry.field(description="Configured and enabled: messages can be sent.")
    label_en: str
    label_zh: str
    source: str = strawberry.field(description="database, environment or none (visible to superusers only).")
    settings: JSON | None = strawberry.field(description="Superusers only; never a password or signing key.")
    has_secret: bool | None = strawberry.field(description="Superusers only: a password / signing key is set.")

    @classmethod
    def from_view(cls, view: ChannelView, *, full: bool) -> MessageChannelType:
        return cls(
            kind=MessageChannelKindEnum(view.kind.value),
            enabled=view.enabled,
            configured=view.configured,
            active=view.active,
            label_en=view.label_en,
            label_zh=view.label_zh,
            source=view.source if full else "",
            settings=cast(JSON, view.settings) if full else None,
            has_secret=view.has_secret if full else None,
        )
