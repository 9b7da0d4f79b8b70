"""Model-layer mutations: classifications, models, attributes and their groups, unique rules,
association kinds, model associations and the topology graph layout. Superusers only (access.py).

Inputs use GraphQL names; the resolvers take bk-named dicts (the vocabulary the REST rows share).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.resolvers.cmdb import (
    attribute_groups,
    attributes,
    classifications,
    objects,
    unique_rules,
)
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.types.cmdb_models import (
    ClassificationType,
    ObjectAttributeType,
    ObjectModelType,
    UniqueRuleType,
)

UNSET: Any = strawberry.UNSET


def given(**values: Any) -> dict[str, Any]:
    """The input fields the caller set (UNSET ones left out), under their bk names."""
    return {key: value for key, value in values.items() if value is not strawberry.UNSET}


@strawberry.input
class CreateClassificationInput:
    classification_id: str
    name: str
    icon: str | None = None


@strawberry.input
class UpdateClassificationInput:
    bk_id: int
    name: str | None = None
    icon: str | None = None


@strawberry.input
class DeleteByBkIdInput:
    bk_id: int


@strawberry.type
class ClassificationPayload:
    classification: ClassificationType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateObjectModelInput:
    bk_obj_id: str
    name: str
    classification_id: str
    icon: str
    description: str | None = None


@strawberry.input
class UpdateObjectModelInput:
    bk_id: int
    name: str | None = UNSET
    classification_id: str | None = UNSET
    icon: str | None = UNSET
    position: str | None = UNSET
    is_paused: bool | None = UNSET
    description: str | None = UNSET


@strawberry.type
class ObjectModelPayload:
    model: ObjectModelType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AttributeFields:
    name: str | None = UNSET
    group_id: str | None = UNSET
    option: JSON | None = UNSET
    default: JSON | None = UNSET
    is_multiple: bool | None = UNSET
    is_unique: bool | None = UNSET
    is_required: bool | None = UNSET
    editable: bool | None = UNSET
    is_readonly: bool | None = UNSET
    unit: str | None = UNSET
    placeholder: str | None = UNSET
    description: str | None = UNSET

    def as_bk(self) -> dict[str, Any]:
        return given(
            bk_property_name=self.name,
            bk_property_group=self.group_id,
            option=self.option,
            default=self.default,
            ismultiple=self.is_multiple,
            isonly=self.is_unique,
            isrequired=self.is_required,
            editable=self.editable,
            isreadonly=self.is_readonly,
            unit=self.unit,
            placeholder=self.placeholder,
            description=self.description,
        )


@strawberry.input
class CreateObjectAttributeInput(AttributeFields):
    bk_obj_id: str = ""
    property_id: str = ""
    type: str = ""
    target_object_id: str | None = strawberry.field(
        default=None, description="singleasst/multiasst: the model referenced."
    )


@strawberry.input
class UpdateObjectAttributeInput(AttributeFields):
    bk_id: int = 0
    type: str | None = strawberry.field(default=None, description="May repeat the type; a different one is refused.")


@strawberry.type
class ObjectAttributePayload:
    attribute: ObjectAttributeType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateAttributeGroupInput:
    bk_obj_id: str
    group_id: str
    name: str
    index: int | None = None


@strawberry.input
class DeleteAttributeGroupInput:
    bk_obj_id: str
    group_id: str


@strawberry.input
class UniqueRuleInput:
    bk_obj_id: str
    keys: list[str] = strawberry.field(description="Property ids; one for a single-attribute rule.")
    bk_id: int | None = strawberry.field(default=None, description="The rule to change (update only).")


@strawberry.input
class DeleteUniqueRuleInput:
    bk_obj_id: str
    bk_id: int


@strawberry.type
class UniqueRulePayload:
    rule: UniqueRuleType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def as_row(record: Any) -> dict[str, Any]:
    """A freshly written Tortoise record as the `.values()` row the types are built from."""
    return {name: getattr(record, name) for name in record._meta.db_fields}


async def _attribute(info: Info, pk: int) -> ObjectAttributeType:
    row = await attributes.attribute_row(pk)
    return ObjectAttributeType.from_row(row, row["obj_id"], row["isonly"])


async def _rule(obj_id: str, rule_id: int) -> UniqueRuleType:
    from opsgraph.resolvers.cmdb.definitions import load_definition

    definition = await load_definition(obj_id)
    rule = next(r for r in definition.rules if r.id == rule_id)
    return UniqueRuleType(bk_id=rule.id, keys=list(rule.keys), is_preset=rule.is_preset)


async def _model(info: Info, pk: int) -> ObjectModelType:
    return ObjectModelType.from_row(await info.context.loaders.cmdb.object.load(pk))


@strawberry.type
class CmdbModelMutations:
    @strawberry.mutation
    @returns_user_errors(ClassificationPayload)
    async def create_classification(self, info: Info, input: CreateClassificationInput) -> ClassificationPayload:
        row = await classifications.create_classification(
            info.context.caller, input.classification_id, input.name, input.icon
        )
        return ClassificationPayload(classification=ClassificationType.from_row(as_row(row)))

    @strawberry.mutation
    @returns_user_errors(ClassificationPayload)
    async def update_classification(self, info: Info, input: UpdateClassificationInput) -> ClassificationPayload:
        row = await classifications.update_classification(info.context.caller, input.bk_id, input.name, input.icon)
        return ClassificationPayload(classification=ClassificationType.from_row(as_row(row)))

    @strawberry.mutation
    @returns_user_errors(DeletePayload)
    async def delete_classification(self, info: Info, input: DeleteByBkIdInput) -> DeletePayload:
        await classifications.delete_classification(info.context.caller, input.bk_id)
        return DeletePayload(ok=True)

    @strawberry.mutation(description="Creates the model with its Default group, bk_inst_name and a unique rule on it.")
    @returns_user_errors(ObjectModelPayload)
    async def create_object_model(self, info: Info, input: CreateObjectModelInput) -> ObjectModelPayload:
        model = await objects.create_object(
            info.context.caller,
            obj_id=input.bk_obj_id,
            name=input.name,
            classification_id=input.classification_id,
            icon=input.icon,
            description=input.description or "",
        )
        return ObjectModelPayload(model=await _model(info, model.id))

    @strawberry.mutation
    @returns_user_errors(ObjectModelPayload)
    async def update_object_model(self, info: Info, input: UpdateObjectModelInput) -> ObjectModelPayload:
        changes = given(
            bk_obj_name=input.name,
            bk_classification_id=input.classification_id,
            bk_obj_icon=input.icon,
            position=input.position,
            bk_ispaused=input.is_paused,
            description=input.description,
        )
        await objects.update_object(info.context.caller, input.bk_id, changes)
        return ObjectModelPayload(model=await _model(info, input.bk_id))

    @strawberry.mutation(description="Refused for preset models and models with instances or associations.")
    @returns_user_errors(DeletePayload)
    async def delete_object_model(self, info: Info, input: DeleteByBkIdInput) -> DeletePayload:
        await objects.delete_object(info.context.caller, input.bk_id)
        return DeletePayload(ok=True)

    @strawberry.mutation
    @returns_user_errors(ObjectAttributePayload)
    async def create_object_attribute(self, info: Info, input: CreateObjectAttributeInput) -> ObjectAttributePayload:
        data = {
            **input.as_bk(),
            "bk_property_id": input.property_id,
            "bk_property_type": input.type,
            "bk_asst_obj_id": input.target_object_id,
        }
        created = await attributes.create_attribute(info.context.caller, input.bk_obj_id, data)
        return ObjectAttributePayload(attribute=await _attribute(info, created.id))

    @strawberry.mutation
    @returns_user_errors(ObjectAttributePayload)
    async def update_object_attribute(self, info: Info, input: UpdateObjectAttributeInput) -> ObjectAttributePayload:
        await attributes.update_attribute(
            info.context.caller, input.bk_id, {**input.as_bk(), "bk_property_type": input.type}
        )
        return ObjectAttributePayload(attribute=await _attribute(info, input.bk_id))

    @strawberry.mutation(
        description="Refused for preset attributes and attributes in a unique rule; drops stored values."
    )
    @returns_user_errors(DeletePayload)
    async def delete_object_attribute(self, info: Info, input: DeleteByBkIdInput) -> DeletePayload:
        await attributes.delete_attribute(info.context.caller, input.bk_id)
        return DeletePayload(ok=True)

    @strawberry.mutation
    @returns_user_errors(DeletePayload)
    async def create_attribute_group(self, info: Info, input: CreateAttributeGroupInput) -> DeletePayload:
        await attribute_groups.create_group(
            info.context.caller, input.bk_obj_id, input.group_id, input.name, input.index
        )
        return DeletePayload(ok=True)

    @strawberry.mutation
    @returns_user_errors(DeletePayload)
    async def delete_attribute_group(self, info: Info, input: DeleteAttributeGroupInput) -> DeletePayload:
        await attribute_groups.delete_group(info.context.caller, input.bk_obj_id, input.group_id)
        return DeletePayload(ok=True)

    @strawberry.mutation(description="Existing instances are rechecked; a collision refuses the rule.")
    @returns_user_errors(UniqueRulePayload)
    async def create_unique_rule(self, info: Info, input: UniqueRuleInput) -> UniqueRulePayload:
        rule = await unique_rules.create_unique_rule(info.context.caller, input.bk_obj_id, input.keys)
        return UniqueRulePayload(rule=await _rule(input.bk_obj_id, rule.id))

    @strawberry.mutation
    @returns_user_errors(UniqueRulePayload)
    async def update_unique_rule(self, info: Info, input: UniqueRuleInput) -> UniqueRulePayload:
        rule = await unique_rules.update_unique_rule(info.context.caller, input.bk_obj_id, input.bk_id or 0, input.keys)
        return UniqueRulePayload(rule=await _rule(input.bk_obj_id, rule.id))

    @strawberry.mutation
    @returns_user_errors(DeletePayload)
    async def delete_unique_rule(self, info: Info, input: DeleteUniqueRuleInput) -> DeletePayload:
        await unique_rules.delete_unique_rule(info.context.caller, input.bk_obj_id, input.bk_id)
        return DeletePayload(ok=True)
