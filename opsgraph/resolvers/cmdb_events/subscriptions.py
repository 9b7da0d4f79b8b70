"""Event subscriptions: subscribe, update, unsubscribe, search, and testing a callback's reach.

Validation follows bk-cmdb's event server (upstream_semantics_wave2.md §6.7): name, callback URL
and subscription form are required; `confirm_mode` is `httpstatus` (the status must equal the
pattern, default "200") or `regular` (the pattern is a regular expression searched in the response
body, run by RE2 so no pattern can take super-linear time); the form is split on commas, spaces
dropped, sorted; a timeout ≤ 0 or absent is 10 s.

Who may: a subscription of a business (`bk_biz_id` > 0) gets that business's events and needs the
maintainer role there; one with `bk_biz_id` 0 gets every event, so only a superuser makes one. Both
need the `event` system privilege. A subscription the caller may not see is answered as missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import re2

from opsgraph.core.auth.principal import Principal
from opsgraph.core.crypto import SecretBox
from opsgraph.core.errors import NotFound, OpsGraphError, PermissionDenied, ValidationFailed
from opsgraph.core.settings import Settings
from opsgraph.models.cmdb_events import CmdbEvent, EventSubscription
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.privileges.enforce import authorize
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

CONFIRM_MODES = ("httpstatus", "regular")
DEFAULT_TIMEOUT = 10
MAX_TIMEOUT = 300
MAX_FORM_NAMES = 200
MAX_PAGE = 200
SECRET_PURPOSE = b"opsgraph/event-subscription/v1"
_EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,159}$")
_TELNET_TIMEOUT = 3.0


@dataclass
class SubscriptionSpec:
    name: str
    callback_url: str
    confirm_mode: str
    confirm_pattern: str = ""
    subscription_form: str = ""
    timeout: int | None = None
    system_name: str = ""
    signing_secret: str | None = None


def normalise_url(url: Any, field: str = "callbackUrl") -> str:
    """An http(s) URL; one without a scheme (the doc's testing_connection example) is read as http://."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationFailed("a callback URL is required", field=field, code="MISSING_FIELD")
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    if len(text) > 1024:
        raise ValidationFailed("the callback URL is longer than 1024 characters", field=field)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValidationFailed(f"{url!r} is not a URL", field=field) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(f"{url!r} is not an http(s) URL", field=field)
    if port == 0:
        raise ValidationFailed(f"{url!r} has no usable port", field=field)
    return text


def normalise_form(form: Any, field: str = "subscriptionForm") -> str:
    if isinstance(form, list):
        form = ",".join(str(part) for part in form)
    if not isinstance(form, str) or not form.replace(",", "").strip():
        raise ValidationFailed("the subscription form (event types) is required", field=field, code="MISSING_FIELD")
    names = sorted({part for part in form.replace(" ", "").split(",") if part})
    if len(names) > MAX_FORM_NAMES:
        raise ValidationFailed(f"at most {MAX_FORM_NAMES} event types", field=field)
    for name in names:
        if not _EVENT_NAME.match(name):
            raise ValidationFailed(f"{name!r} is not an event type name (e.g. hostcreate)", field=field)
    return ",".join(names)


def check_confirm(mode: Any, pattern: Any) -> tuple[str, str]:
    if mode not in CONFIRM_MODES:
        raise ValidationFailed("confirm_mode must be httpstatus or regular", field="confirmMode")
    text = "" if pattern is None else str(pattern)
    if len(text) > 1024:
        raise ValidationFailed("confirm_pattern is longer than 1024 characters", field="confirmPattern")
    if mode == "httpstatus":
        text = text.strip() or "200"
        if not text.isdigit() or not 100 <= int(text) <= 599:
            raise ValidationFailed(
                "in httpstatus mode confirm_pattern is an HTTP status such as 200", field="confirmPattern"
            )
        return mode, text
    try:
        re2.compile(text)
    except re2.error as exc:
        raise ValidationFailed(
            f"confirm_pattern is not a valid regular expression: {exc}", field="confirmPattern"
        ) from exc
    return mode, text


def check_timeout(value: Any) -> int:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("the timeout is a whole number of seconds", field="timeout")
    if value <= 0:
        return DEFAULT_TIMEOUT  # bk-cmdb: ≤ 0 means the default
    if value > MAX_TIMEOUT:
        raise ValidationFailed(f"the timeout is at most {MAX_TIMEOUT} seconds", field="timeout")
    return value


def _clean_name(value: Any, field: str, label: str, required: bool = True) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationFailed(f"{label} is required", field=field, code="MISSING_FIELD")
        return ""
    if not isinstance(value, str) or len(value.strip()) > 256:
        raise ValidationFailed(f"{label} must be text of at most 256 characters", field=field)
    return value.strip()


async def _authorize(principal: Principal, business_id: int) -> None:
    if business_id:
        await get_business(principal, business_id, "maintainer")
        await authorize(principal, business_ids=[business_id], minimum_role="maintainer", system="event")
    else:
        if not principal.is_superuser:
            raise PermissionDenied("a subscription to every business's events (bk_biz_id 0) needs a superuser")
        await authorize(principal, system="event")


def snapshot(sub: EventSubscription) -> dict[str, Any]:
    return {
        "subscription_id": sub.id,
        "bk_biz_id": sub.business_id,
        "subscription_name": sub.name,
        "system_name": sub.system_name,
        "callback_url": sub.callback_url,
        "confirm_mode": sub.confirm_mode,
        "confirm_pattern": sub.confirm_pattern,
        "time_out": sub.timeout_seconds,
        "subscription_form": sub.subscription_form,
    }


def _apply(sub: EventSubscription, spec: SubscriptionSpec) -> None:
    sub.name = _clean_name(spec.name, "subscriptionName", "the subscription name")
    sub.system_name = _clean_name(spec.system_name, "systemName", "the system name", required=False)
    sub.callback_url = normalise_url(spec.callback_url)
    sub.confirm_mode, sub.confirm_pattern = check_confirm(spec.confirm_mode, spec.confirm_pattern)
    sub.subscription_form = normalise_form(spec.subscription_form)
    sub.timeout_seconds = check_timeout(spec.timeout)


def _secret(settings: Settings, spec: SubscriptionSpec, principal: Principal) -> tuple[str, str | None]:
    """(stored encrypted secret, the secret to show once). A caller-chosen secret is never shown back;
    without one, an app's calls are signed with the app's own secret, anyone else gets a new one."""
    box = SecretBox(settings.secret_key, purpose=SECRET_PURPOSE)
    if spec.signing_secret is not None:
        if len(spec.signing_secret) < 16 or len(spec.signing_secret) > 256:
            raise ValidationFailed("a signing secret is 16–256 characters", field="signingSecret")
        return box.encrypt(spec.signing_secret), None
    if principal.app_code:
        return "", None
    generated = secrets.token_urlsafe(32)
    return box.encrypt(generated), generated


async def subscribe(
    principal: Principal, settings: Settings, business_id: int, spec: SubscriptionSpec
) -> tuple[EventSubscription, str | None]:
    """Returns the subscription and, when one was generated, its signing secret (shown only now)."""
    await _authorize(principal, business_id)
    sub = EventSubscription(business_id=business_id, operator=principal.username, app_code=principal.app_code)
    _apply(sub, spec)
    sub.secret_encrypted, shown = _secret(settings, spec, principal)
    async with write_transaction():
        newest = await CmdbEvent.all().order_by("-id").limit(1).values_list("id", flat=True)
        sub.since_event_id = int(str(newest[0])) if newest else 0
        await sub.save()
        await record_operation(
            principal,
            op_type="create",
            op_target="event_subscription",
            op_desc=f"subscribe {sub.name} to {sub.subscription_form}",
            business_id=business_id or None,
            inst_id=sub.id,
            cur_data=snapshot(sub),
        )
    return sub, shown


async def get_subscription(
    principal: Principal, subscription_id: int, business_id: int | None = None
) -> EventSubscription:
    sub = await EventSubscription.get_or_none(id=subscription_id)
    visible = sub is not None and (principal.is_superuser or (sub.business_id and principal.can(sub.business_id)))
    if sub is None or not visible or (business_id is not None and sub.business_id != business_id):
        raise NotFound(f"subscription {subscription_id} does not exist", field="subscriptionId")
    return sub


async def update_subscription(
    principal: Principal,
    settings: Settings,
    subscription_id: int,
    spec: SubscriptionSpec,
    business_id: int | None = None,
) -> EventSubscription:
    """Every field is replaced (update_event_subscribe requires them all)."""
    sub = await get_subscription(principal, subscription_id, business_id)
    await _authorize(principal, sub.business_id)
    before = snapshot(sub)
    _apply(sub, spec)
    if spec.signing_secret is not None:
        sub.secret_encrypted, _ = _secret(settings, spec, principal)
    sub.operator = principal.username
    async with write_transaction():
        await sub.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="event_subscription",
            op_desc=f"update subscription {sub.name}",
            business_id=sub.business_id or None,
            inst_id=sub.id,
            pre_data=before,
            cur_data=snapshot(sub),
        )
    return sub


async def unsubscribe(principal: Principal, subscription_id: int) -> None:
    """Pending deliveries go with it."""
    sub = await get_subscription(principal, subscription_id)
    await _authorize(principal, sub.business_id)
    async with write_transaction():
        await sub.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="event_subscription",
            op_desc=f"unsubscribe {sub.name}",
            business_id=sub.business_id or None,
            inst_id=sub.id,
            pre_data=snapshot(sub),
        )


async def search_subscriptions(
    principal: Principal, business_id: int, name: str | None, start: int, limit: int, sort: str | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """The subscriptions of one business (0: the estate-wide ones, a superuser's)."""
    if business_id:
        await get_business(principal, business_id)
    elif not principal.is_superuser:
        raise PermissionDenied("estate-wide subscriptions (bk_biz_id 0) are a superuser's")
    if start < 0:
        raise ValidationFailed("page start must not be negative", field="start")
    if not 0 < limit <= MAX_PAGE:
        raise ValidationFailed(f"page limit must be between 1 and {MAX_PAGE}", field="limit", code="PAGE_LIMIT")
    query = EventSubscription.filter(business_id=business_id)
    if name:
        query = query.filter(name__icontains=name)
    order = {"subscription_id": "id", "subscription_name": "name", "last_time": "updated_at"}
    column = order.get((sort or "").lstrip("-"), "id")
    total = await query.count()
    direction = "-" if (sort or "").startswith("-") else ""
    rows = await query.order_by(direction + column, "id").offset(start).limit(limit).values()
    return total, rows


async def testing_connection(principal: Principal, callback_url: Any) -> None:
    """bk-cmdb's `Telnet`: can a TCP connection reach the callback's host and port?"""
    await authorize(principal, system="event")
    parts = urlsplit(normalise_url(callback_url))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, port), _TELNET_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise OpsGraphError(
            f"cannot connect to {parts.hostname}:{port}: {exc or type(exc).__name__}",
            field="callbackUrl",
            code="CALLBACK_UNREACHABLE",
        ) from exc
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
