"""Messages (cmsi): what was sent to whom over which channel, and the outbox that delivers it.

A `Message` is one request to send (mail, sms, weixin or voice); each receiver is a
`MessageDelivery` row, the outbox unit: it is written in the same transaction as the message, before
the sender is answered, and the delivery worker (executors.message_delivery) claims due rows with a
lease, sends them and records the outcome, retrying transient failures with backoff. A receiver that
could not be resolved (unknown user, no address) is recorded as REJECTED and never sent.

`MessageChannel` holds a channel's configuration stored through GraphQL (it wins over the
`OPSGRAPH_SMTP_*` / webhook environment); its secret (SMTP password, webhook signing key) is
encrypted with the credentials SecretBox and never returned.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class ChannelKind(StrEnum):
    MAIL = "mail"
    SMS = "sms"
    WEIXIN = "weixin"
    VOICE = "voice"


class MessageStatus(StrEnum):
    PENDING = "PENDING"  # some receivers are still in the outbox
    SENT = "SENT"  # every receiver got it
    PARTIAL = "PARTIAL"  # some did, some failed or were rejected
    FAILED = "FAILED"  # nobody got it


class MessageDeliveryStatus(StrEnum):
    PENDING = "PENDING"  # in the outbox, due at next_attempt_at
    SENDING = "SENDING"  # claimed by a worker until lease_until
    SENT = "SENT"  # accepted by the SMTP server / the webhook
    FAILED = "FAILED"  # refused for good, or out of attempts
    REJECTED = "REJECTED"  # never queued: the receiver could not be resolved


# The name migration 0007 imports; `MessageDeliveryStatus` keeps it apart from cmdb_events' own DeliveryStatus.
DeliveryStatus = MessageDeliveryStatus
FINAL_DELIVERY_STATUSES = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.REJECTED})


class ReceiverRole(StrEnum):
    TO = "to"
    CC = "cc"


class MessageChannel(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ChannelKind, max_length=16, unique=True)
    enabled = fields.BooleanField(default=True)
    # Non-secret settings: mail {host, port, security, username, sender, timeout, validate_certs,
    # ca_file}; webhooks {url, timeout}; both {max_attempts, retry_seconds}.
    settings: dict[str, Any] = fields.JSONField(default=dict)
    secret_encrypted = fields.TextField(default="")
    updated_by = fields.CharField(max_length=128, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "message_channel"


class Message(Model):
    id = fields.IntField(primary_key=True)
    channel = fields.CharEnumField(ChannelKind, max_length=16)
    # A plain column, not a foreign key: the record outlives the business, like the operation log.
    business_id = fields.IntField(null=True, db_index=True)
    requested_by = fields.CharField(max_length=128, db_index=True)
    app_code = fields.CharField(max_length=128, default="")
    origin = fields.CharField(max_length=64, default="")
    title = fields.CharField(max_length=512, default="")
    content = fields.TextField()
    body_format = fields.CharField(max_length=8, default="html")
    from_address = fields.CharField(max_length=254, default="")
    # Channel details: weixin {date, remark, wx_qy_agentid, wx_qy_corpsecret_encrypted}; mail
    # attachments [{filename, content (base64), mime_type, disposition, content_id}].
    extra: dict[str, Any] = fields.JSONField(default=dict)
    attachments: list[dict[str, Any]] = fields.JSONField(default=list)
    # What GraphQL lists of the attachments (name, type, size), so reading records never loads content.
    attachment_summary: list[dict[str, Any]] = fields.JSONField(default=list)
    status = fields.CharEnumField(MessageStatus, max_length=16, default=MessageStatus.PENDING, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "message"


class MessageDelivery(Model):
    id = fields.IntField(primary_key=True)
    message: fields.ForeignKeyRelation[Message] = fields.ForeignKeyField(
        "opsgraph.Message", related_name="deliveries", on_delete=fields.CASCADE
    )
    message_id: int
    receiver = fields.CharField(max_length=320)  # as the sender gave it
    username = fields.CharField(max_length=128, default="")  # when it was resolved through the directory
    address = fields.CharField(max_length=320, default="")  # email, phone or WeChat id ("" when rejected)
    role = fields.CharEnumField(ReceiverRole, max_length=4, default=ReceiverRole.TO)
    status = fields.CharEnumField(MessageDeliveryStatus, max_length=16, default=MessageDeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    claimed_by = fields.CharField(max_length=64, default="")
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=1024, default="")
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "message_delivery"
        indexes = (("status", "next_attempt_at"),)
