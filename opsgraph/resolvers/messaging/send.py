"""Sending a message: validate it, resolve its receivers, and write it with its outbox rows in one
transaction before answering. The outcomes say, per receiver, what was accepted for delivery; the
delivery worker (executors.message_delivery) sends it and records what happened.

`send_message` is the in-process API other parts of OpsGraph use (alarm notifications); GraphQL's
`sendMessage` and the cmsi paths go through `send_as`, which checks the caller and audits.

Example:
    outcomes = await send_message(channel="mail", receivers=["alice", "ops@example.com"],
                                  title="disk full", content="/var at 97%", business_id=3,
                                  origin="monitor.alarm")
    # [ReceiverOutcome(receiver='alice', ok=True, reason=''), ReceiverOutcome('ops@example.com', True, '')]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.transactions import in_transaction

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.executors.message_channels import channel_activity
from opsgraph.executors.message_delivery import wake_delivery
from opsgraph.models.messaging import ChannelKind, DeliveryStatus, Message, MessageDelivery, MessageStatus, ReceiverRole
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.messaging.receivers import ReceiverSpec, ResolvedReceiver, is_valid_email, resolve_receivers
from opsgraph.resolvers.topology.business import get_business

MAX_TITLE = 512
MAX_CONTENT = 2 * 1024 * 1024
MAX_ORIGIN = 64
SEND_ROLE = "operator"  # sending on behalf of a business
_SUMMARY_KEYS = ("filename", "mime_type", "disposition", "content_id", "size")


@dataclass(frozen=True)
class ReceiverOutcome:
    """One receiver: accepted for delivery (`ok`) or not, and why not. The first three fields are the
    contract; the rest say more (the username it was resolved from, to or cc, the kind of problem)."""

    receiver: str
    ok: bool
    reason: str
    username: str = ""
    role: str = "to"
    problem: str = ""


@dataclass
class MessageDraft:
    channel: ChannelKind
    content: str
    title: str = ""
    body_format: str = "html"  # mail: html or text
    from_address: str = ""  # mail: the From address ("" = the channel's sender)
    attachments: list[dict[str, Any]] = field(default_factory=list)  # see messaging.attachments
    extra: dict[str, Any] = field(default_factory=dict)
    business_id: int | None = None
    origin: str = ""
    requested_by: str = "system"
    app_code: str = ""


@dataclass(frozen=True)
class QueuedMessage:
    message_id: int
    status: str
    outcomes: list[ReceiverOutcome]

    @property
    def accepted(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.ok)


def parse_channel(value: Any, field_name: str = "channel") -> ChannelKind:
    raw = str(getattr(value, "value", value) or "").strip().lower()
    try:
        return ChannelKind(raw)
    except ValueError as exc:
        allowed = ", ".join(kind.value for kind in ChannelKind)
        raise ValidationFailed(f"unsupported message channel {value!r}: use {allowed}", field=field_name) from exc


def parse_body_format(value: Any) -> str:
    text = str(getattr(value, "value", value) or "html").strip().lower()
    if text not in ("html", "text"):
        raise ValidationFailed(f"body_format must be Html or Text, got {value!r}", field="body_format")
    return text


def check_draft(draft: MessageDraft) -> None:
    if len(draft.title) > MAX_TITLE:
        raise ValidationFailed(f"title is longer than {MAX_TITLE} characters", field="title")
    if not draft.content.strip():
        raise ValidationFailed("content is required", field="content")
    if len(draft.content) > MAX_CONTENT:
        raise ValidationFailed(f"content is longer than {MAX_CONTENT} characters", field="content")
    if len(draft.origin) > MAX_ORIGIN:
        raise ValidationFailed(f"origin is longer than {MAX_ORIGIN} characters", field="origin")
    if draft.channel is not ChannelKind.MAIL:
        return
    if not draft.title.strip():
        raise ValidationFailed("title is required for mail", field="title")
    if "\r" in draft.title or "\n" in draft.title:
        # A subject is one header line: a line break could smuggle headers (Bcc:) into the mail.
        raise ValidationFailed("title must be a single line", field="title")
    if draft.from_address:
        bare = draft.from_address.strip()
        address = bare[bare.rfind("<") + 1 : -1] if bare.endswith(">") else bare
        if "\r" in bare or "\n" in bare or not is_valid_email(address):
            raise ValidationFailed(f"sender {draft.from_address!r} is not an email address", field="sender")


async def queue_message(
    draft: MessageDraft, specs: list[ReceiverSpec], *, principal: Principal | None = None, active: bool | None = None
) -> QueuedMessage:
    """Write the message and its outbox rows; receivers that cannot be reached are recorded REJECTED.
    `active`: whether the channel can send, when the caller has just checked."""
    check_draft(draft)
    resolved = await resolve_receivers(draft.channel, specs)
    if active is None:
        active = (await channel_activity())[draft.channel]
    if not active:
        reason = f"the {draft.channel} channel is not configured or disabled"
        resolved = [dataclasses.replace(r, problem="channel_unavailable", reason=reason) for r in resolved]
    accepted = [r for r in resolved if r.ok]
    now = datetime.now(tz=UTC)
    async with in_transaction():
        message = await Message.create(
            channel=draft.channel,
            business_id=draft.business_id,
            requested_by=draft.requested_by[:128],
            app_code=draft.app_code[:128],
            origin=draft.origin,
            title=draft.title,
            content=draft.content,
            body_format=draft.body_format,
            from_address=draft.from_address[:254],
            extra=draft.extra,
            attachments=draft.attachments,
            attachment_summary=[{k: a[k] for k in _SUMMARY_KEYS} for a in draft.attachments],
            status=MessageStatus.PENDING if accepted else MessageStatus.FAILED,
            finished_at=None if accepted else now,
        )
        await MessageDelivery.bulk_create([_delivery(message.id, r, now) for r in resolved], batch_size=1000)
        if principal is not None:
            await record_operation(
                principal,
                op_type="send",
                op_target="message",
                op_desc=f"send {draft.channel} {draft.title[:80]!r} to {len(resolved)} receivers",
                business_id=draft.business_id,
                inst_id=message.id,
                cur_data={"channel": str(draft.channel), "receivers": len(resolved), "accepted": len(accepted)},
            )
    if accepted:
        wake_delivery()
    return QueuedMessage(message_id=message.id, status=str(message.status), outcomes=[_outcome(r) for r in resolved])


def _delivery(message_id: int, receiver: ResolvedReceiver, now: datetime) -> MessageDelivery:
    return MessageDelivery(
        message_id=message_id,
        receiver=receiver.receiver[:320],
        username=receiver.username[:128],
        address=receiver.address[:320],
        role=receiver.role,
        status=DeliveryStatus.PENDING if receiver.ok else DeliveryStatus.REJECTED,
        next_attempt_at=now if receiver.ok else None,
        last_error=receiver.reason[:1024],
    )


def _outcome(receiver: ResolvedReceiver) -> ReceiverOutcome:
    return ReceiverOutcome(
        receiver=receiver.receiver,
        ok=receiver.ok,
        reason=receiver.reason,
        username=receiver.username,
        role=str(receiver.role),
        problem=receiver.problem,
    )


async def send_message(
    *,
    channel: str,
    receivers: list[str],
    title: str,
    content: str,
    business_id: int | None = None,
    origin: str = "",
    sender: str = "",
    cc: list[str] | None = None,
    body_format: str = "html",
    requested_by: str = "system",
) -> list[ReceiverOutcome]:
    """The in-process contract: receivers are usernames or addresses; persisted before it returns.

    `sender` is the mail From address (ignored by the other channels). An unknown channel or an
    empty content raises ValidationFailed; everything about one receiver is in its outcome."""
    kind = parse_channel(channel)
    draft = MessageDraft(
        channel=kind,
        title=title,
        content=content,
        body_format=parse_body_format(body_format),
        from_address=sender if kind is ChannelKind.MAIL else "",
        business_id=business_id,
        origin=origin,
        requested_by=requested_by,
    )
    specs = [ReceiverSpec(value) for value in receivers]
    specs += [ReceiverSpec(value, role=ReceiverRole.CC) for value in cc or []]
    return (await queue_message(draft, specs)).outcomes


async def send_as(principal: Principal, draft: MessageDraft, specs: list[ReceiverSpec]) -> QueuedMessage:
    """A caller's message: its business (if any) needs the operator role; the channel must be usable
    (a refusal then records nothing); the send is audited."""
    if draft.business_id is not None:
        await get_business(principal, draft.business_id, SEND_ROLE)
    if not specs:
        raise ValidationFailed("at least one receiver is required", field="receivers")
    if not (await channel_activity())[draft.channel]:
        raise ValidationFailed(
            f"the {draft.channel} channel is not configured or disabled: configure it with configureMessageChannel "
            "or the OPSGRAPH_SMTP_* / webhook environment",
            field="channel",
            code="CHANNEL_UNAVAILABLE",
        )
    draft.requested_by = principal.username
    draft.app_code = principal.app_code
    return await queue_message(draft, specs, principal=principal, active=True)
