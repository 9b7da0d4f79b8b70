"""The caller and the operation log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON


@strawberry.type
class BusinessRole:
    bk_biz_id: int
    role: str


@strawberry.type(name="User")
class UserType:
    username: str
    is_superuser: bool
    roles: list[BusinessRole]


@strawberry.type(name="OperationLogEntry")
class OperationLogEntryType:
    id: int
    op_type: str
    op_target: str
    op_desc: str
    operator: str
    app_code: str
    bk_biz_id: int | None
    inst_id: int | None
    ext_key: str
    pre_data: JSON | None
    cur_data: JSON | None
    op_time: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OperationLogEntryType:
        return cls(
            id=row["id"],
            op_type=row["op_type"],
            op_target=row["op_target"],
            op_desc=row["op_desc"],
            operator=row["operator"],
            app_code=row["app_code"],
            bk_biz_id=row["business_id"],
            inst_id=row["inst_id"],
            ext_key=row["ext_key"],
            pre_data=row["pre_data"],
            cur_data=row["cur_data"],
            op_time=row["op_time"],
        )
