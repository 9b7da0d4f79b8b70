"""Instances of any model in the graph: the `CmdbObject` interface (implemented by Business, Set,
Module, Host, CloudArea and Instance) with its `associations` edges, the generic `Instance` node with
typed properties, and instance links.

One query walks host → associated switch → its rack:
    host { associations { node { ... on Instance { name associations { node { ... on Instance { name } } } } } } }
Each level costs a fixed number of statements (links, then the other ends per model), whatever the
number of hosts, switches or racks.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.resolvers.cmdb.access import can_read_instance, instance_search_rule
from opsgraph.resolvers.cmdb.definitions import ModelDefinition, spec_from_row
from opsgraph.resolvers.cmdb.instance_values import instance_properties
from opsgraph.schema.types.cmdb_values import PropertyValue, property_value
from opsgraph.schema.types.node import Node

if TYPE_CHECKING:
    from opsgraph.schema.types.cmdb_models import ObjectAssociationType, ObjectModelType
    from opsgraph.schema.types.topology import BusinessType

Row = dict[str, Any]
Key = tuple[str, int]
ObjectModelRef = Annotated["ObjectModelType", strawberry.lazy("opsgraph.schema.types.cmdb_models")]
ObjectAssociationRef = Annotated["ObjectAssociationType", strawberry.lazy("opsgraph.schema.types.cmdb_models")]
BusinessRef = Annotated["BusinessType", strawberry.lazy("opsgraph.schema.types.topology")]

# The topology types that implement CmdbObject: class name → (model id, attribute holding the id).
_TOPOLOGY_KEYS = {
    "BusinessType": ("biz", "bk_biz_id"),
    "SetType": ("set", "bk_set_id"),
    "ModuleType": ("module", "bk_module_id"),
    "HostType": ("host", "bk_host_id"),
    "CloudAreaType": ("plat", "bk_cloud_id"),
}


def cmdb_key(obj: Any) -> Key:
    known = _TOPOLOGY_KEYS.get(type(obj).__name__)
    if known is not None:
        return known[0], int(getattr(obj, known[1]))
    return str(obj.obj_key), int(obj.pk)


@strawberry.enum(description="Seen from an object: OUTGOING when it is the association's source.")
class LinkDirection(Enum):
    OUTGOING = "outgoing"
    INCOMING = "incoming"


@strawberry.interface(
    name="CmdbObject",
    description="An instance of a CMDB model (business, set, module, host, cloud area or any other model).",
)
class CmdbObject:
    @strawberry.field(description="The model id (bk_obj_id).")
    def bk_obj_id(self) -> str:
        return cmdb_key(self)[0]

    @strawberry.field(description="The instance id within its model (bk_inst_id, bk_host_id, …).")
    def bk_inst_id(self) -> int:
        return cmdb_key(self)[1]

    @strawberry.field(description="Instance associations touching this object that you may see, oldest first.")
    async def associations(
        self,
        info: Info,
        association_id: Annotated[str | None, strawberry.argument(description="A bk_obj_asst_id.")] = None,
        direction: LinkDirection | None = None,
        object_id: Annotated[str | None, strawberry.argument(description="Only links to this model.")] = None,
    ) -> list[AssociationEdge]:
        me = cmdb_key(self)
        rows = await info.context.loaders.cmdb.links.load(me)
        edges: list[tuple[Row, LinkDirection, Key]] = []
        for row in rows:
            outgoing = (row["obj_id"], row["inst_id"]) == me
            other = (row["asst_obj_id"], row["asst_inst_id"]) if outgoing else (row["obj_id"], row["inst_id"])
            way = LinkDirection.OUTGOING if outgoing else LinkDirection.INCOMING
            if association_id is not None and row["obj_asst_id"] != association_id:
                continue
            if (direction is not None and way != direction) or (object_id is not None and other[0] != object_id):
                continue
            edges.append((row, way, other))
        nodes = await load_objects(info, [other for _, _, other in edges])
        return [
            AssociationEdge(direction=way, node=nodes[other], association=InstanceAssociationType.from_row(row))
            for row, way, other in edges
            if other in nodes
        ]


@strawberry.type(name="InstanceAssociation", description="A link between two instances under a model association.")
class InstanceAssociationType:
    bk_id: int = strawberry.field(description="The link's id (delete_instance_association's `id`).")
    bk_obj_asst_id: str
    bk_asst_id: str
    bk_obj_id: str
    bk_inst_id: int
    bk_asst_obj_id: str
    bk_asst_inst_id: int
    created_at: datetime
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row) -> InstanceAssociationType:
        return cls(
            bk_id=row["id"],
            bk_obj_asst_id=row["obj_asst_id"],
            bk_asst_id=row["asst_id"],
            bk_obj_id=row["obj_id"],
            bk_inst_id=row["inst_id"],
            bk_asst_obj_id=row["asst_obj_id"],
            bk_asst_inst_id=row["asst_inst_id"],
            created_at=row["created_at"],
            row=row,
        )

    @strawberry.field(description="The source instance; null when you may not see it (or it is gone).")
    async def source(self, info: Info) -> CmdbObject | None:
        key = (self.bk_obj_id, self.bk_inst_id)
        return (await load_objects(info, [key])).get(key)

    @strawberry.field(description="The target instance; null when you may not see it (or it is gone).")
    async def target(self, info: Info) -> CmdbObject | None:
        key = (self.bk_asst_obj_id, self.bk_asst_inst_id)
        return (await load_objects(info, [key])).get(key)

    @strawberry.field(description="The model association this link belongs to.")
    async def association(self, info: Info) -> ObjectAssociationRef:
        from opsgraph.schema.types.cmdb_models import ObjectAssociationType

        return ObjectAssociationType.from_row(
            await info.context.loaders.cmdb.object_association.load(self.row["object_association_id"])
        )


@strawberry.type(name="AssociationEdge", description="An instance association seen from one of its ends.")
class AssociationEdge:
    direction: LinkDirection
    node: CmdbObject = strawberry.field(description="The object at the other end.")
    association: InstanceAssociationType


@strawberry.type(name="Instance", description="An instance of a model without a type of its own (switches, racks…).")
class InstanceType(Node, CmdbObject):
    name: str = strawberry.field(description="bk_inst_name (bk_process_name for processes).")
    bk_biz_id: int | None = strawberry.field(description="Its business; null for a global instance.")
    created_by: str
    created_at: datetime
    updated_at: datetime
    obj_key: strawberry.Private[str]
    pk: strawberry.Private[int]
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row, obj_id: str | None = None) -> InstanceType:
        """`obj_id` may be left out when the row carries it (the request's instance loader adds it)."""
        return cls(
            id=strawberry.ID(encode_global_id("Instance", row["id"])),
            name=row["name"],
            bk_biz_id=row["business_id"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            obj_key=obj_id or row["obj_id"],
            pk=row["id"],
            row=row,
        )

    async def _attributes(self, info: Info) -> list[Row]:
        rows: list[Row] = await info.context.loaders.cmdb.attributes_by_object.load(self.row["object_id"])
        return rows

    @strawberry.field(description="Every attribute that has a value, typed; in the model's display order.")
    async def properties(
        self,
        info: Info,
        types: Annotated[
            list[str] | None, strawberry.argument(description="Only attributes of these bk_property_types.")
        ] = None,
    ) -> list[PropertyValue]:
        stored = self.row.get("properties") or {}
        return [
            property_value(attribute, stored[attribute["property_id"]])
            for attribute in await self._attributes(info)
            if stored.get(attribute["property_id"]) is not None
            and (types is None or attribute["property_type"] in types)
        ]

    @strawberry.field(description="One attribute's typed value; null when unset or undeclared.")
    async def property(self, info: Info, property_id: str) -> PropertyValue | None:
        value = (self.row.get("properties") or {}).get(property_id)
        attribute = next((a for a in await self._attributes(info) if a["property_id"] == property_id), None)
        return None if value is None or attribute is None else property_value(attribute, value)

    @strawberry.field(description="The instance as bk-cmdb answers it: every property by bk property id.")
    async def bk_properties(self, info: Info) -> JSON:
        model = await info.context.loaders.cmdb.object.load(self.row["object_id"])
        definition = ModelDefinition(
            object=model, attributes={a["property_id"]: spec_from_row(a) for a in await self._attributes(info)}
        )
        return JSON(instance_properties(definition, self.row))

    @strawberry.field(description="Its model.")
    async def model(self, info: Info) -> ObjectModelRef:
        from opsgraph.schema.types.cmdb_models import ObjectModelType

        return ObjectModelType.from_row(await info.context.loaders.cmdb.object.load(self.row["object_id"]))

    @strawberry.field(description="Its business, when it has one you may see.")
    async def business(self, info: Info) -> BusinessRef | None:
        from opsgraph.schema.types.topology import BusinessType

        if self.bk_biz_id is None or not info.context.caller.can(self.bk_biz_id):
            return None
        row = await info.context.loaders.business.load(self.bk_biz_id)
        return BusinessType.from_row(row) if row else None

    @strawberry.field(description="For a process: the module names it is bound to.")
    async def bound_module_names(self, info: Info) -> list[str]:
        if self.obj_key != "process":
            return []
        names: list[str] = await info.context.loaders.cmdb.bound_modules.load(self.pk)
        return names


async def searchable_models(info: Info) -> Callable[[str], bool]:
    """obj_id → whether the caller may see that model's instances; privileges read once per request."""
    cmdb = info.context.loaders.cmdb
    if cmdb.search_rule is None:
        cmdb.search_rule = await instance_search_rule(info.context.caller)
    rule: Callable[[str], bool] = cmdb.search_rule
    return rule


async def visible_instances(info: Info, ids: list[int]) -> list[InstanceType]:
    """Generic instances by id (any model) that the caller may see, in the order given."""
    rows = await info.context.loaders.cmdb.instance.load_many(ids)
    models = await info.context.loaders.cmdb.object.load_many(sorted({r["object_id"] for r in rows if r}))
    obj_ids = {m["id"]: m["obj_id"] for m in models if m}
    principal = info.context.caller
    searchable = await searchable_models(info)
    return [
        InstanceType.from_row(row, obj_ids[row["object_id"]])
        for row in rows
        if row is not None
        and can_read_instance(principal, row["business_id"])
        and searchable(obj_ids[row["object_id"]])
    ]


async def load_objects(info: Info, keys: list[Key]) -> dict[Key, CmdbObject]:
    """The visible objects among `keys`, built through the request's loaders (one batch per model)."""
    from opsgraph.schema.types.topology import BusinessType, CloudAreaType, HostType, ModuleType, SetType

    principal = info.context.caller
    loaders = info.context.loaders
    by_model: dict[str, list[int]] = defaultdict(list)
    for obj_id, inst_id in dict.fromkeys(keys):
        by_model[obj_id].append(inst_id)
    topology = {
        "biz": (loaders.business, BusinessType.from_row, "id"),
        "set": (loaders.set, SetType.from_row, "business_id"),
        "module": (loaders.module, ModuleType.from_row, "business_id"),
        "host": (loaders.host, HostType.from_row, "business_id"),
        "plat": (loaders.cloud_area, CloudAreaType.from_row, None),
    }

    async def one_model(obj_id: str, ids: list[int]) -> list[tuple[Key, CmdbObject]]:
        if obj_id in topology:
            loader, build, business_key = topology[obj_id]
            rows = await loader.load_many(ids)
            return [
                ((obj_id, row["id"]), cast(CmdbObject, build(row)))
                for row in rows
                if row is not None and (business_key is None or principal.can(row[business_key]))
            ]
        if not (await searchable_models(info))(obj_id):
            return []
        model = await loaders.cmdb.object_by_obj_id.load(obj_id)
        rows = await loaders.cmdb.instance.load_many(ids)
        return [
            ((obj_id, row["id"]), InstanceType.from_row(row, obj_id))
            for row in rows
            if row is not None
            and model is not None
            and row["object_id"] == model["id"]
            and can_read_instance(principal, row["business_id"])
        ]

    found = await asyncio.gather(*(one_model(obj_id, ids) for obj_id, ids in by_model.items()))
    return dict(pair for group in found for pair in group)
