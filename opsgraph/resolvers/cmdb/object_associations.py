"""Model associations: `source —kind→ target` with a mapping (1:1, 1:n, n:n) every instance link is
checked against, and an on_delete rule (none, delete_src, delete_dest) instance deletes follow.

The id is bk-cmdb's convention `<source>_<kind>_<target>` (e.g. bk_switch_connect_host). The
reserved kind bk_mainline is refused (1101082); preset associations (the mainline chain, plat→host)
are immutable (1101055); an association that still has instance links is not deleted (1101043).
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.cmdb_instances import InstanceAssociation, ObjectAssociation
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.access import require_model_admin
from opsgraph.resolvers.cmdb.association_kinds import get_kind
from opsgraph.resolvers.cmdb.codes import (
    ASSOCIATION_INSTANTIATED,
    ASSOCIATION_NOT_FOUND,
    MAINLINE_ASSOCIATION,
    PRESET_ASSOCIATION,
)
from opsgraph.resolvers.cmdb.definitions import load_object
from opsgraph.resolvers.cmdb.identifiers import check_id
from opsgraph.resolvers.cmdb.preset_data import MAINLINE_KIND
from opsgraph.resolvers.topology.common import write_transaction

Row = dict[str, Any]
MAPPINGS = frozenset({"1:1", "1:n", "n:n"})
ON_DELETE = frozenset({"none", "delete_src", "delete_dest"})
NAME_MAX = 128
# What find_object_association filters on (bk names) → the query lookups behind them.
FILTERS = {
    "bk_obj_asst_id": "obj_asst_id",
    "bk_asst_id": "kind__asst_id",
    "bk_obj_id": "source__obj_id",
    "bk_asst_obj_id": "target__obj_id",
    "id": "id",
}
ROW_FIELDS = {
    "asst_id": "kind__asst_id",
    "asst_name": "kind__name",
    "obj_id": "source__obj_id",
    "obj_name": "source__name",
    "asst_obj_id": "target__obj_id",
    "asst_obj_name": "target__name",
}


def _choice(value: Any, allowed: frozenset[str], field: str, default: str) -> str:
    value = value or default
    if value not in allowed:
        raise ValidationFailed(f"{field} must be one of {', '.join(sorted(allowed))}", field=field)
    return str(value)


def _name(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > NAME_MAX:
        raise ValidationFailed(f"bk_obj_asst_name must be at most {NAME_MAX} characters", field="bk_obj_asst_name")
    return value.strip()


async def get_association(obj_asst_id: str) -> ObjectAssociation:
    found = await ObjectAssociation.get_or_none(obj_asst_id=obj_asst_id)
    if found is None:
        raise NotFound(
            f"model association {obj_asst_id!r} does not exist", field="bk_obj_asst_id", code=ASSOCIATION_NOT_FOUND
        )
    return found


async def create_association(principal: Principal, data: dict[str, Any]) -> ObjectAssociation:
    """`data` by bk name: bk_obj_id*, bk_asst_id*, bk_asst_obj_id*, mapping, on_delete, bk_obj_asst_name."""
    require_model_admin(principal, "creating a model association")
    source = await load_object(check_id(data.get("bk_obj_id"), "bk_obj_id"))
    target = await load_object(check_id(data.get("bk_asst_obj_id"), "bk_asst_obj_id"))
    kind = await get_kind(check_id(data.get("bk_asst_id"), "bk_asst_id"))
    if kind.asst_id == MAINLINE_KIND:
        raise ValidationFailed(
            "bk_mainline is reserved for the topology", field="bk_asst_id", code=MAINLINE_ASSOCIATION
        )
    obj_asst_id = f"{source['obj_id']}_{kind.asst_id}_{target['obj_id']}"
    given = data.get("bk_obj_asst_id")
    if given not in (None, "", obj_asst_id):
        raise ValidationFailed(f"bk_obj_asst_id must be {obj_asst_id!r} (source_kind_target)", field="bk_obj_asst_id")
    if await ObjectAssociation.exists(obj_asst_id=obj_asst_id):
        raise Duplicate(f"model association {obj_asst_id!r} already exists", field="bk_obj_asst_id")
    async with write_transaction(f"model association {obj_asst_id!r} already exists"):
        created = await ObjectAssociation.create(
            obj_asst_id=obj_asst_id,
            name=_name(data.get("bk_obj_asst_name")),
            source_id=source["id"],
            target_id=target["id"],
            kind_id=kind.id,
            mapping=_choice(data.get("mapping"), MAPPINGS, "mapping", "n:n"),
            on_delete=_choice(data.get("on_delete"), ON_DELETE, "on_delete", "none"),
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="object_association",
            op_desc=f"create model association {obj_asst_id}",
            inst_id=created.id,
            ext_key=obj_asst_id,
            cur_data={"mapping": created.mapping, "on_delete": created.on_delete},
        )
    return created


async def update_association(principal: Principal, obj_asst_id: str, data: dict[str, Any]) -> ObjectAssociation:
    """Name and on_delete may change; the mapping too while no instance link exists."""
    require_model_admin(principal, "changing a model association")
    found = await get_association(obj_asst_id)
    if found.is_preset:
        raise Conflict("preset model associations cannot be changed", field="bk_obj_asst_id", code=PRESET_ASSOCIATION)
    before = {"mapping": found.mapping, "on_delete": found.on_delete, "name": found.name}
    if data.get("bk_obj_asst_name") is not None:
        found.name = _name(data["bk_obj_asst_name"])
    if data.get("on_delete") is not None:
        found.on_delete = _choice(data["on_delete"], ON_DELETE, "on_delete", "none")
    if data.get("mapping") is not None and data["mapping"] != found.mapping:
        found.mapping = _choice(data["mapping"], MAPPINGS, "mapping", "n:n")
        if await InstanceAssociation.exists(object_association_id=found.id):
            raise Conflict(
                "the mapping of an association with instance links cannot change",
                field="mapping",
                code=ASSOCIATION_INSTANTIATED,
            )
    async with write_transaction():
        await found.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="object_association",
            op_desc=f"update model association {obj_asst_id}",
            inst_id=found.id,
            ext_key=obj_asst_id,
            pre_data=before,
            cur_data={"mapping": found.mapping, "on_delete": found.on_delete, "name": found.name},
        )
    return found


async def delete_association(principal: Principal, obj_asst_id: str) -> None:
    require_model_admin(principal, "deleting a model association")
    found = await get_association(obj_asst_id)
    if found.is_preset:
        raise Conflict("preset model associations cannot be deleted", field="bk_obj_asst_id", code=PRESET_ASSOCIATION)
    if await InstanceAssociation.exists(object_association_id=found.id):
        raise Conflict(f"{obj_asst_id!r} still links instances", field="bk_obj_asst_id", code=ASSOCIATION_INSTANTIATED)
    async with write_transaction():
        await found.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="object_association",
            op_desc=f"delete model association {obj_asst_id}",
            inst_id=found.id,
            ext_key=obj_asst_id,
        )


async def find_associations(filters: dict[str, Any]) -> list[Row]:
    """Equality filters by bk name (FILTERS); an empty string means "any", as in the doc's example."""
    query = ObjectAssociation.all()
    for key, value in filters.items():
        if value is None or value == "":
            continue
        lookup = FILTERS.get(key)
        if lookup is None:
            raise ValidationFailed(f"cannot filter model associations by {key!r}", field=key)
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise ValidationFailed(f"{key} must be a string", field=key)
        query = query.filter(**{lookup: value})
    return list(await query.order_by("id").values(*ObjectAssociation._meta.db_fields, **ROW_FIELDS))
