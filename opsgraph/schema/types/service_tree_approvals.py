"""OpenC3 approvals: the approval steps of OpenC3 tasks (ITSM tickets), per approver."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry


@strawberry.type(name="TreeApproval", description="One approver's part in an approval step of an OpenC3 task.")
class TreeApprovalType:
    step_id: int
    task_uuid: str
    tree_id: int
    name: str
    cont: str = strawberry.field(description="What is to be approved.")
    user: str = strawberry.field(description="The approver.")
    opinion: str = strawberry.field(description="agree, refuse or unconfirmed")
    remarks: str
    submitter: str
    status: str = strawberry.field(description="init (not reached yet), wait, or done")
    create_time: datetime | None
    finish_time: datetime | None
    uuid: str = strawberry.field(description="The approver's own approval uuid; empty on other approvers' rows.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TreeApprovalType:
        return cls(
            step_id=row["id"],
            task_uuid=row["taskuuid"],
            tree_id=row["tree_id"],
            name=row["name"],
            cont=row["cont"],
            user=row["user"],
            opinion=row["opinion"],
            remarks=row["remarks"],
            submitter=row["submitter"],
            status=row["status"],
            create_time=row["create_time"],
            finish_time=row["finishtime"],
            uuid=row["uuid"],
        )
