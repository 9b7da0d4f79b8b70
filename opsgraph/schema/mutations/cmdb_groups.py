"""createDynamicGroup, updateDynamicGroup, deleteDynamicGroup."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.core.ids import encode_global_id
from opsgraph.models.cmdb_groups import DynamicGroup
from opsgraph.resolvers.cmdb_groups import groups as group_actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import optional_pk, pk
from opsgraph.schema.types.cmdb_groups import DynamicGroupType

_INFO = (
    "A search_host body as JSON text: "
    "{condition: [{bk_obj_id, fields, condition: [{field, operator, value}]}], ip, pattern}."
)
_GROUP_ID = "The group's global id, or its bk id (the custom query id) together with businessId."


@strawberry.input
class CreateDynamicGroupInput:
    business_id: strawberry.ID
    name: str
    info: str = strawberry.field(description=_INFO)


@strawberry.input(description="Only the fields given change.")
class UpdateDynamicGroupInput:
    group_id: strawberry.ID = strawberry.field(description=_GROUP_ID)
    business_id: strawberry.ID | None = None
    name: str | None = None
    info: str | None = strawberry.field(default=None, description=_INFO)


@strawberry.input
class DeleteDynamicGroupInput:
    group_id: strawberry.ID = strawberry.field(description=_GROUP_ID)
    business_id: strawberry.ID | None = None


@strawberry.type
class DynamicGroupPayload:
    group: DynamicGroupType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteDynamicGroupPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _group(info: Info, group_id: strawberry.ID, business_id: strawberry.ID | None) -> DynamicGroup:
    principal = info.context.caller
    ref = str(group_id)
    try:
        return await group_actions.get_group_by_pk(principal, pk(ref, "DynamicGroup"))
    except ValidationFailed:
        biz = optional_pk(business_id, "Business")
        if biz is None:
            raise ValidationFailed("a bk group id needs businessId", field="businessId") from None
        return await group_actions.get_group(principal, biz, ref)


async def _payload(info: Info, group_id: int) -> DynamicGroupPayload:
    info.context.loaders.dynamic_group.clear(group_id)
    return DynamicGroupPayload(group=DynamicGroupType.from_row(await info.context.loaders.dynamic_group.load(group_id)))


@strawberry.type
class DynamicGroupMutations:
    @strawberry.mutation(description="Operators of the business with the customapi role privilege.")
    @returns_user_errors(DynamicGroupPayload)
    async def create_dynamic_group(self, info: Info, input: CreateDynamicGroupInput) -> DynamicGroupPayload:
        group = await group_actions.create_group(
            info.context.caller, pk(input.business_id, "Business"), input.name, input.info
        )
        return await _payload(info, group.id)

    @strawberry.mutation
    @returns_user_errors(DynamicGroupPayload)
    async def update_dynamic_group(self, info: Info, input: UpdateDynamicGroupInput) -> DynamicGroupPayload:
        group = await _group(info, input.group_id, input.business_id)
        await group_actions.update_group(info.context.caller, group, name=input.name, info=input.info)
        return await _payload(info, group.id)

    @strawberry.mutation
    @returns_user_errors(DeleteDynamicGroupPayload)
    async def delete_dynamic_group(self, info: Info, input: DeleteDynamicGroupInput) -> DeleteDynamicGroupPayload:
        group = await _group(info, input.group_id, input.business_id)
        await group_actions.delete_group(info.context.caller, group)
        return DeleteDynamicGroupPayload(deleted_id=strawberry.ID(encode_global_id("DynamicGroup", group.id)))
