"""Who a message goes to: receiver lists as cmsi writes them, address formats, and usernames
resolved through the user directory into the channel's address (email, phone or wx_userid).

A receiver is given as an address (cmsi `receiver`: a malformed one refuses the whole call, as
upstream does), as a username (cmsi `receiver__username`: an unknown user or one without the
channel's address fails for that receiver only), as a username with an address of its own (voice's
`user_list_information`), or either way (`send_message`'s receivers: a known username first, else
an address).

Example:
    split_receivers("alice, bob;carol\\ndave", "receiver__username")  # ['alice', 'bob', 'carol', 'dave']
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Literal

from opsgraph.core.errors import LimitExceeded, ValidationFailed
from opsgraph.models.identity import User
from opsgraph.models.messaging import ChannelKind, ReceiverRole

MAX_RECEIVERS = 1000
ADDRESS_COLUMN = {
    ChannelKind.MAIL: "email",
    ChannelKind.SMS: "phone",
    ChannelKind.VOICE: "phone",
    ChannelKind.WEIXIN: "wx_userid",
}
ADDRESS_LABEL = {
    ChannelKind.MAIL: "email address",
    ChannelKind.SMS: "phone number",
    ChannelKind.VOICE: "phone number",
    ChannelKind.WEIXIN: "WeChat user id (wx_userid)",
}
# Upstream accepts digits only; a leading "+" (international form) is accepted too.
_PHONE = re.compile(r"\+?\d{3,20}")
_WEIXIN_ID = re.compile(r"[^\s\x00-\x1f\x7f]{1,128}")
_EMAIL_LOCAL = re.compile(r"[^\s\x00-\x1f\x7f<>()\[\],;:\"@]{1,64}")
_EMAIL_DOMAIN = re.compile(r"(?=.{1,253}$)[A-Za-z0-9\u0080-\uffff-]+(\.[A-Za-z0-9\u0080-\uffff-]+)*")
# cmsi's ListField: comma, semicolon, space or newline.
_SEPARATORS = re.compile(r"[,;\s]+")

Mode = Literal["address", "username", "contact", "auto"]
Problem = Literal["", "not_a_user", "no_address", "invalid_address", "channel_unavailable"]


@dataclass(frozen=True)
class ReceiverSpec:
    value: str  # what the sender wrote: an address or a username
    role: ReceiverRole = ReceiverRole.TO
    mode: Mode = "auto"
    address: str = ""  # "contact" mode: the address given with the username (else resolved)


@dataclass(frozen=True)
class ResolvedReceiver:
    receiver: str
    role: ReceiverRole
    username: str = ""
    address: str = ""
    problem: Problem = ""
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def split_receivers(value: Any, field: str) -> list[str]:
    """A JSON array, a JSON-array string, or text split on commas, semicolons, spaces and newlines."""
    if value is None or value == "":
        return []
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValidationFailed(f"{field} is not a valid JSON array", field=field) from exc
    items: list[str] = []
    if isinstance(value, str):
        items = _SEPARATORS.split(value)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise ValidationFailed(f"{field}[{index}] must be a string", field=field)
            items.append(str(item))
    else:
        raise ValidationFailed(f"{field} must be a string or a list of strings", field=field)
    found = list(dict.fromkeys(item.strip() for item in items if item.strip()))
    if len(found) > MAX_RECEIVERS:
        raise LimitExceeded(f"{field}: at most {MAX_RECEIVERS} receivers per message", field=field)
    return found


def is_valid_address(channel: ChannelKind, value: str) -> bool:
    if channel is ChannelKind.MAIL:
        return is_valid_email(value)
    if channel is ChannelKind.WEIXIN:
        return bool(_WEIXIN_ID.fullmatch(value))
    return bool(_PHONE.fullmatch(value))


def is_valid_email(value: str) -> bool:
    if len(value) > 254 or parseaddr(value)[1] != value:
        return False
    local, at, domain = value.rpartition("@")
    return bool(at and _EMAIL_LOCAL.fullmatch(local) and _EMAIL_DOMAIN.fullmatch(domain))


def check_addresses(channel: ChannelKind, values: list[str], field: str) -> None:
    """Explicit addresses: one malformed address refuses the whole call (upstream's wording)."""
    bad = [value for value in values if not is_valid_address(channel, value)]
    if bad:
        raise ValidationFailed(
            f"contact format are incorrect: {', '.join(bad[:10])} (expected {ADDRESS_LABEL[channel]}s)", field=field
        )


async def resolve_receivers(channel: ChannelKind, specs: list[ReceiverSpec]) -> list[ResolvedReceiver]:
    """One directory query for every username; each address once per message (To wins over Cc)."""
    names = {spec.value for spec in specs if spec.mode != "address" and not spec.address}
    column = ADDRESS_COLUMN[channel]
    users = {
        row["username"]: row
        for row in (await User.filter(username__in=names).values("username", "is_active", column) if names else [])
    }
    resolved = [_resolve(channel, spec, users.get(spec.value), column) for spec in specs]
    taken_to = {r.address for r in resolved if r.ok and r.role is ReceiverRole.TO}
    seen: set[tuple[str, ReceiverRole]] = set()
    unique: list[ResolvedReceiver] = []
    for item in resolved:
        key = (item.address if item.ok else f"\0{item.receiver}", item.role)
        if key in seen or (item.ok and item.role is ReceiverRole.CC and item.address in taken_to):
            continue
        seen.add(key)
        unique.append(item)
    return unique


def _resolve(channel: ChannelKind, spec: ReceiverSpec, user: dict[str, Any] | None, column: str) -> ResolvedReceiver:
    value, role = spec.value, spec.role
    if spec.mode == "address":
        return ResolvedReceiver(value, role, address=value)
    if spec.mode == "contact" and spec.address:
        return ResolvedReceiver(value, role, username=value, address=spec.address)
    if user is not None and user["is_active"]:
        if user[column]:
            return ResolvedReceiver(value, role, username=value, address=user[column])
        reason = f"the user has no {ADDRESS_LABEL[channel]}"
        return ResolvedReceiver(value, role, username=value, problem="no_address", reason=reason)
    if spec.mode == "auto" and is_valid_address(channel, value):
        return ResolvedReceiver(value, role, address=value)
    if spec.mode == "auto":
        reason = f"neither a user nor a valid {ADDRESS_LABEL[channel]}"
        return ResolvedReceiver(value, role, problem="invalid_address", reason=reason)
    return ResolvedReceiver(value, role, problem="not_a_user", reason="not a user")
