"""connectorx's audit log over our operation log (every mutation's entry), plus entries callers
write themselves (`POST /connectorx/auditlog`: user, title, content).

Reading shows what the operation log shows the caller: entries of its businesses and its own. An
entry written by a caller names that caller as its operator, whatever `user` it gives (upstream
trusts `user`; here it is kept as data). Filters as upstream: `time` and `user` by prefix, `title`
and `content` by substring; newest 1000.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from opsgraph.core.auth.principal import NO_USER_ID, Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.models.audit import OperationLog
from opsgraph.resolvers.audit import record_operation

MAX_ROWS = 1000
_USER = re.compile(r"^[a-zA-Z0-9@_\.\-]{1,128}$")
_TIME = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?: (\d{2})(?::(\d{2})(?::(\d{2}))?)?)?)?)?$")


async def write_entry(principal: Principal, user: Any, title: Any, content: Any) -> None:
    if not isinstance(user, str) or not _USER.match(user):
        raise ValidationFailed("check format fail user: a user name or mail address", field="user")
    for key, value in (("title", title), ("content", content)):
        if not isinstance(value, str) or not value or "'" in value or len(value) > 4096:
            raise ValidationFailed(f"check format fail {key}: 1..4096 characters, no quotes", field=key)
    await record_operation(
        principal,
        op_type="audit",
        op_target="openc3",
        op_desc=f"{title}: {content}",
        ext_key=user,
        cur_data={"user": user, "title": title, "content": content},
    )


def _time_range(prefix: str) -> tuple[datetime, datetime]:
    match = _TIME.match(prefix.strip())
    if match is None:
        raise ValidationFailed("check format fail time: a time prefix like 2024-05-01 12", field="time")
    year, month, day, hour, minute, second = (int(p) if p else None for p in match.groups())
    assert year is not None  # the pattern requires it
    try:
        start = datetime(year, month or 1, day or 1, hour or 0, minute or 0, second or 0, tzinfo=UTC)
    except ValueError as exc:
        raise ValidationFailed("check format fail time: not a date", field="time") from exc
    last_day = 31
    while True:
        try:
            end = datetime(
                year,
                month or 12,
                day or last_day,
                23 if hour is None else hour,
                59 if minute is None else minute,
                59 if second is None else second,
                999999,
                tzinfo=UTC,
            )
        except ValueError:
            if day is not None or last_day <= 28:
                raise ValidationFailed("check format fail time: not a date", field="time") from None
            last_day -= 1  # the month has fewer days
            continue
        return start, end


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    written = entry["cur_data"] if entry["op_type"] == "audit" and isinstance(entry["cur_data"], dict) else None
    if written:
        return {
            "time": entry["op_time"],
            "user": written.get("user", ""),
            "title": written.get("title", ""),
            "content": written.get("content", ""),
        }
    return {
        "time": entry["op_time"],
        "user": entry["operator"],
        "title": f"{entry['op_type']} {entry['op_target']}",
        "content": entry["op_desc"],
    }


async def read_entries(principal: Principal, filters: dict[str, str]) -> list[dict[str, Any]]:
    query = OperationLog.all()
    visible = principal.visible_business_ids()
    if visible is not None:
        mine = Q(business_id__in=visible)
        if principal.user_id != NO_USER_ID:
            mine |= Q(operator=principal.username)
        query = query.filter(mine)
    if filters.get("time"):
        start, end = _time_range(filters["time"])
        query = query.filter(op_time__gte=start, op_time__lte=end)
    if filters.get("user"):
        query = query.filter(
            Q(operator__startswith=filters["user"]) | Q(op_type="audit", ext_key__startswith=filters["user"])
        )
    if filters.get("title"):
        title = filters["title"]
        query = query.filter(Q(op_desc__icontains=title) | Q(op_type__icontains=title) | Q(op_target__icontains=title))
    if filters.get("content"):
        query = query.filter(op_desc__icontains=filters["content"])
    rows = (
        await query.order_by("-op_time", "-id")
        .limit(MAX_ROWS)
        .values("op_time", "op_type", "op_target", "op_desc", "operator", "cur_data")
    )
    return [_row(row) for row in rows]
