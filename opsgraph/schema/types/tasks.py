"""Task, TaskStep, TaskHostResult and TaskEvent. One canonical status enum; legacy code sets are
mappings in compat_rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.models.tasks import TaskKind, TaskStatus
from opsgraph.schema.connection import Connection, connection_from_rows
from opsgraph.schema.types.node import Node
from opsgraph.schema.types.security import FindingSeverity, SecurityFindingType
from opsgraph.schema.types.topology import BusinessType, HostType

Row = dict[str, Any]


# The model's enums are the GraphQL enums: one definition of the canonical statuses and kinds.
strawberry.enum(TaskStatus, name="TaskStatus", description="Canonical status of a task, step or host run.")
strawberry.enum(TaskKind, name="TaskKind")


@strawberry.type(name="TaskHostResult")
class TaskHostResultType:
    id: int
    step_id: int
    host_id: int | None
    ip: str
    bk_cloud_id: int
    status: TaskStatus
    phase: str = strawberry.field(description="The stage this host is at (connect, check_os, push_files…).")
    exit_code: int | None
    failure: str | None = strawberry.field(description="Why it failed: UNREACHABLE, AUTH_FAILED, TIMEOUT…")
    error: str
    log: str
    log_truncated: bool
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> TaskHostResultType:
        return cls(
            id=row["id"],
            step_id=row["step_id"],
            host_id=row["host_id"],
            ip=row["ip"],
            bk_cloud_id=row["cloud_area_id"],
            status=TaskStatus(row["status"]),
            phase=row["phase"],
            exit_code=row["exit_code"],
            failure=row["failure"] or None,
            error=row["error"],
            log=row["log"],
            log_truncated=row["log_truncated"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
        )

    @strawberry.field
    async def host(self, info: Info) -> HostType | None:
        if self.host_id is None:
            return None
        row = await info.context.loaders.host.load(self.host_id)
        return HostType.from_row(row) if row else None


@strawberry.type(name="TaskStep")
class TaskStepType:
    id: int
    step_instance_id: int = strawberry.field(description="bk-job's step_instance_id (the same number).")
    position: int
    kind: str
    name: str
    status: TaskStatus
    started_at: datetime | None
    finished_at: datetime | None
    bk_step_id: int | None = strawberry.field(description="The job template step it ran (bk-job step_id); else null.")
    script_version: int | None = strawberry.field(
        description="A script step that ran a stored script: the version number it ran; else null."
    )

    @classmethod
    def from_row(cls, row: Row) -> TaskStepType:
        config = row.get("config")
        origin = config.get("job_step_id") if isinstance(config, dict) else None
        version = config.get("script_version") if isinstance(config, dict) else None
        return cls(
            bk_step_id=origin if isinstance(origin, int) else None,
            script_version=version if isinstance(version, int) else None,
            id=row["id"],
            step_instance_id=row["id"],
            position=row["position"],
            kind=row["kind"],
            name=row["name"],
            status=TaskStatus(row["status"]),
            started_at=row["started_at"],
            finished_at=row["finished_at"],
        )

    @strawberry.field
    async def host_results(
        self, info: Info, first: int, after: str | None = None, status: TaskStatus | None = None
    ) -> Connection[TaskHostResultType]:
        rows = await info.context.loaders.results_by_step.load(self.id)
        if status is not None:
            rows = [r for r in rows if r["status"] == status.value]
        return connection_from_rows(
            rows,
            first=first,
            after=after,
            maximum=int(info.context.settings.max_page_size),
            build=TaskHostResultType.from_row,
        )


@strawberry.type(name="Task")
class TaskType(Node):
    bk_task_id: int
    job_instance_id: int = strawberry.field(description="The legacy bk-job job_instance_id: the same number.")
    kind: TaskKind
    status: TaskStatus
    name: str
    creator: str
    error: str
    bk_biz_id: int | None
    callback_url: str
    callback_status: str
    callback_attempts: int
    callback_error: str
    last_seq: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    start_way: int = strawberry.field(description="How it was started (bk-job start_way): 1 web, 2 API, 3 cron.")
    bk_job_id: int | None = strawberry.field(description="The job template it ran (bk-job bk_job_id); else null.")

    @classmethod
    def from_row(cls, row: Row) -> TaskType:
        params = row.get("params")
        template_id = params.get("template_id") if isinstance(params, dict) else None
        return cls(
            start_way=row["start_way"],
            bk_job_id=template_id if isinstance(template_id, int) else None,
            id=strawberry.ID(encode_global_id("Task", row["id"])),
            bk_task_id=row["id"],
            job_instance_id=row["id"],
            kind=TaskKind(row["kind"]),
            status=TaskStatus(row["status"]),
            name=row["name"],
            creator=row["creator"],
            error=row["error"],
            bk_biz_id=row["business_id"],
            callback_url=row["callback_url"],
            callback_status=row["callback_status"],
            callback_attempts=row["callback_attempts"],
            callback_error=row["callback_error"],
            last_seq=row["last_seq"],
            created_at=row["created_at"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
        )

    @strawberry.field
    async def steps(self, info: Info) -> list[TaskStepType]:
        return [TaskStepType.from_row(r) for r in await info.context.loaders.steps_by_task.load(self.bk_task_id)]

    @strawberry.field
    async def business(self, info: Info) -> BusinessType | None:
        if self.bk_biz_id is None:
            return None
        return BusinessType.from_row(await info.context.loaders.business.load(self.bk_biz_id))

    @strawberry.field(description="What a SECURITY_SCAN task found: one row per rule and host (or file).")
    async def findings(
        self,
        info: Info,
        first: int,
        after: str | None = None,
        passed: bool | None = None,
        severity: FindingSeverity | None = None,
    ) -> Connection[SecurityFindingType]:
        rows = await info.context.loaders.findings_by_task.load(self.bk_task_id)
        if passed is not None:
            rows = [r for r in rows if r["passed"] is passed]
        if severity is not None:
            rows = [r for r in rows if str(r["severity"]) == severity.value]
        return connection_from_rows(
            rows,
            first=first,
            after=after,
            maximum=int(info.context.settings.max_page_size),
            build=SecurityFindingType.from_row,
        )


@strawberry.type(name="TaskEvent")
class TaskEventType:
    seq: int
    kind: str = strawberry.field(description="TASK_STATUS, STEP_STATUS, HOST_STATUS, HOST_PHASE or LOG")
    payload: JSON
    at: datetime | None = None
