"""Writing and reading the operation log. Every mutation calls `record_operation`."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from opsgraph.core.auth.principal import NO_USER_ID, Principal
from opsgraph.core.errors import ValidationFailed
from opsgraph.models.audit import OperationLog

MAX_LOG_PAGE = 500


def operation_entry(
    principal: Principal,
    *,
    op_type: str,
    op_target: str,
    op_desc: str,
    business_id: int | None = None,
    inst_id: int | None = None,
    ext_key: str = "",
    pre_data: Any = None,
    cur_data: Any = None,
) -> OperationLog:
    return OperationLog(
        op_type=op_type,
        op_target=op_target,
        op_desc=op_desc[:512],
        operator=principal.username,
        app_code=principal.app_code,
        business_id=business_id,
        inst_id=inst_id,
        ext_key=ext_key[:256],
        pre_data=pre_data,
        cur_data=cur_data,
    )


async def record_operation(principal: Principal, **entry: Any) -> None:
    await operation_entry(principal, **entry).save()


async def record_operations(entries: list[OperationLog]) -> None:
    """One statement for a mutation that touched many objects (one entry each)."""
    await OperationLog.bulk_create(entries, batch_size=1000)


_LOG_FILTERS = {"op_type", "op_target", "operator", "business_id", "inst_id", "ext_key"}
_LOG_SORTS = {"op_time", "id", "op_type", "op_target", "operator", "business_id"}


async def search_operation_log(
    principal: Principal,
    *,
    filters: dict[str, Any],
    start: int,
    limit: int,
    sort: str,
    time_from: Any = None,
    time_to: Any = None,
) -> tuple[int, list[dict[str, Any]]]:
    """Newest first by default; a principal sees entries of its businesses and its own actions."""
    if not 0 < limit <= MAX_LOG_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LOG_PAGE}", field="limit")
    if start < 0:
        raise ValidationFailed("start must not be negative", field="start")
    unknown = set(filters) - _LOG_FILTERS
    if unknown:
        raise ValidationFailed(f"unknown log filter {sorted(unknown)[0]!r}", field="condition")
    field_name = sort.lstrip("-")
    if field_name not in _LOG_SORTS:
        raise ValidationFailed(f"cannot sort the log by {field_name!r}", field="sort")
    query = OperationLog.filter(**{k: v for k, v in filters.items() if v is not None})
    if time_from is not None:
        query = query.filter(op_time__gte=time_from)
    if time_to is not None:
        query = query.filter(op_time__lte=time_to)
    visible = principal.visible_business_ids()
    if visible is not None:
        mine = Q(business_id__in=visible)
        # "Its own actions" only for a real user: a bare name (NO_USER_ID, what a login-exempt app
        # gets for a name that matches no active user) must not read a disabled user's entries,
        # nor those of the operator's CLI ("cli"), nor tell such names apart from unused ones.
        if principal.user_id != NO_USER_ID:
            mine |= Q(operator=principal.username)
        query = query.filter(mine)
    total = await query.count()
    rows = await query.order_by(sort, "-id").offset(start).limit(limit).values()
    return total, rows
