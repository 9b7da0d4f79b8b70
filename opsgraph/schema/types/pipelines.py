"""PipelineTemplate (with its versions), PipelineRun (a PIPELINE task's tree, root state and nodes),
PipelineNode and PeriodicTask. `pipelineTree` is bk-sops' JSON, readable and writable as is.

Built from `.values()` rows; relationships go through `info.context.loaders.pipelines`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.executors.pipeline.plugins import PLUGINS, load_plugins
from opsgraph.models.tasks import TaskStatus
from opsgraph.resolvers.pipelines.periodic import display
from opsgraph.resolvers.pipelines.status import display_states, node_rows, output_list, pipeline_outputs
from opsgraph.schema.types.node import Node
from opsgraph.schema.types.tasks import TaskType
from opsgraph.schema.types.topology import BusinessType

Row = dict[str, Any]


@strawberry.type(name="PipelineTemplateVersion")
class PipelineTemplateVersionType:
    version: int
    digest: str = strawberry.field(description="md5 of the tree: bk-sops' template `version`.")
    created_by: str
    created_at: datetime
    template_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Row) -> PipelineTemplateVersionType:
        return cls(
            version=row["version"],
            digest=row["digest"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            template_id=row["template_id"],
        )


@strawberry.type(name="PipelineTemplate")
class PipelineTemplateType(Node):
    bk_template_id: int = strawberry.field(description="bk-sops template_id.")
    bk_biz_id: int | None = strawberry.field(description="Null for a common (cross-business) template.")
    is_common: bool
    name: str
    category: str = strawberry.field(description="OpsTools, MonitorAlarm, ConfManage, DevTools, EnterpriseIT, …")
    description: str
    version: int = strawberry.field(description="The current version: 1, 2, … (a new tree is a new version).")
    version_digest: str
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> PipelineTemplateType:
        return cls(
            id=strawberry.ID(encode_global_id("PipelineTemplate", row["id"])),
            bk_template_id=row["id"],
            bk_biz_id=row["business_id"],
            is_common=row["is_common"],
            name=row["name"],
            category=row["category"],
            description=row["description"],
            version=row["version"],
            version_digest=row["digest"],
            created_by=row["created_by"],
            updated_by=row["updated_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    @strawberry.field(description="The current version's pipeline_tree (bk-sops web format).")
    async def pipeline_tree(self, info: Info) -> JSON:
        row = await info.context.loaders.pipelines.current_version.load(self.bk_template_id)
        return cast(JSON, row["tree"] if row else None)

    @strawberry.field(description="Every version, oldest first (trees through pipelineTemplateTree).")
    async def versions(self, info: Info) -> list[PipelineTemplateVersionType]:
        rows = await info.context.loaders.pipelines.versions.load(self.bk_template_id)
        return [PipelineTemplateVersionType.from_row(row) for row in rows]

    @strawberry.field
    async def business(self, info: Info) -> BusinessType | None:
        if self.bk_biz_id is None:
            return None
        return BusinessType.from_row(await info.context.loaders.business.load(self.bk_biz_id))


@strawberry.type(name="PipelineNode")
class PipelineNodeType:
    node_id: str = strawberry.field(description="The run's node id (not the template's).")
    parent_id: str | None = strawberry.field(description="The SubProcess node it runs in; null at the top level.")
    template_node_id: str
    name: str
    type: str = strawberry.field(description="ServiceActivity, SubProcess, ExclusiveGateway, …, EmptyEndEvent.")
    code: str = strawberry.field(description="The plugin (component code) of a ServiceActivity.")
    state: str = strawberry.field(description="bk-sops state: CREATED READY RUNNING SUSPENDED FINISHED FAILED REVOKED.")
    display_state: str = strawberry.field(description="As bk-sops shows it (a subprocess with a failed child: FAILED).")
    status: TaskStatus
    loop: int
    retry: int
    skip: bool
    error_ignored: bool
    inputs: JSON
    outputs: JSON
    output_list: JSON = strawberry.field(description="[{name, key, value, preset}] as get_task_node_detail gives it.")
    ex_data: str
    histories: JSON
    version: str = strawberry.field(description="Changes with every execution; node_callback may name it.")
    started_at: datetime | None
    finished_at: datetime | None
    step_id: int

    @classmethod
    def from_row(cls, row: Row, shown: dict[str, str]) -> PipelineNodeType:
        return cls(
            node_id=str(row["node_id"]),
            parent_id=row.get("parent") or None,
            template_node_id=str(row.get("template_node_id") or ""),
            name=row["name"],
            type=str(row.get("type")),
            code=str(row.get("code") or ""),
            state=str(row.get("state")),
            display_state=shown.get(str(row["node_id"]), str(row.get("state"))),
            status=TaskStatus(row["status"]),
            loop=int(row.get("loop") or 0),
            retry=int(row.get("retry") or 0),
            skip=bool(row.get("skip")),
            error_ignored=bool(row.get("error_ignored")),
            inputs=cast(JSON, row.get("inputs") or {}),
            outputs=cast(JSON, row.get("outputs") or {}),
            output_list=cast(JSON, output_list(row)),
            ex_data=str(row.get("ex_data") or ""),
            histories=cast(JSON, row.get("histories") or []),
            version=str(row.get("version") or ""),
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            step_id=row["step_id"],
        )


@strawberry.type(name="PipelineRun")
class PipelineRunType(Node):
    bk_task_id: int = strawberry.field(description="bk-sops task_id: the Task's number.")
    template_version: int
    template_source: str = strawberry.field(description="business or common")
    category: str
    flow_type: str
    create_method: str = strawberry.field(description="api, app, periodic …")
    executor: str
    state: str = strawberry.field(description="The root's engine state: CREATED RUNNING SUSPENDED FINISHED REVOKED.")
    is_started: bool
    is_finished: bool
    pipeline_tree: JSON = strawberry.field(description="The run's tree: node ids differ from the template's.")
    node_map: JSON = strawberry.field(description="Template node id → run node id (top level).")
    template_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: Row) -> PipelineRunType:
        return cls(
            id=strawberry.ID(encode_global_id("PipelineRun", row["task_id"])),
            bk_task_id=row["task_id"],
            template_version=row["template_version"],
            template_source=row["template_source"],
            category=row["category"],
            flow_type=row["flow_type"],
            create_method=row["create_method"],
            executor=row["executor"],
            state=row["root_state"],
            is_started=row["is_started"],
            is_finished=row["is_finished"],
            pipeline_tree=row["tree"],
            node_map=row["node_map"],
            template_id=row["template_id"],
        )

    async def _rows(self, info: Info) -> list[Row]:
        return node_rows(await info.context.loaders.steps_by_task.load(self.bk_task_id))

    @strawberry.field(description="As bk-sops shows the root: FAILED while a node failed, NODE_SUSPENDED …")
    async def display_state(self, info: Info) -> str:
        return display_states(self.state, await self._rows(info))[0]

    @strawberry.field(description="Every node of the run, subprocess children included (parentId).")
    async def nodes(self, info: Info, started_only: bool = False) -> list[PipelineNodeType]:
        rows = await self._rows(info)
        _, shown = display_states(self.state, rows)
        chosen = [r for r in rows if not started_only or r.get("state") != "CREATED"]
        return [PipelineNodeType.from_row(row, shown) for row in chosen]

    @strawberry.field
    async def task(self, info: Info) -> TaskType:
        return TaskType.from_row(await info.context.loaders.task.load(self.bk_task_id))

    @strawberry.field(description="The run's outputs ([{key, name, value}]): its `outputs` constants, rendered.")
    async def outputs(self, info: Info) -> JSON:
        task = await info.context.loaders.task.load(self.bk_task_id)
        system = {
            "task_id": self.bk_task_id,
            "task_name": task["name"],
            "operator": self.executor or task["creator"],
            "executor": self.executor or task["creator"],
            "bk_biz_id": task["business_id"],
            "project_id": task["business_id"],
        }
        tree = self.pipeline_tree if isinstance(self.pipeline_tree, dict) else {}
        return cast(JSON, pipeline_outputs(tree, await self._rows(info), system))

    @strawberry.field(description="The template it was made from (null once deleted).")
    async def template(self, info: Info) -> PipelineTemplateType | None:
        if self.template_id is None:
            return None
        row = await info.context.loaders.pipelines.template.load(self.template_id)
        return PipelineTemplateType.from_row(row) if row else None


@strawberry.type(name="PeriodicTask")
class PeriodicTaskType(Node):
    bk_periodic_task_id: int
    bk_biz_id: int
    bk_template_id: int
    template_version: int
    name: str
    cron: JSON = strawberry.field(description="{minute, hour, day_of_week, day_of_month, month_of_year} (UTC).")
    cron_text: str = strawberry.field(description='As bk-sops shows it: "*/5 * * * * (m/h/d/dM/MY)".')
    expression: str = strawberry.field(description="The same schedule as a 5-field cron expression.")
    enabled: bool
    total_run_count: int
    last_run_at: datetime | None
    next_run_at: datetime | None
    created_by: str
    updated_by: str
    created_at: datetime
    updated_at: datetime
    pipeline_tree: JSON = strawberry.field(description="The tree each run starts from (constants applied).")

    @classmethod
    def from_row(cls, row: Row) -> PeriodicTaskType:
        return cls(
            id=strawberry.ID(encode_global_id("PeriodicTask", row["id"])),
            bk_periodic_task_id=row["id"],
            bk_biz_id=row["business_id"],
            bk_template_id=row["template_id"],
            template_version=row["template_version"],
            name=row["name"],
            cron=row["cron"],
            cron_text=display(row["cron"]),
            expression=row["expression"],
            enabled=row["enabled"],
            total_run_count=row["total_run_count"],
            last_run_at=row["last_run_at"],
            next_run_at=row["next_run_at"],
            created_by=row["created_by"],
            updated_by=row["updated_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            pipeline_tree=row["tree"],
        )

    @strawberry.field(description="The constants a run may be given (show_type show), by key: bk-sops `form`.")
    def form(self) -> JSON:
        tree = self.pipeline_tree if isinstance(self.pipeline_tree, dict) else {}
        constants = tree.get("constants") or {}
        shown = {k: v for k, v in constants.items() if isinstance(v, dict) and v.get("show_type", "show") == "show"}
        return cast(JSON, shown)

    @strawberry.field
    async def template(self, info: Info) -> PipelineTemplateType | None:
        row = await info.context.loaders.pipelines.template.load(self.bk_template_id)
        return PipelineTemplateType.from_row(row) if row else None


@strawberry.type(name="PipelinePlugin")
class PipelinePluginType:
    code: str
    name: str
    outputs: JSON = strawberry.field(description="Output key → display name.")
    accepts_callback: bool


def plugin_types() -> list[PipelinePluginType]:
    load_plugins()
    return [
        PipelinePluginType(
            code=p.code, name=p.name, outputs=cast(JSON, dict(p.outputs)), accepts_callback=p.accepts_callback
        )
        for p in sorted(PLUGINS.values(), key=lambda p: p.code)
    ]
