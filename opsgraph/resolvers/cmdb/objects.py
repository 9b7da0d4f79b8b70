"""Models (bk-cmdb "objects"): create with upstream's side effects, update, delete with its refusals,
search.

create_object also creates the attribute group `Default` (index -1), the required name attribute
`bk_inst_name` and a unique rule on it (TencentBlueKing/bk-cmdb topo_server logics/model/object.go).
delete_object is refused for preset models (1101135), models with instances (1101037) and models
in any model association (1101053).
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.cmdb_instances import Instance, ObjectAssociation
from opsgraph.models.cmdb_models import Attribute, AttributeGroup, Classification, ObjectModel, TopoGraphicsNode
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.access import require_model_admin
from opsgraph.resolvers.cmdb.classifications import check_icon
from opsgraph.resolvers.cmdb.codes import (
    BUILTIN_OBJECT,
    CLASSIFICATION_MISSING,
    CLASSIFICATION_NOT_FOUND,
    MODEL_HAS_ASSOCIATIONS,
    MODEL_HAS_INSTANCES,
    MODEL_NOT_FOUND,
    PRESET_MODEL,
    REQUIRED,
)
from opsgraph.resolvers.cmdb.identifiers import check_id, check_name
from opsgraph.resolvers.cmdb.unique_rules import create_rule_row
from opsgraph.resolvers.topology.common import write_transaction

Row = dict[str, Any]
DEFAULT_GROUP_ID = "default"
DEFAULT_GROUP_NAME = "Default"
# What bk-cmdb's search_objects accepts as equality filters, and the column behind each.
SEARCH_FILTERS = {
    "bk_obj_id": "obj_id",
    "bk_obj_name": "name",
    "creator": "creator",
    "modifier": "modifier",
    "ispre": "is_preset",
    "bk_ispaused": "is_paused",
    "id": "id",
}


def snapshot(model: ObjectModel, classification_id: str) -> Row:
    return {
        "id": model.id,
        "bk_obj_id": model.obj_id,
        "bk_obj_name": model.name,
        "bk_classification_id": classification_id,
        "bk_obj_icon": model.icon,
        "ispre": model.is_preset,
        "bk_ispaused": model.is_paused,
    }


async def get_object(pk: int) -> ObjectModel:
    found = await ObjectModel.get_or_none(id=pk)
    if found is None:
        raise NotFound(f"model {pk} does not exist", field="id", code=MODEL_NOT_FOUND)
    return found


async def _classification_pk(classification_id: Any, code: str) -> tuple[int, str]:
    classification_id = check_id(classification_id, "bk_classification_id")
    row = await Classification.get_or_none(classification_id=classification_id)
    if row is None:
        raise NotFound(f"classification {classification_id!r} does not exist", field="bk_classification_id", code=code)
    return row.id, classification_id


async def _check_unique_name(name: str, exclude: int | None = None) -> None:
    query = ObjectModel.filter(name=name)
    if exclude is not None:
        query = query.exclude(id=exclude)
    if await query.exists():
        raise Duplicate(f"model name {name!r} is already used", field="bk_obj_name")


async def create_object(
    principal: Principal,
    *,
    obj_id: Any,
    name: Any,
    classification_id: Any,
    icon: Any,
    description: str = "",
) -> ObjectModel:
    require_model_admin(principal, "creating a model")
    obj_id = check_id(obj_id, "bk_obj_id")
    name = check_name(name, "bk_obj_name")
    if not icon:
        raise ValidationFailed("bk_obj_icon is required", field="bk_obj_icon", code=REQUIRED)
    icon = check_icon(icon, "bk_obj_icon")
    classification_pk, classification_text = await _classification_pk(classification_id, CLASSIFICATION_MISSING)
    if await ObjectModel.exists(obj_id=obj_id):
        raise Duplicate(f"model {obj_id!r} already exists", field="bk_obj_id")
    await _check_unique_name(name)
    async with write_transaction(f"model {obj_id!r} already exists"):
        model = await ObjectModel.create(
            obj_id=obj_id,
            name=name,
            classification_id=classification_pk,
            icon=icon,
            description=description or "",
            creator=principal.username,
            modifier=principal.username,
        )
        await AttributeGroup.create(
            object_id=model.id, group_id=DEFAULT_GROUP_ID, name=DEFAULT_GROUP_NAME, index=-1, is_default=True
        )
        name_attribute = await Attribute.create(
            object_id=model.id,
            property_id="bk_inst_name",
            name="实例名",
            property_type="singlechar",
            group_id=DEFAULT_GROUP_ID,
            required=True,
            is_preset=True,
            creator=principal.username,
        )
        await create_rule_row(model.id, [name_attribute.id], is_preset=False)
        await record_operation(
            principal,
            op_type="create",
            op_target="object",
            op_desc=f"create model {obj_id}",
            inst_id=model.id,
            ext_key=obj_id,
            cur_data=snapshot(model, classification_text),
        )
    return model


async def update_object(principal: Principal, pk: int, changes: dict[str, Any]) -> ObjectModel:
    """`changes` by bk name: bk_obj_name, bk_classification_id, bk_obj_icon, position, bk_ispaused,
    description. Preset models only take `position` (the front end moves every node)."""
    require_model_admin(principal, "changing a model")
    model = await get_object(pk)
    classification = await Classification.get(id=model.classification_id)
    before = snapshot(model, classification.classification_id)
    current = {**before, "position": model.position, "description": model.description}
    # Callers send the whole record (the doc requires bk_classification_id every time): a value
    # equal to the stored one is no change.
    changes = {key: value for key, value in changes.items() if value is not None and current.get(key) != value}
    if model.is_preset and set(changes) - {"position"}:
        raise Conflict("preset models only accept a new position", field="id", code=BUILTIN_OBJECT)
    if changes.get("bk_obj_name") is not None:
        model.name = check_name(changes["bk_obj_name"], "bk_obj_name")
        await _check_unique_name(model.name, exclude=pk)
    if changes.get("bk_classification_id"):
        model.classification_id, text = await _classification_pk(
            changes["bk_classification_id"], CLASSIFICATION_NOT_FOUND
        )
        before_text, classification.classification_id = classification.classification_id, text
        before["bk_classification_id"] = before_text
    if changes.get("bk_obj_icon") is not None:
        model.icon = check_icon(changes["bk_obj_icon"], "bk_obj_icon")
    if changes.get("position") is not None:
        position = changes["position"]
        if not isinstance(position, str) or len(position) > 65536:
            raise ValidationFailed("position must be a JSON object in a string", field="position")
        model.position = position
    if changes.get("bk_ispaused") is not None:
        if not isinstance(changes["bk_ispaused"], bool):
            raise ValidationFailed("bk_ispaused must be a boolean", field="bk_ispaused")
        model.is_paused = changes["bk_ispaused"]
    if changes.get("description") is not None:
        model.description = str(changes["description"])[:1024]
    model.modifier = principal.username
    async with write_transaction("model name is already used"):
        await model.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="object",
            op_desc=f"update model {model.obj_id}",
            inst_id=pk,
            ext_key=model.obj_id,
            pre_data=before,
            cur_data=snapshot(model, classification.classification_id),
        )
    return model


async def delete_object(principal: Principal, pk: int) -> None:
    require_model_admin(principal, "deleting a model")
    model = await get_object(pk)
    if model.is_preset:
        raise Conflict(f"model {model.obj_id!r} is built in", field="id", code=PRESET_MODEL)
    if await Instance.exists(object_id=pk):
        raise Conflict(f"model {model.obj_id!r} still has instances", field="id", code=MODEL_HAS_INSTANCES)
    if await ObjectAssociation.filter(Q(source_id=pk) | Q(target_id=pk)).exists():
        raise Conflict(
            f"model {model.obj_id!r} takes part in a model association", field="id", code=MODEL_HAS_ASSOCIATIONS
        )
    classification = await Classification.get(id=model.classification_id)
    before = snapshot(model, classification.classification_id)
    async with write_transaction():
        await TopoGraphicsNode.filter(obj_id=model.obj_id).delete()
        await model.delete()  # attributes, groups and unique rules go with it (CASCADE)
        await record_operation(
            principal,
            op_type="delete",
            op_target="object",
            op_desc=f"delete model {model.obj_id}",
            inst_id=pk,
            ext_key=model.obj_id,
            pre_data=before,
        )


async def search_objects(principal: Principal, filters: dict[str, Any]) -> list[Row]:
    """Equality filters by bk name (see SEARCH_FILTERS, plus bk_classification_id); ordered by id."""
    query = ObjectModel.all()
    for key, value in filters.items():
        if value is None or value == "":
            continue  # the doc's examples send empty strings for "any"
        if key == "bk_classification_id":
            query = query.filter(classification__classification_id=value)
        elif key in SEARCH_FILTERS:
            query = query.filter(**{SEARCH_FILTERS[key]: value})
        else:
            raise ValidationFailed(f"cannot search models by {key!r}", field=key)
    return list(await query.order_by("id").values())
