"""createSet, updateSet, deleteSets, createModule, updateModule, deleteModule."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.topology import modules as module_actions
from opsgraph.resolvers.topology import sets as set_actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import IGNORE_UNKNOWN, columns_from_input, optional_pk, pk, pks, unknown_attributes
from opsgraph.schema.types.topology import ModuleType, SetType

_SET_KEYS = frozenset({"business_id", "set_id"})
_MODULE_KEYS = frozenset({"business_id", "set_id", "module_id"})


@strawberry.input
class CreateSetInput:
    business_id: strawberry.ID
    name: str
    set_env: str | None = strawberry.UNSET
    service_status: str | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    attributes: JSON | None = strawberry.UNSET
    ignore_unknown: bool = strawberry.field(default=False, description=IGNORE_UNKNOWN)


@strawberry.input
class UpdateSetInput:
    business_id: strawberry.ID
    set_id: strawberry.ID
    name: str | None = strawberry.UNSET
    set_env: str | None = strawberry.UNSET
    service_status: str | None = strawberry.UNSET
    capacity: int | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    attributes: JSON | None = strawberry.UNSET
    ignore_unknown: bool = strawberry.field(default=False, description=IGNORE_UNKNOWN)


@strawberry.input
class DeleteSetsInput:
    business_id: strawberry.ID
    set_ids: list[strawberry.ID]


@strawberry.input
class CreateModuleInput:
    business_id: strawberry.ID
    set_id: strawberry.ID
    name: str
    module_type: str | None = strawberry.UNSET
    operator: str | None = strawberry.UNSET
    bak_operator: str | None = strawberry.UNSET
    attributes: JSON | None = strawberry.UNSET
    ignore_unknown: bool = strawberry.field(default=False, description=IGNORE_UNKNOWN)


@strawberry.input
class UpdateModuleInput:
    business_id: strawberry.ID
    module_id: strawberry.ID
    set_id: strawberry.ID | None = None
    name: str | None = strawberry.UNSET
    module_type: str | None = strawberry.UNSET
    operator: str | None = strawberry.UNSET
    bak_operator: str | None = strawberry.UNSET
    attributes: JSON | None = strawberry.UNSET
    ignore_unknown: bool = strawberry.field(default=False, description=IGNORE_UNKNOWN)


@strawberry.input
class DeleteModuleInput:
    business_id: strawberry.ID
    module_id: strawberry.ID
    set_id: strawberry.ID | None = None


@strawberry.type
class SetPayload:
    set: SetType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteSetsPayload:
    deleted_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ModulePayload:
    module: ModuleType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteModulePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetModuleMutations:
    @strawberry.mutation
    @returns_user_errors(SetPayload)
    async def create_set(self, info: Info, input: CreateSetInput) -> SetPayload:
        columns, custom = columns_from_input(input, exclude=_SET_KEYS)
        created = await set_actions.create_set(
            info.context.caller,
            pk(input.business_id, "Business"),
            columns,
            custom,
            unknown=unknown_attributes(input.ignore_unknown),
        )
        return SetPayload(set=SetType.from_row(await info.context.loaders.set.load(created.id)))

    @strawberry.mutation
    @returns_user_errors(SetPayload)
    async def update_set(self, info: Info, input: UpdateSetInput) -> SetPayload:
        columns, custom = columns_from_input(input, exclude=_SET_KEYS)
        set_id = pk(input.set_id, "Set")
        await set_actions.update_set(
            info.context.caller,
            pk(input.business_id, "Business"),
            set_id,
            columns,
            custom,
            unknown=unknown_attributes(input.ignore_unknown),
        )
        info.context.loaders.set.clear(set_id)
        return SetPayload(set=SetType.from_row(await info.context.loaders.set.load(set_id)))

    @strawberry.mutation(description="Delete sets (and their empty modules); all or nothing.")
    @returns_user_errors(DeleteSetsPayload)
    async def delete_sets(self, info: Info, input: DeleteSetsInput) -> DeleteSetsPayload:
        await set_actions.delete_sets(info.context.caller, pk(input.business_id, "Business"), pks(input.set_ids, "Set"))
        return DeleteSetsPayload(deleted_ids=input.set_ids)

    @strawberry.mutation
    @returns_user_errors(ModulePayload)
    async def create_module(self, info: Info, input: CreateModuleInput) -> ModulePayload:
        columns, custom = columns_from_input(input, exclude=_MODULE_KEYS)
        created = await module_actions.create_module(
            info.context.caller,
            pk(input.business_id, "Business"),
            pk(input.set_id, "Set"),
            columns,
            custom,
            unknown=unknown_attributes(input.ignore_unknown),
        )
        return ModulePayload(module=ModuleType.from_row(await info.context.loaders.module.load(created.id)))

    @strawberry.mutation
    @returns_user_errors(ModulePayload)
    async def update_module(self, info: Info, input: UpdateModuleInput) -> ModulePayload:
        columns, custom = columns_from_input(input, exclude=_MODULE_KEYS)
        module_id = pk(input.module_id, "Module")
        await module_actions.update_module(
            info.context.caller,
            pk(input.business_id, "Business"),
            optional_pk(input.set_id, "Set"),
            module_id,
            columns,
            custom,
            unknown=unknown_attributes(input.ignore_unknown),
        )
        info.context.loaders.module.clear(module_id)
        return ModulePayload(module=ModuleType.from_row(await info.context.loaders.module.load(module_id)))

    @strawberry.mutation
    @returns_user_errors(DeleteModulePayload)
    async def delete_module(self, info: Info, input: DeleteModuleInput) -> DeleteModulePayload:
        await module_actions.delete_module(
            info.context.caller,
            pk(input.business_id, "Business"),
            optional_pk(input.set_id, "Set"),
            pk(input.module_id, "Module"),
        )
        return DeleteModulePayload(deleted_id=input.module_id)
