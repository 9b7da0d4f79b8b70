"""Users as a directory: the BlueKing user object's fields (display name, email, phone, wx_userid,
language, time zone, bk_role 0–4), readable by every authenticated caller as BlueKing's bk_login is,
and changed by the user itself (contact fields), a superuser or the operator's CLI.

bk_role: 0 staff, 1 superuser, 2 developer, 3 operator (职能化用户), 4 auditor. Role 1 is the
superuser flag itself: a superuser always reads as 1 and 1 cannot be set here (grant superuser
status with `opsgraph admin create-user --superuser`), so bk_role never claims powers a user lacks.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from opsgraph.core.auth.principal import CLI_OPERATOR, Principal
from opsgraph.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsgraph.models.identity import User
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.messaging.receivers import is_valid_email

PROFILE_COLUMNS = (
    "id",
    "username",
    "display_name",
    "email",
    "phone",
    "wx_userid",
    "language",
    "time_zone",
    "platform_role",
    "is_superuser",
    "is_active",
    "created_at",
)
CONTACT_FIELDS = frozenset({"display_name", "email", "phone", "wx_userid", "language", "time_zone"})
EDITABLE = CONTACT_FIELDS | {"platform_role"}
SUPERUSER_ROLE = 1
ROLE_NAMES = {0: "staff", 1: "superuser", 2: "developer", 3: "operator", 4: "auditor"}
LANGUAGES = {"zh-cn": "zh-cn", "zh": "zh-cn", "zh-hans": "zh-cn", "zh_cn": "zh-cn", "en": "en", "en-us": "en"}
_PHONE = re.compile(r"\+?\d{3,20}")
_WX_USERID = re.compile(r"[^\s\x00-\x1f\x7f]{1,128}")
MAX_BATCH = 1000


def bk_role(row: dict[str, Any]) -> int:
    return SUPERUSER_ROLE if row["is_superuser"] else int(row["platform_role"])


def directory_users(
    *, usernames: list[str] | None = None, bk_role_filter: int | None = None, include_inactive: bool = False
) -> QuerySet[User]:
    query = User.all()
    if not include_inactive:
        query = query.filter(is_active=True)
    if usernames is not None:
        if len(usernames) > MAX_BATCH:
            raise ValidationFailed(f"at most {MAX_BATCH} usernames at once", field="usernames")
        query = query.filter(username__in=usernames)
    if bk_role_filter is not None:
        if bk_role_filter not in ROLE_NAMES:
            raise ValidationFailed("bk_role must be 0–4", field="bkRole")
        if bk_role_filter == SUPERUSER_ROLE:
            query = query.filter(is_superuser=True)
        else:
            query = query.filter(is_superuser=False, platform_role=bk_role_filter)
    return query


async def get_profile(username: str) -> dict[str, Any] | None:
    rows = await User.filter(username=username).values(*PROFILE_COLUMNS)
    return rows[0] if rows else None


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def clean_field(name: str, value: Any) -> Any:
    """One directory field, checked and normalised (None means empty text)."""
    if name == "platform_role":
        if isinstance(value, bool) or not isinstance(value, int) or value not in ROLE_NAMES:
            raise ValidationFailed("platformRole must be 0–4 (0 staff, 2 developer, 3 operator, 4 auditor)", field=name)
        return value
    text = "" if value is None else str(value).strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValidationFailed(f"{name} must be one line of text", field=name)
    if name == "display_name" and len(text) > 128:
        raise ValidationFailed("displayName is longer than 128 characters", field=name)
    if name == "email" and text and not is_valid_email(text):
        raise ValidationFailed(f"{text!r} is not an email address", field=name)
    if name == "phone" and text and not _PHONE.fullmatch(text):
        raise ValidationFailed(f"{text!r} is not a phone number (digits, optionally after +)", field=name)
    if name == "wx_userid" and text and not _WX_USERID.fullmatch(text):
        raise ValidationFailed("wxUserid must be 1–128 characters without spaces", field=name)
    if name == "language":
        if text.lower() not in LANGUAGES:
            raise ValidationFailed("language must be zh-cn or en", field=name)
        return LANGUAGES[text.lower()]
    if name == "time_zone" and text not in _time_zones():
        raise ValidationFailed(f"{text!r} is not a time zone of the IANA database (e.g. Asia/Shanghai)", field=name)
    return text


async def update_profile(principal: Principal | None, username: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A user's directory fields. The user itself may change its contact fields; a superuser (or the
    operator's CLI, principal None) any field. Returns the updated profile."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]} cannot be changed here", field=sorted(unknown)[0])
    actor = principal or CLI_OPERATOR
    if not actor.is_superuser:
        if actor.username != username:
            raise PermissionDenied("only a superuser may change another user's profile")
        if "platform_role" in changes:
            raise PermissionDenied("only a superuser may change a platform role")
    before = await get_profile(username)
    if before is None:
        raise NotFound(f"user {username!r} does not exist", field="username")
    columns = {name: clean_field(name, value) for name, value in changes.items()}
    if columns.get("platform_role") == SUPERUSER_ROLE and not before["is_superuser"]:
        raise ValidationFailed(
            "platform role 1 (superuser) follows the superuser flag; it cannot be set here", field="platform_role"
        )
    if columns:
        async with in_transaction():
            await User.filter(id=before["id"]).update(**columns)
            await record_operation(
                actor,
                op_type="update",
                op_target="user",
                op_desc=f"update the profile of {username}",
                inst_id=before["id"],
                pre_data={k: before[k] for k in columns},
                cur_data=columns,
            )
    profile = await get_profile(username)
    assert profile is not None
    return profile
