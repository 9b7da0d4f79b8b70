"""Attribute groups of a model: create and delete. A model's default (and preset) groups stay; a
group that still holds attributes is not deleted."""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound
from opsgraph.models.cmdb_models import Attribute, AttributeGroup
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.access import require_model_admin
from opsgraph.resolvers.cmdb.codes import BUILTIN_OBJECT, MODEL_NOT_FOUND
from opsgraph.resolvers.cmdb.definitions import load_object
from opsgraph.resolvers.cmdb.identifiers import check_id, check_name
from opsgraph.resolvers.topology.common import write_transaction


async def create_group(
    principal: Principal, obj_id: str, group_id: Any, name: Any, index: int | None
) -> AttributeGroup:
    require_model_admin(principal, "creating an attribute group")
    model = await load_object(obj_id)
    group_id = check_id(group_id, "bk_group_id")
    name = check_name(name, "bk_group_name")
    if await AttributeGroup.exists(object_id=model["id"], group_id=group_id):
        raise Duplicate(f"model {obj_id!r} already has group {group_id!r}", field="bk_group_id")
    if await AttributeGroup.exists(object_id=model["id"], name=name):
        raise Duplicate(f"model {obj_id!r} already has a group named {name!r}", field="bk_group_name")
    async with write_transaction("the group already exists"):
        group = await AttributeGroup.create(object_id=model["id"], group_id=group_id, name=name, index=index or 0)
        await record_operation(
            principal,
            op_type="create",
            op_target="attribute_group",
            op_desc=f"create attribute group {group_id} of {obj_id}",
            inst_id=group.id,
            ext_key=f"{obj_id}.{group_id}",
        )
    return group


async def delete_group(principal: Principal, obj_id: str, group_id: str) -> None:
    require_model_admin(principal, "deleting an attribute group")
    model = await load_object(obj_id)
    group = await AttributeGroup.get_or_none(object_id=model["id"], group_id=group_id)
    if group is None:
        raise NotFound(f"model {obj_id!r} has no group {group_id!r}", field="bk_group_id", code=MODEL_NOT_FOUND)
    if group.is_default or group.is_preset:
        raise Conflict("the model's default groups cannot be deleted", field="bk_group_id", code=BUILTIN_OBJECT)
    if await Attribute.exists(object_id=model["id"], group_id=group_id):
        raise Conflict("the group still holds attributes", field="bk_group_id")
    async with write_transaction():
        await group.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="attribute_group",
            op_desc=f"delete attribute group {group_id} of {obj_id}",
            inst_id=group.id,
            ext_key=f"{obj_id}.{group_id}",
        )
