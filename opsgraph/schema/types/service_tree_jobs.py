"""OpenC3 jobs and tasks on the service tree: TreeJob (a JobTemplate with a uuid and its OpenC3
steps), TreeTask (a Task with a uuid, OpenC3 status and subtasks)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.service_tree.job_variables import variable_rows
from opsgraph.resolvers.service_tree.loaders import tree_loaders
from opsgraph.resolvers.service_tree.tasks import shape_subtasks

if TYPE_CHECKING:
    from opsgraph.schema.types.jobs import JobTemplateType
    from opsgraph.schema.types.tasks import TaskType

Row = dict[str, Any]
JobTemplateRef = Annotated["JobTemplateType", strawberry.lazy("opsgraph.schema.types.jobs")]
TaskRef = Annotated["TaskType", strawberry.lazy("opsgraph.schema.types.tasks")]
_STEP_FIELDS = (
    "plugin_type",
    "name",
    "user",
    "node_type",
    "node_cont",
    "scripts_type",
    "scripts_cont",
    "scripts_argv",
    "src_type",
    "src",
    "dst_type",
    "dst",
    "sp",
    "dp",
    "chown",
    "chmod",
    "scp_delete",
    "cont",
    "approver",
    "deployenv",
    "action",
    "batches",
    "everyone",
    "pause",
)


@strawberry.type(name="TreeJobStep", description="One OpenC3 step (cmd, scp or approval) as it was written.")
class TreeJobStepType:
    uuid: str
    plugin_type: str
    name: str
    timeout: int | None = None
    pause: str | None = None
    user: str | None = None
    node_type: str | None = None
    node_cont: str | None = None
    scripts_type: str | None = None
    scripts_cont: str | None = None
    scripts_argv: str | None = None
    src_type: str | None = None
    src: str | None = None
    dst_type: str | None = None
    dst: str | None = None
    sp: str | None = None
    dp: str | None = None
    chown: str | None = None
    chmod: str | None = None
    scp_delete: str | None = None
    cont: str | None = None
    approver: str | None = None
    deployenv: str | None = None
    action: str | None = None
    batches: str | None = None
    everyone: str | None = None

    @classmethod
    def from_config(cls, row: Row) -> TreeJobStepType:
        config = row.get("config") or {}
        step = config.get("openc3") or {}
        values = {key: step[key] for key in _STEP_FIELDS if key in step}
        values.setdefault("plugin_type", {"script": "cmd", "file": "scp"}.get(row["kind"], row["kind"]))
        values.setdefault("name", row["name"])
        timeout = step.get("timeout", config.get("timeout"))
        return cls(uuid=str(config.get("openc3_uuid") or f"s{row['id']}"), timeout=timeout, **values)


@strawberry.type(name="TreeJobVariable")
class TreeJobVariableType:
    name: str
    value: str
    describe: str


@strawberry.type(name="TreeJob", description="An OpenC3 job: a job template with a uuid on a tree node.")
class TreeJobType:
    uuid: str
    name: str
    tree_id: int
    bk_job_id: int = strawberry.field(description="The job template's bkJobId.")
    created_by: str
    created_at: datetime
    edited_by: str
    updated_at: datetime
    variables: list[TreeJobVariableType]

    @classmethod
    def from_row(cls, row: Row) -> TreeJobType:
        return cls(
            uuid=row["uuid"],
            name=row["name"],
            tree_id=row["tree_id"],
            bk_job_id=row["template_id"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            edited_by=row["edited_by"],
            updated_at=row["updated_at"],
            variables=[TreeJobVariableType(**v) for v in variable_rows(row["variables"] or {}, row["variable_notes"])],
        )

    @strawberry.field(description="In run order.")
    async def steps(self, info: Info) -> list[TreeJobStepType]:
        rows = await tree_loaders(info.context).job_steps.load(self.bk_job_id)
        return [TreeJobStepType.from_config(row) for row in rows]

    @strawberry.field
    async def job_template(self, info: Info) -> JobTemplateRef:
        from opsgraph.schema.types.jobs import JobTemplateType

        row = await info.context.loaders.job_template.load(self.bk_job_id)
        return JobTemplateType.from_row(row)


@strawberry.type(name="TreeSubtask", description="One step of an OpenC3 task.")
class TreeSubtaskType:
    uuid: str
    subtask_type: str = strawberry.field(description="cmd, scp or approval")
    name: str
    nodecount: int
    status: str = strawberry.field(description="init, running, waiting, success, fail, decision or ignore")
    starttime: datetime | None
    finishtime: datetime | None
    runtime: int | None
    pause: str
    step_id: int = strawberry.field(description="The TaskStep id.")


@strawberry.type(name="TreeTask", description="An OpenC3 task: a Task with a uuid on a tree node.")
class TreeTaskType:
    uuid: str
    tree_id: int
    name: str
    user: str
    slave: str
    status: str = strawberry.field(description="init, running, waiting, success, fail or refuse")
    starttime: datetime | None
    finishtime: datetime | None
    runtime: int | None
    calltype: str = strawberry.field(description="page (a person) or api (an app)")
    jobtype: str = strawberry.field(description="jobs, plugin_cmd, plugin_scp or plugin_approval")
    job_uuid: str
    reason: str
    variable: JSON
    variable_text: str = strawberry.field(description="The variables as YAML, as OpenC3 shows them.")
    extid: str
    task_id: int | None = strawberry.field(description="The Task's bkTaskId (null until it was launched).")
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row) -> TreeTaskType:
        return cls(
            uuid=row["uuid"],
            tree_id=row["tree_id"],
            name=row["name"],
            user=row["user"],
            slave=row["slave"],
            status=row["openc3_status"],
            starttime=row.get("started_at"),
            finishtime=row.get("finished_at"),
            runtime=row["runtime"],
            calltype=row["calltype"],
            jobtype=row["jobtype"],
            job_uuid=row["job_uuid"],
            reason=row["reason"],
            variable=dict(row["variable"] or {}),  # type: ignore[arg-type]
            variable_text=row["variable_text"],
            extid=row["extid"],
            task_id=row["task_id"],
            row=row,
        )

    @strawberry.field(description="The task's steps, in run order.")
    async def subtasks(self, info: Info) -> list[TreeSubtaskType]:
        if self.task_id is None:
            return []
        steps = await tree_loaders(info.context).steps_by_task.load(self.task_id)
        return [
            TreeSubtaskType(**{k: v for k, v in item.items() if k not in ("id", "position")}, step_id=item["id"])
            for item in shape_subtasks(steps, self.row)
        ]

    @strawberry.field
    async def task(self, info: Info) -> TaskRef | None:
        from opsgraph.schema.types.tasks import TaskType

        if self.task_id is None:
            return None
        row = await info.context.loaders.task.load(self.task_id)
        return TaskType.from_row(row) if row else None
