"""Instance mutations (one or many, all or nothing), instance associations and process bindings.

`properties` is a JSON object of bk property id → value; an attribute the model does not declare is
refused here (the REST rows drop it silently, as bk-cmdb does).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.cmdb import instance_associations as links
from opsgraph.resolvers.cmdb import instances, plat_instances, processes
from opsgraph.resolvers.cmdb.instance_values import Unknown
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import optional_pk, pk, pks
from opsgraph.schema.types.cmdb_instances import InstanceAssociationType, InstanceType, visible_instances

_IGNORE_UNKNOWN = "Drop properties the model does not declare instead of refusing them (bk-cmdb's REST behaviour)."


@strawberry.input
class CreateInstanceInput:
    object_id: str
    properties: JSON
    business_id: strawberry.ID | None = None
    ignore_unknown: bool = strawberry.field(default=False, description=_IGNORE_UNKNOWN)


@strawberry.input
class CreateInstancesInput:
    object_id: str
    items: list[JSON] = strawberry.field(description="Each one instance's properties; at most 2,000.")
    business_id: strawberry.ID | None = None
    ignore_unknown: bool = strawberry.field(default=False, description=_IGNORE_UNKNOWN)


@strawberry.input
class InstanceUpdateInput:
    id: strawberry.ID
    properties: JSON


@strawberry.input
class UpdateInstancesInput:
    object_id: str
    updates: list[InstanceUpdateInput]
    ignore_unknown: bool = strawberry.field(default=False, description=_IGNORE_UNKNOWN)


@strawberry.input
class DeleteInstancesInput:
    object_id: str
    ids: list[strawberry.ID]


@strawberry.type
class InstancesPayload:
    instances: list[InstanceType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteInstancesPayload:
    deleted_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Every instance deleted, on_delete cascades included (this model's)."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class LinkInstancesInput:
    bk_obj_asst_id: str
    bk_inst_id: int = strawberry.field(description="The source instance's id within its model.")
    bk_asst_inst_id: int = strawberry.field(description="The target instance's id within its model.")


@strawberry.type
class LinkPayload:
    association: InstanceAssociationType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OkPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RenameCloudAreaInput:
    cloud_area_id: strawberry.ID
    name: str


@strawberry.input
class DeleteCloudAreasInput:
    cloud_area_ids: list[strawberry.ID]


@strawberry.input
class ProcessModuleInput:
    business_id: strawberry.ID
    process_id: int = strawberry.field(description="bk_process_id")
    module_name: str


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationFailed(f"{field} must be an object of property id → value", field=field)
    return value


async def _instances(info: Info, ids: list[int]) -> list[InstanceType]:
    for pk_ in ids:
        info.context.loaders.cmdb.instance.clear(pk_)
    return await visible_instances(info, ids)


@strawberry.type
class CmdbInstanceMutations:
    @strawberry.mutation
    @returns_user_errors(InstancesPayload)
    async def create_instance(self, info: Info, input: CreateInstanceInput) -> InstancesPayload:
        ids = await instances.create_instances(
            info.context.caller,
            input.object_id,
            [_object(input.properties, "properties")],
            business_id=optional_pk(input.business_id, "Business"),
            unknown="drop" if input.ignore_unknown else "refuse",
        )
        return InstancesPayload(instances=await _instances(info, ids))

    @strawberry.mutation(description="All or nothing.")
    @returns_user_errors(InstancesPayload)
    async def create_instances(self, info: Info, input: CreateInstancesInput) -> InstancesPayload:
        items = [_object(item, f"items[{i}]") for i, item in enumerate(input.items)]
        ids = await instances.create_instances(
            info.context.caller,
            input.object_id,
            items,
            business_id=optional_pk(input.business_id, "Business"),
            unknown="drop" if input.ignore_unknown else "refuse",
        )
        return InstancesPayload(instances=await _instances(info, ids))

    @strawberry.mutation(description="Partial updates; all or nothing.")
    @returns_user_errors(InstancesPayload)
    async def update_instances(self, info: Info, input: UpdateInstancesInput) -> InstancesPayload:
        updates = [
            (pk(item.id, "Instance"), _object(item.properties, f"updates[{i}].properties"))
            for i, item in enumerate(input.updates)
        ]
        unknown: Unknown = "drop" if input.ignore_unknown else "refuse"
        ids = await instances.update_instances(info.context.caller, input.object_id, updates, unknown=unknown)
        return InstancesPayload(instances=await _instances(info, ids))

    @strawberry.mutation(description="Follows the model associations' on_delete; refused while other links remain.")
    @returns_user_errors(DeleteInstancesPayload)
    async def delete_instances(self, info: Info, input: DeleteInstancesInput) -> DeleteInstancesPayload:
        deleted = await instances.delete_instances(info.context.caller, input.object_id, pks(input.ids, "Instance"))
        from opsgraph.core.ids import encode_global_id

        return DeleteInstancesPayload(deleted_ids=[strawberry.ID(encode_global_id("Instance", i)) for i in deleted])

    @strawberry.mutation(description="Link two instances under a model association (its mapping is enforced).")
    @returns_user_errors(LinkPayload)
    async def link_instances(self, info: Info, input: LinkInstancesInput) -> LinkPayload:
        link = await links.add_link(info.context.caller, input.bk_obj_asst_id, input.bk_inst_id, input.bk_asst_inst_id)
        rows = await links.find_links(info.context.caller, {"id": link.id})
        return LinkPayload(association=InstanceAssociationType.from_row(rows[0]) if rows else None)

    @strawberry.mutation
    @returns_user_errors(OkPayload)
    async def unlink_instances(self, info: Info, bk_id: int) -> OkPayload:
        await links.delete_link(info.context.caller, bk_id)
        return OkPayload(ok=True)

    @strawberry.mutation(description="Bind a process to every module of that name in its business.")
    @returns_user_errors(OkPayload)
    async def bind_process_module(self, info: Info, input: ProcessModuleInput) -> OkPayload:
        await processes.bind_process(
            info.context.caller, pk(input.business_id, "Business"), input.process_id, input.module_name
        )
        return OkPayload(ok=True)

    @strawberry.mutation
    @returns_user_errors(OkPayload)
    async def unbind_process_module(self, info: Info, input: ProcessModuleInput) -> OkPayload:
        await processes.unbind_process(
            info.context.caller, pk(input.business_id, "Business"), input.process_id, input.module_name
        )
        return OkPayload(ok=True)

    @strawberry.mutation(description="Rename a cloud area (bk update_inst with bk_obj_id plat).")
    @returns_user_errors(OkPayload)
    async def rename_cloud_area(self, info: Info, input: RenameCloudAreaInput) -> OkPayload:
        await plat_instances.rename_cloud_area(info.context.caller, pk(input.cloud_area_id, "CloudArea"), input.name)
        return OkPayload(ok=True)

    @strawberry.mutation(description="Delete empty cloud areas (never the default one); all or nothing.")
    @returns_user_errors(OkPayload)
    async def delete_cloud_areas(self, info: Info, input: DeleteCloudAreasInput) -> OkPayload:
        await plat_instances.delete_cloud_areas(info.context.caller, pks(input.cloud_area_ids, "CloudArea"))
        return OkPayload(ok=True)
