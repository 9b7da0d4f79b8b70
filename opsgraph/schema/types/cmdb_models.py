"""The model layer in the graph: classifications, models, attribute groups, attributes, unique rules,
association kinds and model associations. Built from `.values()` rows; relationships go through
the request's CMDB DataLoaders.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.cmdb.attribute_types import unstored

Row = dict[str, Any]


@strawberry.type(name="Classification")
class ClassificationType:
    bk_id: int = strawberry.field(description="The record id update/delete_classification address.")
    classification_id: str = strawberry.field(description="bk_classification_id")
    name: str
    icon: str
    is_preset: bool = strawberry.field(description='bk_classification_type "inner"')
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row) -> ClassificationType:
        return cls(
            bk_id=row["id"],
            classification_id=row["classification_id"],
            name=row["name"],
            icon=row["icon"],
            is_preset=row["kind"] == "inner",
            row=row,
        )

    @strawberry.field
    async def models(self, info: Info) -> list[ObjectModelType]:
        rows = await info.context.loaders.cmdb.objects_by_classification.load(self.bk_id)
        return [ObjectModelType.from_row(row) for row in rows]


@strawberry.type(name="ObjectModel", description="A model (bk-cmdb object): host, set, bk_switch, or one of yours.")
class ObjectModelType:
    bk_id: int = strawberry.field(description="The record id update/delete_object address.")
    bk_obj_id: str
    name: str
    icon: str
    description: str
    is_preset: bool
    is_paused: bool
    position: str = strawberry.field(description="The front end's node coordinates (JSON text).")
    creator: str
    modifier: str
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row) -> ObjectModelType:
        return cls(
            bk_id=row["id"],
            bk_obj_id=row["obj_id"],
            name=row["name"],
            icon=row["icon"],
            description=row["description"],
            is_preset=row["is_preset"],
            is_paused=row["is_paused"],
            position=row["position"],
            creator=row["creator"],
            modifier=row["modifier"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            row=row,
        )

    @strawberry.field
    async def classification(self, info: Info) -> ClassificationType:
        return ClassificationType.from_row(
            await info.context.loaders.cmdb.classification.load(self.row["classification_id"])
        )

    @strawberry.field(description="Attributes in display order.")
    async def attributes(self, info: Info) -> list[ObjectAttributeType]:
        rows = await info.context.loaders.cmdb.attributes_by_object.load(self.bk_id)
        rules = await info.context.loaders.cmdb.rules_by_object.load(self.bk_id)
        singles = {rule["keys"][0] for rule in rules if len(rule["keys"]) == 1}
        groups = {g["group_id"]: g["name"] for g in await info.context.loaders.cmdb.groups_by_object.load(self.bk_id)}
        return [
            ObjectAttributeType.from_row(row, self.bk_obj_id, row["id"] in singles, groups.get(row["group_id"], ""))
            for row in rows
        ]

    @strawberry.field
    async def groups(self, info: Info) -> list[AttributeGroupType]:
        rows = await info.context.loaders.cmdb.groups_by_object.load(self.bk_id)
        return [AttributeGroupType.from_row(row) for row in rows]

    @strawberry.field
    async def unique_rules(self, info: Info) -> list[UniqueRuleType]:
        rules = await info.context.loaders.cmdb.rules_by_object.load(self.bk_id)
        attributes = {
            a["id"]: a["property_id"] for a in await info.context.loaders.cmdb.attributes_by_object.load(self.bk_id)
        }
        return [
            UniqueRuleType(
                bk_id=rule["id"],
                keys=[attributes[k] for k in rule["keys"] if k in attributes],
                is_preset=rule["is_preset"],
            )
            for rule in rules
        ]


@strawberry.type(name="AttributeGroup")
class AttributeGroupType:
    group_id: str
    name: str
    index: int
    is_default: bool

    @classmethod
    def from_row(cls, row: Row) -> AttributeGroupType:
        return cls(group_id=row["group_id"], name=row["name"], index=row["index"], is_default=row["is_default"])


@strawberry.type(name="UniqueRule", description="Instances may not share these attributes' values (all set).")
class UniqueRuleType:
    bk_id: int
    keys: list[str] = strawberry.field(description="Property ids.")
    is_preset: bool


@strawberry.type(name="ObjectAttribute")
class ObjectAttributeType:
    bk_id: int = strawberry.field(description="The record id update/delete_object_attribute address.")
    bk_obj_id: str
    property_id: str
    name: str
    type: str = strawberry.field(description="bk_property_type")
    group_id: str
    index: int
    unit: str
    placeholder: str
    description: str
    editable: bool
    is_required: bool
    is_readonly: bool
    is_multiple: bool
    is_unique: bool = strawberry.field(description="isonly: the attribute alone is a unique rule.")
    is_preset: bool
    is_system: bool = strawberry.field(description="Kept in a column of the object's own table.")
    option: JSON | None
    default: JSON | None
    group_name: str
    creator: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row, obj_id: str, is_unique: bool, group_name: str = "") -> ObjectAttributeType:
        return cls(
            bk_id=row["id"],
            bk_obj_id=obj_id,
            property_id=row["property_id"],
            name=row["name"],
            type=row["property_type"],
            group_id=row["group_id"],
            index=row["index"],
            unit=row["unit"],
            placeholder=row["placeholder"],
            description=row["description"],
            editable=row["editable"],
            is_required=row["required"],
            is_readonly=row["readonly"],
            is_multiple=row["multiple"],
            is_unique=is_unique,
            is_preset=row["is_preset"],
            is_system=row["is_system"],
            option=unstored(row["option"]),
            default=unstored(row["default"]),
            group_name=row.get("group_name") or group_name,
            creator=row["creator"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@strawberry.type(name="AssociationKind")
class AssociationKindType:
    bk_asst_id: str
    name: str
    src_des: str
    dest_des: str
    direction: str
    is_preset: bool

    @classmethod
    def from_row(cls, row: Row) -> AssociationKindType:
        return cls(
            bk_asst_id=row["asst_id"],
            name=row["name"],
            src_des=row["src_des"],
            dest_des=row["dest_des"],
            direction=row["direction"],
            is_preset=row["is_preset"],
        )


@strawberry.type(name="ObjectAssociation", description="source —kind→ target between two models.")
class ObjectAssociationType:
    bk_id: int
    bk_obj_asst_id: str
    name: str
    mapping: str = strawberry.field(description="1:1, 1:n or n:n")
    on_delete: str = strawberry.field(description="none, delete_src or delete_dest")
    is_preset: bool
    row: strawberry.Private[Row]

    @classmethod
    def from_row(cls, row: Row) -> ObjectAssociationType:
        return cls(
            bk_id=row["id"],
            bk_obj_asst_id=row["obj_asst_id"],
            name=row["name"],
            mapping=row["mapping"],
            on_delete=row["on_delete"],
            is_preset=row["is_preset"],
            row=row,
        )

    @strawberry.field
    async def kind(self, info: Info) -> AssociationKindType:
        return AssociationKindType.from_row(await info.context.loaders.cmdb.kind.load(self.row["kind_id"]))

    @strawberry.field
    async def source(self, info: Info) -> ObjectModelType:
        return ObjectModelType.from_row(await info.context.loaders.cmdb.object.load(self.row["source_id"]))

    @strawberry.field
    async def target(self, info: Info) -> ObjectModelType:
        return ObjectModelType.from_row(await info.context.loaders.cmdb.object.load(self.row["target_id"]))
