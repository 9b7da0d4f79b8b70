"""sendMessage (through the outbox) and configureMessageChannel (superusers)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.executors.message_channels import channel_box
from opsgraph.models.messaging import ChannelKind, ReceiverRole
from opsgraph.resolvers.messaging import channels as channel_actions
from opsgraph.resolvers.messaging.attachments import parse_attachments
from opsgraph.resolvers.messaging.receivers import ReceiverSpec, check_addresses
from opsgraph.resolvers.messaging.records import get_message
from opsgraph.resolvers.messaging.send import MessageDraft, send_as
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import optional_pk
from opsgraph.schema.types.messaging import (
    MailBodyFormatEnum,
    MessageChannelKindEnum,
    MessageChannelType,
    MessageType,
    ReceiverOutcomeType,
)

MAX_EXTRA_KEYS = 20


@strawberry.input(description="A mail attachment; images default to inline with Content-ID <filename>.")
class MailAttachmentInput:
    filename: str
    content_base64: str
    type: str | None = strawberry.field(default=None, description="A suffix (png) or a MIME type.")
    disposition: str | None = strawberry.field(default=None, description="inline or attachment")
    content_id: str | None = None


@strawberry.input(description="A username with an address of its own (else its directory address is used).")
class MessageContactInput:
    username: str
    address: str | None = None


@strawberry.input(
    description="Receivers by address (a malformed one refuses the whole message) and/or by username "
    "(an unknown user, or one without the channel's address, fails for that receiver only)."
)
class SendMessageInput:
    channel: MessageChannelKindEnum
    content: str
    title: str = strawberry.field(default="", description="Required for mail (its subject).")
    receivers: list[str] = strawberry.field(default_factory=list, description="Addresses: email, phone or WeChat id.")
    receiver_usernames: list[str] = strawberry.field(default_factory=list)
    contacts: list[MessageContactInput] = strawberry.field(default_factory=list)
    cc: list[str] = strawberry.field(default_factory=list, description="Mail only.")
    cc_usernames: list[str] = strawberry.field(default_factory=list, description="Mail only.")
    body_format: MailBodyFormatEnum = MailBodyFormatEnum.HTML
    sender: str | None = strawberry.field(default=None, description="Mail From address (default: the channel's).")
    attachments: list[MailAttachmentInput] = strawberry.field(default_factory=list)
    business_id: strawberry.ID | None = strawberry.field(default=None, description="Needs the operator role there.")
    origin: str = strawberry.field(default="graphql", description="Which part of your system sends it.")
    extra: JSON | None = strawberry.field(
        default=None, description="Channel details passed to the webhook (weixin: date, remark)."
    )


@strawberry.type
class SendMessagePayload:
    message_id: int | None = strawberry.field(
        default=None, description="The record's id, even when you cannot read it."
    )
    receivers: list[ReceiverOutcomeType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field
    async def message(self, info: Info) -> MessageType | None:
        # Read only when asked for: most senders want the id and the per-receiver outcomes.
        if self.message_id is None:
            return None
        row = await get_message(info.context.caller, self.message_id)
        return MessageType.from_row(row) if row is not None else None


@strawberry.input
class SmtpSettingsInput:
    host: str
    port: int | None = strawberry.field(default=None, description="Default: 25, 587 (starttls) or 465 (tls).")
    security: str = strawberry.field(default="none", description="none, starttls or tls")
    username: str = ""
    password: str | None = strawberry.field(default=None, description="Null keeps the stored one; empty clears it.")
    sender: str = strawberry.field(default="", description="The default From address.")
    timeout: float | None = None
    validate_certs: bool = True
    ca_file: str = strawberry.field(default="", description="A CA bundle on the server to verify the server with.")


@strawberry.input
class WebhookSettingsInput:
    url: str
    secret: str | None = strawberry.field(
        default=None, description="HMAC signing key. Null keeps the stored one; empty clears it."
    )
    timeout: float | None = None


@strawberry.input(description="Mail takes smtp, the other channels webhook; reset returns to the environment.")
class ConfigureMessageChannelInput:
    channel: MessageChannelKindEnum
    enabled: bool = True
    smtp: SmtpSettingsInput | None = None
    webhook: WebhookSettingsInput | None = None
    max_attempts: int | None = None
    retry_seconds: float | None = None
    reset: bool = False


@strawberry.type
class ConfigureMessageChannelPayload:
    channel: MessageChannelType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _extra(given: Any, secret_key: str) -> dict[str, Any]:
    """Scalar channel details only; a WeCom secret a caller passes is kept encrypted (records.HIDDEN_EXTRA)."""
    if given is None:
        return {}
    if not isinstance(given, dict) or len(given) > MAX_EXTRA_KEYS:
        raise ValidationFailed(f"extra must be an object of at most {MAX_EXTRA_KEYS} values", field="extra")
    extra: dict[str, Any] = {}
    for key, value in given.items():
        if not isinstance(value, str | int | float | bool) or len(str(key)) > 64 or len(str(value)) > 1024:
            raise ValidationFailed(f"extra.{key} must be a short scalar value", field="extra")
        extra[str(key)] = value
    extra.pop("wx_qy_corpsecret_encrypted", None)
    secret = extra.pop("wx_qy_corpsecret", None)
    if secret:
        extra["wx_qy_corpsecret_encrypted"] = channel_box(secret_key).encrypt(str(secret))
    return extra


def _specs(input: SendMessageInput, kind: ChannelKind) -> list[ReceiverSpec]:
    check_addresses(kind, input.receivers, "receivers")
    check_addresses(kind, input.cc, "cc")
    contact_addresses = [c.address for c in input.contacts if c.address]
    check_addresses(kind, contact_addresses, "contacts")
    specs = [ReceiverSpec(value, mode="address") for value in input.receivers]
    specs += [ReceiverSpec(value, mode="username") for value in input.receiver_usernames]
    specs += [ReceiverSpec(c.username, mode="contact", address=c.address or "") for c in input.contacts]
    if kind is ChannelKind.MAIL:
        specs += [ReceiverSpec(value, role=ReceiverRole.CC, mode="address") for value in input.cc]
        specs += [ReceiverSpec(value, role=ReceiverRole.CC, mode="username") for value in input.cc_usernames]
    return specs


@strawberry.type
class MessagingMutations:
    @strawberry.mutation(description="Queue a message in the outbox; the answer says per receiver what was accepted.")
    @returns_user_errors(SendMessagePayload)
    async def send_message(self, info: Info, input: SendMessageInput) -> SendMessagePayload:
        kind = ChannelKind(input.channel.value)
        attachments: list[dict[str, Any]] = []
        if kind is ChannelKind.MAIL:
            raw = [
                {
                    "filename": a.filename,
                    "content": a.content_base64,
                    "type": a.type,
                    "disposition": a.disposition,
                    "content_id": a.content_id,
                }
                for a in input.attachments
            ]
            attachments = parse_attachments(raw)
        extra = _extra(input.extra, info.context.settings.secret_key)
        draft = MessageDraft(
            channel=kind,
            title=input.title,
            content=input.content,
            body_format=input.body_format.value,
            from_address=(input.sender or "") if kind is ChannelKind.MAIL else "",
            attachments=attachments,
            extra=extra,
            business_id=optional_pk(input.business_id, "Business"),
            origin=input.origin,
        )
        queued = await send_as(info.context.caller, draft, _specs(input, kind))
        return SendMessagePayload(
            message_id=queued.message_id,
            receivers=[ReceiverOutcomeType.from_outcome(outcome) for outcome in queued.outcomes],
        )

    @strawberry.mutation(description="Superusers: how a channel is reached. Secrets are stored encrypted.")
    @returns_user_errors(ConfigureMessageChannelPayload)
    async def configure_message_channel(
        self, info: Info, input: ConfigureMessageChannelInput
    ) -> ConfigureMessageChannelPayload:
        kind = ChannelKind(input.channel.value)
        values: dict[str, Any] | None = None
        secret: str | None = None
        if kind is ChannelKind.MAIL and input.smtp is not None:
            smtp = input.smtp
            values = {
                "host": smtp.host,
                "port": smtp.port,
                "security": smtp.security,
                "username": smtp.username,
                "sender": smtp.sender,
                "timeout": smtp.timeout,
                "validate_certs": smtp.validate_certs,
                "ca_file": smtp.ca_file,
            }
            secret = smtp.password
        elif kind is not ChannelKind.MAIL and input.webhook is not None:
            values = {"url": input.webhook.url, "timeout": input.webhook.timeout}
            secret = input.webhook.secret
        if values is not None:
            values.update(max_attempts=input.max_attempts, retry_seconds=input.retry_seconds)
        view = await channel_actions.configure_channel(
            info.context.caller,
            kind,
            settings=values,
            secret=secret,
            enabled=input.enabled,
            reset=input.reset,
            secret_key=info.context.settings.secret_key,
        )
        return ConfigureMessageChannelPayload(channel=MessageChannelType.from_view(view, full=True))
