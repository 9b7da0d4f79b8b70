"""Association-kind, model-association and topology-graph mutations. Superusers only (access.py)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.cmdb import association_kinds, graphics
from opsgraph.resolvers.cmdb import object_associations as model_links
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.mutations.cmdb_models import DeletePayload, as_row
from opsgraph.schema.types.cmdb_models import AssociationKindType, ObjectAssociationType


@strawberry.input
class AssociationKindInput:
    bk_asst_id: str
    name: str | None = None
    src_des: str | None = None
    dest_des: str | None = None
    direction: str | None = strawberry.field(default=None, description="none, src_to_dest, dest_to_src, bidirectional")


@strawberry.type
class AssociationKindPayload:
    kind: AssociationKindType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateObjectAssociationInput:
    bk_obj_id: str
    bk_asst_id: str
    bk_asst_obj_id: str
    mapping: str = strawberry.field(default="n:n", description="1:1, 1:n or n:n")
    on_delete: str = strawberry.field(default="none", description="none, delete_src or delete_dest")
    name: str | None = None


@strawberry.input
class UpdateObjectAssociationInput:
    bk_obj_asst_id: str
    mapping: str | None = None
    on_delete: str | None = None
    name: str | None = None


@strawberry.type
class ObjectAssociationPayload:
    association: ObjectAssociationType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class TopoGraphicsInput:
    scope_type: str
    scope_id: str
    action: str = strawberry.field(description="update (upsert these nodes) or override (replace the scope's nodes)")
    nodes: list[JSON] = strawberry.field(
        description="{node_type, bk_obj_id, bk_inst_id, position {x, y}, ext, bk_obj_icon}"
    )


@strawberry.type
class CmdbAssociationMutations:
    @strawberry.mutation
    @returns_user_errors(AssociationKindPayload)
    async def create_association_kind(self, info: Info, input: AssociationKindInput) -> AssociationKindPayload:
        kind = await association_kinds.create_kind(info.context.caller, _kind_data(input))
        return AssociationKindPayload(kind=AssociationKindType.from_row(as_row(kind)))

    @strawberry.mutation
    @returns_user_errors(AssociationKindPayload)
    async def update_association_kind(self, info: Info, input: AssociationKindInput) -> AssociationKindPayload:
        kind = await association_kinds.update_kind(info.context.caller, input.bk_asst_id, _kind_data(input))
        return AssociationKindPayload(kind=AssociationKindType.from_row(as_row(kind)))

    @strawberry.mutation
    @returns_user_errors(DeletePayload)
    async def delete_association_kind(self, info: Info, bk_asst_id: str) -> DeletePayload:
        await association_kinds.delete_kind(info.context.caller, bk_asst_id)
        return DeletePayload(ok=True)

    @strawberry.mutation
    @returns_user_errors(ObjectAssociationPayload)
    async def create_object_association(
        self, info: Info, input: CreateObjectAssociationInput
    ) -> ObjectAssociationPayload:
        data = {
            "bk_obj_id": input.bk_obj_id,
            "bk_asst_id": input.bk_asst_id,
            "bk_asst_obj_id": input.bk_asst_obj_id,
            "mapping": input.mapping,
            "on_delete": input.on_delete,
            "bk_obj_asst_name": input.name,
        }
        created = await model_links.create_association(info.context.caller, data)
        return ObjectAssociationPayload(association=await _association(info, created.id))

    @strawberry.mutation
    @returns_user_errors(ObjectAssociationPayload)
    async def update_object_association(
        self, info: Info, input: UpdateObjectAssociationInput
    ) -> ObjectAssociationPayload:
        data = {"mapping": input.mapping, "on_delete": input.on_delete, "bk_obj_asst_name": input.name}
        updated = await model_links.update_association(info.context.caller, input.bk_obj_asst_id, data)
        return ObjectAssociationPayload(association=await _association(info, updated.id))

    @strawberry.mutation
    @returns_user_errors(DeletePayload)
    async def delete_object_association(self, info: Info, bk_obj_asst_id: str) -> DeletePayload:
        await model_links.delete_association(info.context.caller, bk_obj_asst_id)
        return DeletePayload(ok=True)

    @strawberry.mutation(description="Save node positions of a topology graph.")
    @returns_user_errors(DeletePayload)
    async def update_topo_graphics(self, info: Info, input: TopoGraphicsInput) -> DeletePayload:
        await graphics.update_graphics(
            info.context.caller, input.scope_type, input.scope_id, input.action, list(input.nodes)
        )
        return DeletePayload(ok=True)


def _kind_data(input: AssociationKindInput) -> dict[str, Any]:
    return {
        "bk_asst_id": input.bk_asst_id,
        "bk_asst_name": input.name,
        "src_des": input.src_des,
        "dest_des": input.dest_des,
        "direction": input.direction,
    }


async def _association(info: Info, pk: int) -> ObjectAssociationType:
    return ObjectAssociationType.from_row(await info.context.loaders.cmdb.object_association.load(pk))
