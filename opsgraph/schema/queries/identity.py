"""`me` and the operation log."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.audit import search_operation_log
from opsgraph.schema.types.identity import BusinessRole, OperationLogEntryType, UserType


@strawberry.input
class OperationLogFilter:
    op_type: str | None = None
    op_target: str | None = None
    operator: str | None = None
    bk_biz_id: int | None = None
    inst_id: int | None = None
    ext_key: str | None = None
    time_from: datetime | None = None
    time_to: datetime | None = None


@strawberry.type
class OperationLogResult:
    count: int
    items: list[OperationLogEntryType]


@strawberry.type
class IdentityQuery:
    @strawberry.field
    def me(self, info: Info) -> UserType:
        caller = info.context.caller
        roles = [BusinessRole(bk_biz_id=b, role=r) for b, r in sorted(caller.roles.items())]
        return UserType(username=caller.username, is_superuser=caller.is_superuser, roles=roles)

    @strawberry.field(description="Audit entries of your businesses and your own actions, newest first.")
    async def operation_log(
        self,
        info: Info,
        filter: OperationLogFilter | None = None,
        start: int = 0,
        limit: int = 20,
        sort: str = "-op_time",
    ) -> OperationLogResult:
        spec = filter or OperationLogFilter()
        filters = {
            "op_type": spec.op_type,
            "op_target": spec.op_target,
            "operator": spec.operator,
            "business_id": spec.bk_biz_id,
            "inst_id": spec.inst_id,
            "ext_key": spec.ext_key,
        }
        total, rows = await search_operation_log(
            info.context.caller,
            filters={k: v for k, v in filters.items() if v is not None},
            start=start,
            limit=limit,
            sort=sort,
            time_from=spec.time_from,
            time_to=spec.time_to,
        )
        return OperationLogResult(count=total, items=[OperationLogEntryType.from_row(r) for r in rows])
