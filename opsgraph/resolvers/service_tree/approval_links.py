"""OpenC3 approval uuids: one per (approval step, approver), unguessable, expiring, single-use.

A uuid is `<step>z<expiry>z<approver in hex>z<mac>`: letters and digits only, as OpenC3's uuids.
The mac is an HMAC-SHA256 (first 128 bits) of the other parts under the server's secret, so a
uuid cannot be made up or altered; it expires `LIFETIME` after it was issued; and it is spent once
its approver has decided (the ticket's approval step is no longer running, or was decided by them).
Nothing is stored: the ticket itself says whether the uuid may still act.

Example:
    uuid = issue(settings.secret_key, step_id=41, approver="bob")
    link = parse(settings.secret_key, uuid)          # ApprovalLink(step_id=41, approver="bob", …)
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from opsgraph.core.errors import NotFound, ValidationFailed

LIFETIME = 86_400  # seconds: an approval step waits a day by default (OpenC3's approval timeout)
_PURPOSE = b"openc3-approval-link"


@dataclass(frozen=True)
class ApprovalLink:
    step_id: int
    approver: str
    expires: int


def _mac(secret: str, step_id: int, approver: str, expires: int) -> str:
    key = hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()
    message = f"{step_id}:{approver}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def issue(secret: str, *, step_id: int, approver: str, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + LIFETIME)
    return f"{step_id}z{expires}z{approver.encode().hex()}z{_mac(secret, step_id, approver, expires)}"


def parse(secret: str, uuid: str, *, now: float | None = None) -> ApprovalLink:
    """The link a uuid carries; the same refusal for anything forged or malformed."""
    unknown = NotFound("no such approval (or it is not yours to decide)", field="uuid")
    parts = (uuid or "").split("z")
    if len(parts) != 4 or not all(parts) or not parts[0].isdigit() or not parts[1].isdigit():
        raise unknown
    try:
        approver = bytes.fromhex(parts[2]).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise unknown from exc
    step_id, expires = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[3], _mac(secret, step_id, approver, expires)):
        raise unknown
    if expires < (now if now is not None else time.time()):
        raise ValidationFailed("this approval link has expired: ask for the approval again", field="uuid")
    return ApprovalLink(step_id=step_id, approver=approver, expires=expires)
