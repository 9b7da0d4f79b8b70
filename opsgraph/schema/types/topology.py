"""Business, Set, Module, Host and CloudArea. Built from `.values()` rows; relationships go
through the request's DataLoaders, so leaf fields stay plain attributes."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.resolvers.properties import row_to_properties
from opsgraph.schema.connection import Connection, check_first, connection_from_rows, decode_cursor
from opsgraph.schema.types.cmdb_instances import CmdbObject
from opsgraph.schema.types.host_columns import host_columns
from opsgraph.schema.types.node import Node

if TYPE_CHECKING:
    from opsgraph.schema.types.agents import AgentStatusType
    from opsgraph.schema.types.jobs import AccountType, CronType, JobTemplateType, ScriptLanguageEnum, ScriptType
    from opsgraph.schema.types.monitoring import MetricSeriesType
    from opsgraph.schema.types.tasks import TaskHostResultType, TaskType

Row = dict[str, Any]
TaskRef = Annotated["TaskType", strawberry.lazy("opsgraph.schema.types.tasks")]
TaskHostResultRef = Annotated["TaskHostResultType", strawberry.lazy("opsgraph.schema.types.tasks")]
_JOBS = "opsgraph.schema.types.jobs"
ScriptRef = Annotated["ScriptType", strawberry.lazy(_JOBS)]
ScriptLanguageRef = Annotated["ScriptLanguageEnum", strawberry.lazy(_JOBS)]
AccountRef = Annotated["AccountType", strawberry.lazy(_JOBS)]
JobTemplateRef = Annotated["JobTemplateType", strawberry.lazy(_JOBS)]
CronRef = Annotated["CronType", strawberry.lazy(_JOBS)]
AgentStatusRef = Annotated["AgentStatusType", strawberry.lazy("opsgraph.schema.types.agents")]
MetricSeriesRef = Annotated["MetricSeriesType", strawberry.lazy("opsgraph.schema.types.monitoring")]


@strawberry.enum(description="Built-in modules of a business's idle pool set (bk-cmdb `default`).")
class BuiltinModuleKind(Enum):
    NORMAL = 0
    IDLE = 1
    FAULT = 2
    RECYCLE = 3


def _max_page(info: Info) -> int:
    return int(info.context.settings.max_page_size)


async def _newest_children(
    info: Info, model: Any, parent_column: str, parent_id: int, first: int, after: str | None, build: Any
) -> Any:
    """A newest-first page of one parent's children, batched with its siblings' pages (one query)."""
    check_first(first, _max_page(info))
    before_id = decode_cursor(after)
    loader = info.context.loaders.newest(model, parent_column, first + 1, before_id)
    rows = await loader.load(parent_id)

    async def count() -> int:
        return int(await model.filter(**{parent_column: parent_id}).count())

    page = connection_from_rows(rows, first=first, after=None, maximum=_max_page(info), build=build, descending=True)
    page.count_rows = count
    return page


@strawberry.type(name="CloudArea")
class CloudAreaType(Node, CmdbObject):
    bk_cloud_id: int
    name: str

    @classmethod
    def from_row(cls, row: Row) -> CloudAreaType:
        return cls(
            id=strawberry.ID(encode_global_id("CloudArea", row["id"])),
            bk_cloud_id=row["id"],
            name=row["name"],
        )


@strawberry.type(name="Business")
class BusinessType(Node, CmdbObject):
    bk_biz_id: int
    name: str
    maintainer: str
    productor: str
    developer: str
    tester: str
    operator: str
    time_zone: str
    language: str
    life_cycle: str
    is_resource_pool: bool
    enabled: bool
    attributes: JSON
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row) -> BusinessType:
        return cls(
            id=strawberry.ID(encode_global_id("Business", row["id"])),
            bk_biz_id=row["id"],
            name=row["name"],
            maintainer=row["maintainer"],
            productor=row["productor"],
            developer=row["developer"],
            tester=row["tester"],
            operator=row["operator"],
            time_zone=row["time_zone"],
            language=row["language"],
            life_cycle=row["life_cycle"],
            is_resource_pool=row["default"] == 1,
            enabled=row["enabled"],
            attributes=row["attributes"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            row=row,
        )

    @strawberry.field(description="Every property by bk property id, custom attributes included.")
    def properties(self) -> JSON:
        return JSON(row_to_properties("biz", self.row))

    @strawberry.field
    async def sets(
        self, info: Info, first: int, after: str | None = None, name: str | None = None
    ) -> Connection[SetType]:
        rows = await info.context.loaders.sets_by_business.load(self.bk_biz_id)
        if name is not None:
            rows = [r for r in rows if r["name"] == name]
        return connection_from_rows(rows, first=first, after=after, maximum=_max_page(info), build=SetType.from_row)

    @strawberry.field(description="The built-in set holding the idle, fault and recycle modules.")
    async def idle_pool(self, info: Info) -> SetType:
        rows = await info.context.loaders.sets_by_business.load(self.bk_biz_id)
        return SetType.from_row(next(r for r in rows if r["default"] == 1))

    @strawberry.field
    async def hosts(self, info: Info, first: int, after: str | None = None) -> Connection[HostType]:
        rows = await info.context.loaders.hosts_with("business", host_columns(info)).load(self.bk_biz_id)
        return connection_from_rows(rows, first=first, after=after, maximum=_max_page(info), build=HostType.from_row)

    @strawberry.field(description="The business's tasks, newest first.")
    async def tasks(self, info: Info, first: int, after: str | None = None) -> Connection[TaskRef]:
        from opsgraph.models.tasks import Task
        from opsgraph.schema.types.tasks import TaskType

        return await _newest_children(info, Task, "business_id", self.bk_biz_id, first, after, TaskType.from_row)

    @strawberry.field(description="Scripts, oldest first.")
    async def scripts(
        self,
        info: Info,
        first: int,
        after: str | None = None,
        name: str | None = None,
        name_contains: str | None = None,
        language: ScriptLanguageRef | None = None,
    ) -> Connection[ScriptRef]:
        from opsgraph.schema.types.jobs import business_scripts

        return await business_scripts(info, self.bk_biz_id, first, after, name, name_contains, language)

    @strawberry.field(description="OS accounts, oldest first; never their secrets.")
    async def accounts(
        self, info: Info, first: int, after: str | None = None, alias: str | None = None
    ) -> Connection[AccountRef]:
        from opsgraph.schema.types.jobs import business_accounts

        return await business_accounts(info, self.bk_biz_id, first, after, alias)

    @strawberry.field(description="Job templates, oldest first.")
    async def job_templates(
        self,
        info: Info,
        first: int,
        after: str | None = None,
        name: str | None = None,
        name_contains: str | None = None,
    ) -> Connection[JobTemplateRef]:
        from opsgraph.schema.types.jobs import business_job_templates

        return await business_job_templates(info, self.bk_biz_id, first, after, name, name_contains)

    @strawberry.field(description="Crons, oldest first.")
    async def crons(
        self, info: Info, first: int, after: str | None = None, enabled: bool | None = None
    ) -> Connection[CronRef]:
        from opsgraph.schema.types.jobs import business_crons

        return await business_crons(info, self.bk_biz_id, first, after, enabled)


@strawberry.type(name="Set")
class SetType(Node, CmdbObject):
    bk_set_id: int
    bk_biz_id: int
    name: str
    parent_id: int
    is_builtin: bool
    set_env: str
    service_status: str
    capacity: int | None
    description: str
    attributes: JSON
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row) -> SetType:
        return cls(
            id=strawberry.ID(encode_global_id("Set", row["id"])),
            bk_set_id=row["id"],
            bk_biz_id=row["business_id"],
            name=row["name"],
            parent_id=row["parent_id"],
            is_builtin=row["default"] != 0,
            set_env=row["set_env"],
            service_status=row["service_status"],
            capacity=row["capacity"],
            description=row["description"],
            attributes=row["attributes"],
            row=row,
        )

    @strawberry.field
    def properties(self) -> JSON:
        return JSON(row_to_properties("set", self.row))

    @strawberry.field
    async def business(self, info: Info) -> BusinessType:
        return BusinessType.from_row(await info.context.loaders.business.load(self.bk_biz_id))

    @strawberry.field
    async def modules(
        self, info: Info, first: int, after: str | None = None, name: str | None = None
    ) -> Connection[ModuleType]:
        rows = await info.context.loaders.modules_by_set.load(self.bk_set_id)
        if name is not None:
            rows = [r for r in rows if r["name"] == name]
        return connection_from_rows(rows, first=first, after=after, maximum=_max_page(info), build=ModuleType.from_row)


@strawberry.type(name="Module")
class ModuleType(Node, CmdbObject):
    bk_module_id: int
    bk_set_id: int
    bk_biz_id: int
    name: str
    builtin: BuiltinModuleKind
    module_type: str
    operator: str
    bak_operator: str
    attributes: JSON
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row) -> ModuleType:
        return cls(
            id=strawberry.ID(encode_global_id("Module", row["id"])),
            bk_module_id=row["id"],
            bk_set_id=row["set_id"],
            bk_biz_id=row["business_id"],
            name=row["name"],
            builtin=BuiltinModuleKind(row["default"]),
            module_type=row["module_type"],
            operator=row["operator"],
            bak_operator=row["bak_operator"],
            attributes=row["attributes"],
            row=row,
        )

    @strawberry.field
    def properties(self) -> JSON:
        return JSON(row_to_properties("module", self.row))

    @strawberry.field
    async def set(self, info: Info) -> SetType:
        return SetType.from_row(await info.context.loaders.set.load(self.bk_set_id))

    @strawberry.field
    async def business(self, info: Info) -> BusinessType:
        return BusinessType.from_row(await info.context.loaders.business.load(self.bk_biz_id))

    @strawberry.field
    async def hosts(self, info: Info, first: int, after: str | None = None) -> Connection[HostType]:
        rows = await info.context.loaders.hosts_with("module", host_columns(info)).load(self.bk_module_id)
        return connection_from_rows(rows, first=first, after=after, maximum=_max_page(info), build=HostType.from_row)


@strawberry.type(name="Host")
class HostType(Node, CmdbObject):
    bk_host_id: int
    inner_ip: str
    outer_ip: str
    bk_cloud_id: int
    bk_biz_id: int
    host_name: str
    os_type: str
    os_name: str
    os_version: str
    cpu: int | None
    mem: int | None
    disk: int | None
    sn: str
    operator: str
    bak_operator: str
    comment: str
    ssh_port: int | None = strawberry.field(description="SSH port; null means OPSGRAPH_SSH_DEFAULT_PORT.")
    attributes: JSON
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row) -> HostType:
        return cls(
            id=strawberry.ID(encode_global_id("Host", row["id"])),
            bk_host_id=row["id"],
            inner_ip=row["inner_ip"],
            outer_ip=row["outer_ip"],
            bk_cloud_id=row["cloud_area_id"],
            bk_biz_id=row["business_id"],
            host_name=row["host_name"],
            os_type=row["os_type"],
            os_name=row["os_name"],
            os_version=row["os_version"],
            cpu=row["cpu"],
            mem=row["mem"],
            disk=row["disk"],
            sn=row["sn"],
            operator=row["operator"],
            bak_operator=row["bak_operator"],
            comment=row["comment"],
            ssh_port=row["ssh_port"],
            attributes=row["attributes"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            row=row,
        )

    @strawberry.field
    def properties(self) -> JSON:
        return JSON(row_to_properties("host", self.row))

    @strawberry.field
    async def business(self, info: Info) -> BusinessType:
        return BusinessType.from_row(await info.context.loaders.business.load(self.bk_biz_id))

    @strawberry.field
    async def cloud_area(self, info: Info) -> CloudAreaType:
        return CloudAreaType.from_row(await info.context.loaders.cloud_area.load(self.bk_cloud_id))

    @strawberry.field(description="Every module the host is in (one or more, all in its business).")
    async def modules(self, info: Info) -> list[ModuleType]:
        return [ModuleType.from_row(row) for row in await info.context.loaders.modules_of_host(self.bk_host_id)]

    @strawberry.field(description="This host's results in tasks, newest first.")
    async def task_results(self, info: Info, first: int, after: str | None = None) -> Connection[TaskHostResultRef]:
        from opsgraph.models.tasks import TaskHostResult
        from opsgraph.schema.types.tasks import TaskHostResultType

        return await _newest_children(
            info, TaskHostResult, "host_id", self.bk_host_id, first, after, TaskHostResultType.from_row
        )

    @strawberry.field(description="The OpsGraph agent on this host; null when none was installed (or it was removed).")
    async def agent(self, info: Info) -> AgentStatusRef | None:
        from opsgraph.schema.types.agents import AgentStatusType

        row = await info.context.loaders.agent_by_host.load(self.bk_host_id)
        return AgentStatusType.from_row(row, info.context.settings.agent_alive_seconds) if row else None

    @strawberry.field(description='This host\'s metric series, e.g. names ["system_cpu_summary.usage"], per step s.')
    async def metrics(
        self,
        info: Info,
        names: list[str],
        step: int = 60,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        aggregate_by: str = "avg",
    ) -> list[MetricSeriesRef]:
        from opsgraph.schema.types.monitoring import host_metrics

        return await host_metrics(info, self.bk_host_id, names, from_, to, step, aggregate_by)

    @strawberry.field(description="The sets of the host's modules, each once.")
    async def sets(self, info: Info) -> list[SetType]:
        modules = await info.context.loaders.modules_of_host(self.bk_host_id)
        set_ids = list(dict.fromkeys(m["set_id"] for m in modules))
        return [SetType.from_row(row) for row in await info.context.loaders.set.load_many(set_ids)]
