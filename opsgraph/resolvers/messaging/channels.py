"""The channels as callers see them (get_msg_type, `messageChannels`) and their configuration by a
superuser. A stored configuration wins over the environment; `reset` goes back to the environment.
Secrets (the SMTP password, a webhook's signing key) are encrypted at rest and never returned."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.executors.message_channels import (
    ChannelConfig,
    channel_box,
    forget_channel_activity,
    load_channel_configs,
    parse_port,
    parse_retry,
    parse_security,
    parse_timeout,
    parse_webhook_url,
)
from opsgraph.models.messaging import ChannelKind, MessageChannel
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.messaging.receivers import is_valid_email

LABELS = {
    ChannelKind.WEIXIN: ("WeChat", "微信"),
    ChannelKind.MAIL: ("Mail", "邮件"),
    ChannelKind.SMS: ("SMS", "短信"),
    ChannelKind.VOICE: ("Voice", "语音"),
}
_MAX_TEXT = 255


@dataclass(frozen=True)
class ChannelView:
    kind: ChannelKind
    label_en: str
    label_zh: str
    enabled: bool
    configured: bool
    active: bool
    source: str
    settings: dict[str, Any]  # never a secret
    has_secret: bool


def _view(config: ChannelConfig) -> ChannelView:
    settings: dict[str, Any] = {}
    has_secret = False
    if config.mail is not None:
        mail = config.mail
        settings = {
            "host": mail.host,
            "port": mail.port,
            "security": mail.security,
            "username": mail.username,
            "sender": mail.sender,
            "timeout": mail.timeout,
            "validate_certs": mail.validate_certs,
            "ca_file": mail.ca_file,
        }
        has_secret = bool(mail.password)
    elif config.webhook is not None:
        settings = {"url": config.webhook.url, "timeout": config.webhook.timeout}
        has_secret = bool(config.webhook.secret)
    settings.update(max_attempts=config.retry.max_attempts, retry_seconds=config.retry.retry_seconds)
    label_en, label_zh = LABELS[config.kind]
    return ChannelView(
        kind=config.kind,
        label_en=label_en,
        label_zh=label_zh,
        enabled=config.enabled,
        configured=config.configured,
        active=config.active,
        source=config.source,
        settings=settings,
        has_secret=has_secret,
    )


async def channel_views(secret_key: str) -> list[ChannelView]:
    """Every channel, in get_msg_type's order (weixin, mail, sms, voice)."""
    configs = await load_channel_configs(secret_key)
    return [_view(configs[kind]) for kind in LABELS]


def _text(values: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = str(values.get(name) or "").strip()
    if required and not value:
        raise ValidationFailed(f"{name} is required", field=name, code="MISSING_FIELD")
    if len(value) > _MAX_TEXT or any(ch.isspace() and ch != " " for ch in value):
        raise ValidationFailed(f"{name} must be one line of at most {_MAX_TEXT} characters", field=name)
    return value


def _mail_settings(values: dict[str, Any]) -> dict[str, Any]:
    host = _text(values, "host", required=True)
    if " " in host:
        raise ValidationFailed("host must be a host name or an IP address", field="host")
    security = parse_security(values.get("security"))
    sender = _text(values, "sender")
    if sender and not is_valid_email(sender):
        raise ValidationFailed(f"sender {sender!r} is not an email address", field="sender")
    ca_file = _text(values, "ca_file")
    if ca_file and not os.path.isfile(ca_file):
        raise ValidationFailed(f"caFile {ca_file!r} is not a file on the server", field="caFile")
    return {
        "host": host,
        "port": parse_port(values.get("port"), security),
        "security": security,
        "username": _text(values, "username"),
        "sender": sender,
        "timeout": parse_timeout(values.get("timeout")),
        "validate_certs": bool(values.get("validate_certs", True)),
        "ca_file": ca_file,
    }


def _webhook_settings(values: dict[str, Any]) -> dict[str, Any]:
    return {"url": parse_webhook_url(values.get("url")), "timeout": parse_timeout(values.get("timeout"))}


async def configure_channel(
    principal: Principal,
    kind: ChannelKind,
    *,
    settings: dict[str, Any] | None,
    secret: str | None = None,
    enabled: bool = True,
    reset: bool = False,
    secret_key: str,
) -> ChannelView:
    """`settings` describe the channel whole (mail: host…; webhooks: url…); `secret` None keeps the
    stored one, "" clears it. `reset` forgets the stored configuration (the environment applies)."""
    principal.require_superuser("configuring message channels")
    if reset:
        async with in_transaction():
            await MessageChannel.filter(kind=kind).delete()
            await record_operation(
                principal, op_type="reset", op_target="message_channel", op_desc=f"reset the {kind} channel"
            )
    else:
        values = dict(settings or {})
        if not values:
            field = "smtp" if kind is ChannelKind.MAIL else "webhook"
            raise ValidationFailed(f"the {kind} channel needs its {field} settings", field=field, code="MISSING_FIELD")
        stored = _mail_settings(values) if kind is ChannelKind.MAIL else _webhook_settings(values)
        retry = parse_retry(values.get("max_attempts"), values.get("retry_seconds"))
        stored.update(max_attempts=retry.max_attempts, retry_seconds=retry.retry_seconds)
        row = await MessageChannel.get_or_none(kind=kind)
        sealed = row.secret_encrypted if row is not None else ""
        if secret is not None:
            sealed = channel_box(secret_key).encrypt(secret) if secret else ""
        async with in_transaction():
            await MessageChannel.update_or_create(
                kind=kind,
                defaults={
                    "enabled": enabled,
                    "settings": stored,
                    "secret_encrypted": sealed,
                    "updated_by": principal.username,
                },
            )
            await record_operation(
                principal,
                op_type="configure",
                op_target="message_channel",
                op_desc=f"configure the {kind} channel",
                cur_data={**stored, "enabled": enabled, "has_secret": bool(sealed)},
            )
    forget_channel_activity()
    configs = await load_channel_configs(secret_key)
    return _view(configs[kind])
