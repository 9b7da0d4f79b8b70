"""Uptime checks (nodes, tasks) and collectors (import, deploy through the executor)."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.models.monitoring_checks import UptimeNode
from opsgraph.models.topology import Host
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.monitoring import collector_removal, uptime_edit
from opsgraph.resolvers.monitoring import collectors as collector_actions
from opsgraph.resolvers.monitoring import uptime as uptime_actions
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import optional_pk, pk
from opsgraph.schema.mutations.monitoring import DeletedPayload, ImportResultPayload
from opsgraph.schema.types.monitoring_checks import UptimeNodeType, UptimeTaskType
from opsgraph.schema.types.tasks import TaskType


@strawberry.input(description="import_uptime_check_node's conf_list; businessId fills items that name none.")
class ImportUptimeNodesInput:
    conf_list: JSON
    business_id: strawberry.ID | None = None


@strawberry.input(description="import_uptime_check_task's conf_list.")
class ImportUptimeTasksInput:
    business_id: strawberry.ID
    conf_list: JSON


@strawberry.input(description="A node probing from a host with an agent, or (no hostId) from the server itself.")
class CreateUptimeNodeInput:
    business_id: strawberry.ID
    name: str
    host_id: strawberry.ID | None = None


@strawberry.type
class UptimeNodePayload:
    node: UptimeNodeType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetUptimeTaskRunningInput:
    task_id: strawberry.ID
    running: bool


@strawberry.input(
    description="Only the fields given change; the protocol stays. A running task is probed anew at once."
)
class UpdateUptimeTaskInput:
    task_id: strawberry.ID
    name: str | None = None
    config: JSON | None = strawberry.field(
        default=None, description="collector_conf.config in the import shape (ip_list/urls, port, period, timeout…)."
    )
    node_ids: list[strawberry.ID] | None = None
    groups: str | None = None


@strawberry.input
class DeleteUptimeTaskInput:
    task_id: strawberry.ID


@strawberry.type
class UptimeTaskPayload:
    task: UptimeTaskType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(
    description="import_script_collector's collector_conf_list; businessId fills items without bk_biz_id."
)
class ImportScriptCollectorsInput:
    collector_conf_list: JSON
    business_id: strawberry.ID | None = None


@strawberry.input(description="import_log_collector's conf_list: each collector is created and deployed at once.")
class ImportLogCollectorsInput:
    conf_list: JSON
    business_id: strawberry.ID | None = None


@strawberry.input
class CollectorTargetInput:
    ip: str
    bk_cloud_id: int = 0
    params: JSON | None = None


@strawberry.input
class DeployCollectorInput:
    collector_id: strawberry.ID
    targets: list[CollectorTargetInput]


@strawberry.type
class DeployCollectorPayload:
    task: TaskType | None = strawberry.field(
        default=None, description="The deploy task: per-host success in its results."
    )
    refused: JSON | None = strawberry.field(
        default=None, description="Hosts refused before the task: [{ip, bk_cloud_id, message}]."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class DeleteCollectorInput:
    collector_id: strawberry.ID


@strawberry.type
class DeleteCollectorPayload:
    deleted_id: strawberry.ID | None = None
    task: TaskType | None = strawberry.field(
        default=None, description="The undeploy task (null when it was deployed nowhere): per-host results."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MonitoringCheckMutations:
    @strawberry.mutation
    @returns_user_errors(ImportResultPayload)
    async def import_uptime_nodes(self, info: Info, input: ImportUptimeNodesInput) -> ImportResultPayload:
        biz = optional_pk(input.business_id, "Business")
        return ImportResultPayload(
            result=cast(JSON, await uptime_actions.import_nodes(info.context.caller, biz, input.conf_list))
        )

    @strawberry.mutation
    @returns_user_errors(ImportResultPayload)
    async def import_uptime_tasks(self, info: Info, input: ImportUptimeTasksInput) -> ImportResultPayload:
        result = await uptime_actions.import_tasks(
            info.context.caller, pk(input.business_id, "Business"), input.conf_list
        )
        return ImportResultPayload(result=cast(JSON, result))

    @strawberry.mutation
    @returns_user_errors(UptimeNodePayload)
    async def create_uptime_node(self, info: Info, input: CreateUptimeNodeInput) -> UptimeNodePayload:
        principal = info.context.caller
        business = await get_business(principal, pk(input.business_id, "Business"), uptime_actions.WRITE_ROLE)
        host_id = optional_pk(input.host_id, "Host")
        name = input.name.strip()
        if not name or len(name) > 128:
            raise ValidationFailed("name must be 1 to 128 characters", field="name")
        ip, cloud = "", 0
        if host_id is not None:
            host = await Host.get_or_none(id=host_id, business_id=business.id)
            if host is None:
                raise ValidationFailed(f"host is not in business {business.id}", field="hostId")
            ip, cloud = host.inner_ip, host.cloud_area_id
        async with write_transaction():
            node = await UptimeNode.create(
                business_id=business.id,
                name=name,
                host_id=host_id,
                ip=ip,
                bk_cloud_id=cloud,
                created_by=principal.username,
            )
            await record_operation(
                principal,
                op_type="create",
                op_target="uptime_node",
                op_desc=f"create uptime node {name}",
                business_id=business.id,
                inst_id=node.id,
            )
        row = (await UptimeNode.filter(id=node.id).values())[0]
        return UptimeNodePayload(node=UptimeNodeType.from_row(row))

    @strawberry.mutation(description="Start (running) or stop (stoped) an uptime task: stopping clears its schedule.")
    @returns_user_errors(UptimeTaskPayload)
    async def set_uptime_task_running(self, info: Info, input: SetUptimeTaskRunningInput) -> UptimeTaskPayload:
        task = await uptime_edit.set_task_status(info.context.caller, pk(input.task_id, "UptimeTask"), input.running)
        row = (await type(task).filter(id=task.id).values())[0]
        return UptimeTaskPayload(task=UptimeTaskType.from_row(row))

    @strawberry.mutation
    @returns_user_errors(UptimeTaskPayload)
    async def update_uptime_task(self, info: Info, input: UpdateUptimeTaskInput) -> UptimeTaskPayload:
        if input.config is not None and not isinstance(input.config, dict):
            raise ValidationFailed("config must be an object", field="config")
        change = uptime_edit.UptimeTaskChange(
            name=input.name,
            config=input.config,
            node_ids=None if input.node_ids is None else [pk(n, "UptimeNode") for n in input.node_ids],
            groups=input.groups,
        )
        task = await uptime_edit.update_task(info.context.caller, pk(input.task_id, "UptimeTask"), change)
        row = (await type(task).filter(id=task.id).values())[0]
        return UptimeTaskPayload(task=UptimeTaskType.from_row(row))

    @strawberry.mutation(description="Delete an uptime task and the strategies imported with it; its alarms stay.")
    @returns_user_errors(DeletedPayload)
    async def delete_uptime_task(self, info: Info, input: DeleteUptimeTaskInput) -> DeletedPayload:
        await uptime_edit.delete_task(info.context.caller, pk(input.task_id, "UptimeTask"))
        return DeletedPayload(deleted_id=input.task_id)

    @strawberry.mutation
    @returns_user_errors(ImportResultPayload)
    async def import_script_collectors(self, info: Info, input: ImportScriptCollectorsInput) -> ImportResultPayload:
        result = await collector_actions.import_script_collectors(
            info.context.caller, input.collector_conf_list, optional_pk(input.business_id, "Business")
        )
        return ImportResultPayload(result=cast(JSON, result))

    @strawberry.mutation
    @returns_user_errors(ImportResultPayload)
    async def import_log_collectors(self, info: Info, input: ImportLogCollectorsInput) -> ImportResultPayload:
        result = await collector_actions.import_log_collectors(
            info.context.caller, input.conf_list, optional_pk(input.business_id, "Business")
        )
        for item in result:
            if item.get("task_id") is not None:
                item["task_id"] = encode_global_id("Task", item["task_id"])
        return ImportResultPayload(result=cast(JSON, result))

    @strawberry.mutation(description="Deploy a collector to hosts with an agent, through a SCRIPT task over SSH.")
    @returns_user_errors(DeployCollectorPayload)
    async def deploy_collector(self, info: Info, input: DeployCollectorInput) -> DeployCollectorPayload:
        targets = []
        for target in input.targets:
            if target.params is not None and not isinstance(target.params, dict):
                raise ValidationFailed("params must be an object", field="params")
            targets.append(collector_actions.DeployTarget(target.ip, target.bk_cloud_id, dict(target.params or {})))
        deployment = await collector_actions.deploy(info.context.caller, pk(input.collector_id, "Collector"), targets)
        task = None
        if deployment.task is not None:
            info.context.loaders.task.clear(deployment.task.id)
            task = TaskType.from_row(await info.context.loaders.task.load(deployment.task.id))
        return DeployCollectorPayload(task=task, refused=cast(JSON, deployment.failed))

    @strawberry.mutation(description="Delete a collector, removing it from the hosts it was deployed to (a task).")
    @returns_user_errors(DeleteCollectorPayload)
    async def delete_collector(self, info: Info, input: DeleteCollectorInput) -> DeleteCollectorPayload:
        task = await collector_removal.delete_collector(info.context.caller, pk(input.collector_id, "Collector"))
        shown = None
        if task is not None:
            info.context.loaders.task.clear(task.id)
            shown = TaskType.from_row(await info.context.loaders.task.load(task.id))
        return DeleteCollectorPayload(deleted_id=input.collector_id, task=shown)
