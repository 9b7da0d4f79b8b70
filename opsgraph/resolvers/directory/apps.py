"""What an API client app tells about itself (bk_paas get_app_info): name, introduction, creator,
developers. Readable by every authenticated caller, as in the BlueKing PaaS; changed by a superuser
or the operator's CLI. Never the secret."""

from __future__ import annotations

import re
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from opsgraph.core.auth.principal import CLI_OPERATOR, Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.models.identity import App
from opsgraph.resolvers.audit import record_operation

APP_INFO_COLUMNS = ("id", "code", "name", "introduction", "creator", "developers", "created_at")
EDITABLE = frozenset({"name", "introduction", "creator", "developers"})
MAX_CODES = 1000
MAX_INTRODUCTION = 4096
_USERNAME = re.compile(r"[^\s;,]{1,128}")


def visible_apps(codes: list[str] | None = None) -> QuerySet[App]:
    query = App.all()
    if codes is not None:
        if len(codes) > MAX_CODES:
            raise ValidationFailed(f"at most {MAX_CODES} app codes at once", field="codes")
        query = query.filter(code__in=codes)
    return query


def developer_list(stored: str) -> list[str]:
    return [name for name in stored.split(";") if name]


def _clean(name: str, value: Any) -> str:
    if name == "developers":
        names = value if isinstance(value, list) else []
        for item in names:
            if not isinstance(item, str) or not _USERNAME.fullmatch(item):
                raise ValidationFailed(f"developer {item!r} is not a username", field="developers")
        return ";".join(dict.fromkeys(names))
    text = "" if value is None else str(value).strip()
    limit = MAX_INTRODUCTION if name == "introduction" else 128
    if len(text) > limit:
        raise ValidationFailed(f"{name} is longer than {limit} characters", field=name)
    if name != "introduction" and any(ord(ch) < 32 for ch in text):
        raise ValidationFailed(f"{name} must be one line of text", field=name)
    return text


async def get_app_info(code: str) -> dict[str, Any] | None:
    rows = await App.filter(code=code).values(*APP_INFO_COLUMNS)
    return rows[0] if rows else None


async def update_app_info(principal: Principal | None, code: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Superusers (or the operator's CLI, principal None) describe an app."""
    actor = principal or CLI_OPERATOR
    actor.require_superuser("describing an app")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]} cannot be changed here", field=sorted(unknown)[0])
    before = await get_app_info(code)
    if before is None:
        raise NotFound(f"app {code!r} does not exist", field="code")
    columns = {name: _clean(name, value) for name, value in changes.items()}
    if columns:
        async with in_transaction():
            await App.filter(id=before["id"]).update(**columns)
            await record_operation(
                actor,
                op_type="update",
                op_target="app",
                op_desc=f"describe app {code}",
                inst_id=before["id"],
                pre_data={k: before[k] for k in columns},
                cur_data=columns,
            )
    info = await get_app_info(code)
    assert info is not None
    return info
