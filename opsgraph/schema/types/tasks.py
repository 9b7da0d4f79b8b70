"""Task, TaskStep, TaskHostResult and TaskEvent. One canonical status enum; legacy code sets are
mappings in compat_rest."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.schema.connection import Connection, connection_from_rows
from opsgraph.schema.types.node import Node
from opsgraph.schema.types.topology import BusinessType, HostType

Row = dict[str, Any]


@strawberry.enum(description="Canonical status of a task, a step or one host's run.")
class TaskStatusEnum(Enum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    ABNORMAL = "ABNORMAL"
    SKIPPED = "SKIPPED"


@strawberry.enum
class TaskKindEnum(Enum):
    SCRIPT = "SCRIPT"
    FILE = "FILE"
    JOB = "JOB"
    PIPELINE = "PIPELINE"
    AGENT_INSTALL = "AGENT_INSTALL"
    AGENT_INVOCATION = "AGENT_INVOCATION"
    SECURITY_SCAN = "SECURITY_SCAN"


@strawberry.type(name="TaskHostResult")
class TaskHostResultType:
    id: int
    step_id: int
    host_id: int | None
    ip: str
    bk_cloud_id: int
    status: TaskStatusEnum
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
            status=TaskStatusEnum(row["status"]),
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
    status: TaskStatusEnum
    started_at: datetime | None
    finished_at: datetime | None
    bk_step_id: int | None = strawberry.field(description="The job template step it ran (bk-job step_id); else null.")

    @classmethod
    def from_row(cls, row: Row) -> TaskStepType:
        config = row.get("config")
        origin = config.get("job_step_id") if isinstance(config, dict) else None
        return cls(
            bk_step_id=origin if isinstance(origin, int) else None,
            id=row["id"],
            step_instance_id=row["id"],
            position=row["position"],
            kind=row["kind"],
            name=row["name"],
            status=TaskStatusEnum(row["status"]),
            started_at=row["started_at"],
            finished_at=row["finished_at"],
        )

    @strawberry.field
    async def host_results(
        self, info: Info, first: int, after: str | None = None, status: TaskStatusEnum | None = None
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
    kind: TaskKindEnum
    status: TaskStatusEnum
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
            kind=TaskKindEnum(row["kind"]),
            status=TaskStatusEnum(row["status"]),
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


@strawberry.type(name="TaskEvent")
class TaskEventType:
    seq: int
    kind: str = strawberry.field(description="TASK_STATUS, STEP_STATUS, HOST_STATUS, HOST_PHASE or LOG")
    payload: JSON
    at: datetime | None = None
