"""How each message channel is reached: SMTP for mail, an HTTP webhook for sms / weixin / voice.

A channel's configuration comes from the database when it was set through GraphQL
(`configureMessageChannel`), else from the environment:

    OPSGRAPH_SMTP_HOST, _PORT, _SECURITY (none | starttls | tls), _USERNAME, _PASSWORD, _SENDER,
    _TIMEOUT, _VALIDATE_CERTS, _CA_FILE
    OPSGRAPH_SMS_WEBHOOK_URL, OPSGRAPH_WEIXIN_WEBHOOK_URL, OPSGRAPH_VOICE_WEBHOOK_URL,
    OPSGRAPH_MESSAGE_WEBHOOK_SECRET, OPSGRAPH_MESSAGE_WEBHOOK_TIMEOUT
    OPSGRAPH_MESSAGE_ATTEMPTS, OPSGRAPH_MESSAGE_RETRY_SECONDS (the outbox's retry policy)

A channel is active when it is configured (an SMTP host, a webhook URL) and enabled.

Example:
    configs = await load_channel_configs(settings.secret_key)
    if configs[ChannelKind.MAIL].active: ...
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from opsgraph.core.crypto import SecretBox
from opsgraph.core.errors import ConfigurationError, ValidationFailed
from opsgraph.models.messaging import ChannelKind, MessageChannel

SECURITY_MODES = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
DEFAULT_SENDER = "opsgraph@localhost"
DEFAULT_TIMEOUT = 10.0
DEFAULT_ATTEMPTS = 6
DEFAULT_RETRY_SECONDS = 30.0
MAX_RETRY_DELAY = 3600.0
WEBHOOK_CHANNELS = (ChannelKind.SMS, ChannelKind.WEIXIN, ChannelKind.VOICE)
# Secrets of different purposes never share a key (see core.crypto).
CHANNEL_SECRET_PURPOSE = b"opsgraph/message-channels/v1"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = DEFAULT_ATTEMPTS
    retry_seconds: float = DEFAULT_RETRY_SECONDS

    def delay(self, attempts_made: int) -> float:
        """Seconds before the next try after `attempts_made` failed ones: exponential, capped."""
        return float(min(self.retry_seconds * 2 ** max(attempts_made - 1, 0), MAX_RETRY_DELAY))


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    security: str = "none"
    username: str = ""
    password: str = ""
    sender: str = DEFAULT_SENDER
    timeout: float = DEFAULT_TIMEOUT
    validate_certs: bool = True
    ca_file: str = ""

    def __repr__(self) -> str:  # the password stays out of logs and tracebacks
        return f"MailSettings(host={self.host!r}, port={self.port}, security={self.security!r})"


@dataclass(frozen=True)
class WebhookSettings:
    url: str
    secret: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def __repr__(self) -> str:
        return f"WebhookSettings(url={self.url!r})"


@dataclass(frozen=True)
class ChannelConfig:
    kind: ChannelKind
    enabled: bool
    source: str  # "database", "environment" or "none"
    mail: MailSettings | None = None
    webhook: WebhookSettings | None = None
    retry: RetryPolicy = RetryPolicy()

    @property
    def configured(self) -> bool:
        return self.mail is not None if self.kind is ChannelKind.MAIL else self.webhook is not None

    @property
    def active(self) -> bool:
        return self.enabled and self.configured


def channel_box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key, purpose=CHANNEL_SECRET_PURPOSE)


# --- Normalising settings (shared by the environment and the GraphQL mutation) ---------------------------


def parse_security(value: Any, field: str = "security") -> str:
    text = str(value or "none").strip().lower()
    text = {"ssl": "tls", "usessl": "tls", "usetls": "starttls", "plain": "none"}.get(text, text)
    if text not in SECURITY_MODES:
        raise ValidationFailed(f"{field} must be one of {', '.join(SECURITY_MODES)}, got {value!r}", field=field)
    return text


def parse_port(value: Any, security: str, field: str = "port") -> int:
    if value in (None, "", 0):
        return DEFAULT_PORTS[security]
    try:
        port = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{field} must be a port number, got {value!r}", field=field) from exc
    if not 0 < port < 65536:
        raise ValidationFailed(f"{field} must be between 1 and 65535", field=field)
    return port


def parse_timeout(value: Any, field: str = "timeout") -> float:
    if value in (None, ""):
        return DEFAULT_TIMEOUT
    try:
        timeout = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{field} must be a number of seconds, got {value!r}", field=field) from exc
    if not 0 < timeout <= 300:
        raise ValidationFailed(f"{field} must be more than 0 and at most 300 seconds", field=field)
    return timeout


def parse_webhook_url(value: Any, field: str = "url") -> str:
    url = str(value or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(f"{field} must be an http(s) URL, got {url!r}", field=field)
    return url


def parse_retry(attempts: Any, seconds: Any) -> RetryPolicy:
    try:
        max_attempts = DEFAULT_ATTEMPTS if attempts in (None, "") else int(attempts)
        retry_seconds = DEFAULT_RETRY_SECONDS if seconds in (None, "") else float(seconds)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("maxAttempts and retrySeconds must be numbers", field="maxAttempts") from exc
    if not 1 <= max_attempts <= 50:
        raise ValidationFailed("maxAttempts must be between 1 and 50", field="maxAttempts")
    if not 0.05 <= retry_seconds <= MAX_RETRY_DELAY:
        raise ValidationFailed(f"retrySeconds must be between 0.05 and {MAX_RETRY_DELAY:.0f}", field="retrySeconds")
    return RetryPolicy(max_attempts=max_attempts, retry_seconds=retry_seconds)


def mail_settings_from(values: Mapping[str, Any], password: str) -> MailSettings:
    security = parse_security(values.get("security"))
    return MailSettings(
        host=str(values["host"]).strip(),
        port=parse_port(values.get("port"), security),
        security=security,
        username=str(values.get("username") or ""),
        password=password,
        sender=str(values.get("sender") or DEFAULT_SENDER),
        timeout=parse_timeout(values.get("timeout")),
        validate_certs=bool(values.get("validate_certs", True)),
        ca_file=str(values.get("ca_file") or ""),
    )


# --- Reading the configuration ------------------------------------------------------------------------


def _env(name: str) -> str:
    return os.environ.get(f"OPSGRAPH_{name}", "").strip()


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    return default if not raw else raw in {"1", "true", "yes", "on"}


def environment_config(kind: ChannelKind) -> ChannelConfig:
    """The channel as the environment describes it; a malformed variable is a ConfigurationError."""
    try:
        retry = parse_retry(_env("MESSAGE_ATTEMPTS"), _env("MESSAGE_RETRY_SECONDS"))
        if kind is ChannelKind.MAIL:
            if not _env("SMTP_HOST"):
                return ChannelConfig(kind, enabled=True, source="none", retry=retry)
            values = {
                "host": _env("SMTP_HOST"),
                "port": _env("SMTP_PORT"),
                "security": _env("SMTP_SECURITY"),
                "username": _env("SMTP_USERNAME"),
                "sender": _env("SMTP_SENDER"),
                "timeout": _env("SMTP_TIMEOUT"),
                "validate_certs": _env_bool("SMTP_VALIDATE_CERTS", True),
                "ca_file": _env("SMTP_CA_FILE"),
            }
            mail = mail_settings_from(values, os.environ.get("OPSGRAPH_SMTP_PASSWORD", ""))
            return ChannelConfig(kind, enabled=True, source="environment", mail=mail, retry=retry)
        url = _env(f"{kind.value.upper()}_WEBHOOK_URL")
        if not url:
            return ChannelConfig(kind, enabled=True, source="none", retry=retry)
        webhook = WebhookSettings(
            url=parse_webhook_url(url, field=f"OPSGRAPH_{kind.value.upper()}_WEBHOOK_URL"),
            secret=os.environ.get("OPSGRAPH_MESSAGE_WEBHOOK_SECRET", ""),
            timeout=parse_timeout(_env("MESSAGE_WEBHOOK_TIMEOUT")),
        )
        return ChannelConfig(kind, enabled=True, source="environment", webhook=webhook, retry=retry)
    except ValidationFailed as exc:
        raise ConfigurationError(f"the {kind.value} channel's environment is invalid: {exc.message}") from exc


def stored_config(row: Mapping[str, Any], secret_key: str) -> ChannelConfig:
    """A channel saved through GraphQL (values already validated when saved)."""
    kind = ChannelKind(row["kind"])
    values = dict(row["settings"] or {})
    secret = channel_box(secret_key).decrypt(row["secret_encrypted"]) if row["secret_encrypted"] else ""
    retry = parse_retry(values.get("max_attempts"), values.get("retry_seconds"))
    if kind is ChannelKind.MAIL:
        mail = mail_settings_from(values, secret) if values.get("host") else None
        return ChannelConfig(kind, enabled=bool(row["enabled"]), source="database", mail=mail, retry=retry)
    webhook = None
    if values.get("url"):
        webhook = WebhookSettings(url=str(values["url"]), secret=secret, timeout=parse_timeout(values.get("timeout")))
    return ChannelConfig(kind, enabled=bool(row["enabled"]), source="database", webhook=webhook, retry=retry)


async def load_channel_configs(secret_key: str) -> dict[ChannelKind, ChannelConfig]:
    """Every channel, in one query: the stored configuration where there is one, else the environment."""
    stored = {ChannelKind(row["kind"]): row for row in await MessageChannel.all().values()}
    return {
        kind: stored_config(stored[kind], secret_key) if kind in stored else environment_config(kind)
        for kind in ChannelKind
    }


# Every send asks whether its channel can send; the answer is read at most once per
# ACTIVITY_SECONDS and dropped at once when this process changes a channel (forget_channel_activity),
# so only a change made through another server process takes up to that long to be seen here.
ACTIVITY_SECONDS = 1.0
_activity: tuple[float, dict[ChannelKind, bool]] | None = None


def forget_channel_activity() -> None:
    global _activity
    _activity = None


async def channel_activity() -> dict[ChannelKind, bool]:
    """Which channels can send now (configured and enabled), without decrypting any secret."""
    global _activity
    now = time.monotonic()
    if _activity is not None and now - _activity[0] < ACTIVITY_SECONDS:
        return dict(_activity[1])
    stored = {ChannelKind(row["kind"]): row for row in await MessageChannel.all().values("kind", "enabled", "settings")}
    activity: dict[ChannelKind, bool] = {}
    for kind in ChannelKind:
        row = stored.get(kind)
        if row is None:
            activity[kind] = environment_config(kind).active
        else:
            target = (row["settings"] or {}).get("host" if kind is ChannelKind.MAIL else "url")
            activity[kind] = bool(row["enabled"] and target)
    _activity = (now, activity)
    return dict(activity)


def check_environment() -> None:
    """Start-up: a malformed OPSGRAPH_SMTP_* / webhook variable stops the server with one clear line."""
    for kind in ChannelKind:
        environment_config(kind)
