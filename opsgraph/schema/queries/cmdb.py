"""CMDB model-layer queries: classifications, models, attributes, association kinds and model
associations; instances of any model (keyset connection and bk-style offset search); instance
associations; the legacy-shaped topology views; process ↔ module bindings."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.errors import ValidationFailed
from opsgraph.resolvers.cmdb import association_kinds, attributes, classifications, graphics, objects, processes
from opsgraph.resolvers.cmdb import instance_associations as links
from opsgraph.resolvers.cmdb import object_associations as model_links
from opsgraph.resolvers.cmdb.definitions import load_definition
from opsgraph.resolvers.cmdb.instance_search import instance_query, search_instances
from opsgraph.resolvers.cmdb.topology_views import instance_topology, object_topology
from opsgraph.resolvers.topology.conditions import Condition
from opsgraph.schema.connection import Connection, connection_from_query
from opsgraph.schema.inputs import optional_pk, pk
from opsgraph.schema.queries.topology import ConditionInput, OffsetPageInput
from opsgraph.schema.types.cmdb_instances import InstanceAssociationType, InstanceType, searchable_models
from opsgraph.schema.types.cmdb_models import (
    AssociationKindType,
    ClassificationType,
    ObjectAssociationType,
    ObjectAttributeType,
    ObjectModelType,
)

Row = dict[str, Any]


@strawberry.input
class ObjectModelFilter:
    classification_id: str | None = None
    bk_obj_id: str | None = None
    name: str | None = None
    creator: str | None = None
    modifier: str | None = None
    is_preset: bool | None = None
    is_paused: bool | None = None
    bk_id: int | None = None

    def as_bk(self) -> dict[str, Any]:
        return {
            "bk_classification_id": self.classification_id,
            "bk_obj_id": self.bk_obj_id,
            "bk_obj_name": self.name,
            "creator": self.creator,
            "modifier": self.modifier,
            "ispre": self.is_preset,
            "bk_ispaused": self.is_paused,
            "id": self.bk_id,
        }


@strawberry.input
class InstanceFilter:
    conditions: list[ConditionInput] = strawberry.field(default_factory=list)
    business_id: strawberry.ID | None = None


@strawberry.input(description="Instances associated with an instance of `objectId` matching `conditions`.")
class AssociatedClauseInput:
    object_id: str
    conditions: list[ConditionInput] = strawberry.field(default_factory=list)


@strawberry.input
class SearchInstancesInput:
    object_id: str
    conditions: list[ConditionInput] = strawberry.field(default_factory=list)
    associated: list[AssociatedClauseInput] = strawberry.field(default_factory=list)
    business_id: strawberry.ID | None = None
    page: OffsetPageInput = strawberry.field(default_factory=OffsetPageInput)


@strawberry.type
class InstanceSearchResult:
    count: int
    items: list[InstanceType]


@strawberry.input
class ObjectAssociationFilter:
    bk_obj_asst_id: str | None = None
    bk_asst_id: str | None = None
    bk_obj_id: str | None = None
    bk_asst_obj_id: str | None = None


@strawberry.input
class InstanceAssociationFilter:
    bk_obj_asst_id: str | None = None
    bk_asst_id: str | None = None
    bk_obj_id: str | None = None
    bk_asst_obj_id: str | None = None
    bk_inst_id: int | None = None
    bk_asst_inst_id: int | None = None
    bk_id: int | None = None


@strawberry.type
class ProcessModuleBinding:
    module_name: str
    set_count: int = strawberry.field(description="How many sets hold a module of this name.")
    bound: bool


def conditions_of(inputs: list[ConditionInput]) -> list[Condition]:
    return [Condition(c.field, c.operator, c.value) for c in inputs]


@strawberry.type
class CmdbQuery:
    @strawberry.field(description="Model classifications, in creation order.")
    async def classifications(self, info: Info) -> list[ClassificationType]:
        rows = await classifications.search_classifications(info.context.caller)
        return [ClassificationType.from_row(row) for row in rows]

    @strawberry.field(description="Models (bk-cmdb objects), filtered by equality.")
    async def object_models(self, info: Info, filter: ObjectModelFilter | None = None) -> list[ObjectModelType]:
        info.context.caller  # noqa: B018 - authentication required
        rows = await objects.search_objects(info.context.caller, (filter or ObjectModelFilter()).as_bk())
        return [ObjectModelType.from_row(row) for row in rows]

    @strawberry.field
    async def object_model(self, info: Info, bk_obj_id: str) -> ObjectModelType | None:
        info.context.caller  # noqa: B018
        row = await info.context.loaders.cmdb.object_by_obj_id.load(bk_obj_id)
        return ObjectModelType.from_row(row) if row else None

    @strawberry.field(description="Attributes of one model (or of every model), in display order.")
    async def object_attributes(self, info: Info, bk_obj_id: str | None = None) -> list[ObjectAttributeType]:
        rows = await attributes.search_attributes(info.context.caller, bk_obj_id)
        return [ObjectAttributeType.from_row(row, row["obj_id"], row["isonly"]) for row in rows]

    @strawberry.field
    async def association_kinds(self, info: Info) -> list[AssociationKindType]:
        info.context.caller  # noqa: B018
        return [AssociationKindType.from_row(row) for row in await association_kinds.list_kinds()]

    @strawberry.field(description="Model associations, filtered by equality.")
    async def object_associations(
        self, info: Info, filter: ObjectAssociationFilter | None = None
    ) -> list[ObjectAssociationType]:
        info.context.caller  # noqa: B018
        spec = filter or ObjectAssociationFilter()
        rows = await model_links.find_associations(
            {
                "bk_obj_asst_id": spec.bk_obj_asst_id,
                "bk_asst_id": spec.bk_asst_id,
                "bk_obj_id": spec.bk_obj_id,
                "bk_asst_obj_id": spec.bk_asst_obj_id,
            }
        )
        return [ObjectAssociationType.from_row(row) for row in rows]

    @strawberry.field(description="Instances of a model you may see, oldest first (keyset paging).")
    async def instances(
        self, info: Info, object_id: str, first: int, after: str | None = None, filter: InstanceFilter | None = None
    ) -> Connection[InstanceType]:
        spec = filter or InstanceFilter()
        definition = await load_definition(object_id)
        if definition.table_backed:
            raise ValidationFailed(
                f"{object_id} objects are listed by their own queries (hosts, businesses…)", field="objectId"
            )
        query, _ = instance_query(
            info.context.caller,
            definition,
            conditions_of(spec.conditions),
            business_id=optional_pk(spec.business_id, "Business"),
        )
        if not (await searchable_models(info))(object_id):
            query = query.filter(id__in=[])  # as if there were none (the `search` privilege)
        return await connection_from_query(
            query,
            first=first,
            after=after,
            maximum=info.context.settings.max_page_size,
            build=lambda row: InstanceType.from_row(row, object_id),
        )

    @strawberry.field(description="bk search_inst: conditions (also on associated models), offset paging.")
    async def search_instances(self, info: Info, input: SearchInstancesInput) -> InstanceSearchResult:
        associated: dict[str, list[Condition]] = {}
        for clause in input.associated:
            associated.setdefault(clause.object_id, []).extend(conditions_of(clause.conditions))
        definition, total, rows = await search_instances(
            info.context.caller,
            input.object_id,
            conditions_of(input.conditions),
            associated=associated,
            business_id=optional_pk(input.business_id, "Business"),
            start=input.page.start,
            limit=input.page.limit,
            sort=input.page.sort,
        )
        info.context.loaders.prime_many(info.context.loaders.cmdb.instance, rows)
        return InstanceSearchResult(count=total, items=[InstanceType.from_row(r, definition.obj_id) for r in rows])

    @strawberry.field(description="Instance associations matching the filter whose two ends you may see.")
    async def instance_associations(
        self, info: Info, filter: InstanceAssociationFilter | None = None
    ) -> list[InstanceAssociationType]:
        spec = filter or InstanceAssociationFilter()
        rows = await links.find_links(
            info.context.caller,
            {
                "bk_obj_asst_id": spec.bk_obj_asst_id,
                "bk_asst_id": spec.bk_asst_id,
                "bk_obj_id": spec.bk_obj_id,
                "bk_asst_obj_id": spec.bk_asst_obj_id,
                "bk_inst_id": spec.bk_inst_id,
                "bk_asst_inst_id": spec.bk_asst_inst_id,
                "id": spec.bk_id,
            },
        )
        return [InstanceAssociationType.from_row(row) for row in rows]

    @strawberry.field(description="bk search_object_topo: edges between the models of a classification.")
    async def object_topology(self, info: Info, classification_id: str) -> JSON:
        info.context.caller  # noqa: B018
        return JSON(await object_topology(classification_id))

    @strawberry.field(description="bk search_inst_association_topo: {curr, next, prev} around one instance.")
    async def instance_association_topology(self, info: Info, bk_obj_id: str, bk_inst_id: int) -> JSON:
        return JSON(await instance_topology(info.context.caller, bk_obj_id, bk_inst_id))

    @strawberry.field(description="bk search_object_topo_graphics: the nodes of one graph, with saved positions.")
    async def topo_graphics(self, info: Info, scope_type: str, scope_id: str) -> JSON:
        return JSON(await graphics.search_graphics(info.context.caller, scope_type, scope_id))

    @strawberry.field(description="The business's module names, and whether the process is bound to each.")
    async def process_modules(
        self, info: Info, business_id: strawberry.ID, process_id: int
    ) -> list[ProcessModuleBinding]:
        rows = await processes.process_modules(info.context.caller, pk(business_id, "Business"), process_id)
        return [
            ProcessModuleBinding(module_name=r["bk_module_name"], set_count=r["set_num"], bound=bool(r["is_bind"]))
            for r in rows
        ]
