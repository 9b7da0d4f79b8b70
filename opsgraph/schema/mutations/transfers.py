"""Moving hosts between modules, built-in modules, businesses and the resource pool."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.models.topology import BuiltinModule
from opsgraph.resolvers.topology import transfers as actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import optional_pk, pk, pks
from opsgraph.schema.types.topology import BuiltinModuleKind, HostType


@strawberry.input
class TransferHostsToModulesInput:
    business_id: strawberry.ID
    host_ids: list[strawberry.ID]
    module_ids: list[strawberry.ID]
    append: bool = strawberry.field(
        description="true: keep the hosts' other ordinary modules; false: these become their only modules."
    )


@strawberry.input
class TransferHostsToBuiltinModuleInput:
    business_id: strawberry.ID
    host_ids: list[strawberry.ID]
    module: BuiltinModuleKind


@strawberry.input
class MoveHostsBetweenPoolInput:
    business_id: strawberry.ID
    host_ids: list[strawberry.ID]
    module_id: strawberry.ID | None = None


@strawberry.input
class EmptyHostsToIdleModuleInput:
    business_id: strawberry.ID
    set_id: strawberry.ID
    module_id: strawberry.ID | None = None


@strawberry.type
class TransferHostsPayload:
    hosts: list[HostType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EmptyHostsToIdleModulePayload:
    moved_count: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _moved(info: Info, host_ids: list[int]) -> TransferHostsPayload:
    loaders = info.context.loaders
    for host_id in host_ids:
        loaders.host.clear(host_id)
        loaders.module_ids_by_host.clear(host_id)
    rows = await loaders.host.load_many(host_ids)
    return TransferHostsPayload(hosts=[HostType.from_row(row) for row in rows])


@strawberry.type
class TransferMutations:
    @strawberry.mutation(description="Move hosts to modules of their business (bk transfer_host_module).")
    @returns_user_errors(TransferHostsPayload)
    async def transfer_hosts_to_modules(self, info: Info, input: TransferHostsToModulesInput) -> TransferHostsPayload:
        host_ids = pks(input.host_ids, "Host")
        await actions.transfer_hosts_to_modules(
            info.context.caller,
            pk(input.business_id, "Business"),
            host_ids,
            pks(input.module_ids, "Module"),
            append=input.append,
        )
        return await _moved(info, host_ids)

    @strawberry.mutation(description="Move hosts exclusively into the idle, fault or recycle module.")
    @returns_user_errors(TransferHostsPayload)
    async def transfer_hosts_to_builtin_module(
        self, info: Info, input: TransferHostsToBuiltinModuleInput
    ) -> TransferHostsPayload:
        if input.module == BuiltinModuleKind.NORMAL:
            raise ValidationFailed("module must be IDLE, FAULT or RECYCLE", field="module")
        host_ids = pks(input.host_ids, "Host")
        await actions.transfer_hosts_to_builtin_module(
            info.context.caller,
            pk(input.business_id, "Business"),
            host_ids,
            BuiltinModule(input.module.value),
        )
        return await _moved(info, host_ids)

    @strawberry.mutation(description="Resource pool → a business's idle module (or the given module).")
    @returns_user_errors(TransferHostsPayload)
    async def assign_hosts_to_business(self, info: Info, input: MoveHostsBetweenPoolInput) -> TransferHostsPayload:
        host_ids = pks(input.host_ids, "Host")
        await actions.assign_pool_hosts_to_business(
            info.context.caller,
            pk(input.business_id, "Business"),
            host_ids,
            optional_pk(input.module_id, "Module"),
        )
        return await _moved(info, host_ids)

    @strawberry.mutation(description="Hosts in the business's built-in modules → the resource pool.")
    @returns_user_errors(TransferHostsPayload)
    async def return_hosts_to_resource_pool(self, info: Info, input: MoveHostsBetweenPoolInput) -> TransferHostsPayload:
        host_ids = pks(input.host_ids, "Host")
        await actions.return_hosts_to_resource_pool(
            info.context.caller,
            pk(input.business_id, "Business"),
            host_ids,
            optional_pk(input.module_id, "Module"),
        )
        return await _moved(info, host_ids)

    @strawberry.mutation(description="Empty a set (or one of its modules); hosts left in no module become idle.")
    @returns_user_errors(EmptyHostsToIdleModulePayload)
    async def empty_hosts_to_idle_module(
        self, info: Info, input: EmptyHostsToIdleModuleInput
    ) -> EmptyHostsToIdleModulePayload:
        moved = await actions.empty_to_idle_module(
            info.context.caller,
            pk(input.business_id, "Business"),
            pk(input.set_id, "Set"),
            optional_pk(input.module_id, "Module"),
        )
        return EmptyHostsToIdleModulePayload(moved_count=moved)
