"""Association kinds (`bk_asst_id`): the preset belong, group, run, connect, default and the reserved
bk_mainline, plus user kinds. Preset kinds are immutable (1101071); a kind some model association
uses is not deleted (1101070).
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.cmdb_instances import AssociationKind, ObjectAssociation
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.access import require_model_admin
from opsgraph.resolvers.cmdb.codes import ASSOCIATION_KIND_IN_USE, ASSOCIATION_KIND_NOT_FOUND, PRESET_ASSOCIATION_KIND
from opsgraph.resolvers.cmdb.identifiers import check_id
from opsgraph.resolvers.topology.common import write_transaction

Row = dict[str, Any]
# bk-cmdb's direction values. Its Go constant DestinationToSource holds "src_to_dest" (a known mix-up
# in src/common/metadata/association.go); the stored strings are what callers see, so they are kept.
DIRECTIONS = frozenset({"none", "src_to_dest", "dest_to_src", "bidirectional"})
TEXT_MAX = 128


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > TEXT_MAX:
        raise ValidationFailed(f"{field} must be a string of at most {TEXT_MAX} characters", field=field)
    return value.strip()


def _direction(value: Any) -> str:
    value = value or "src_to_dest"
    if value not in DIRECTIONS:
        raise ValidationFailed(f"direction must be one of {', '.join(sorted(DIRECTIONS))}", field="direction")
    return str(value)


async def get_kind(asst_id: str) -> AssociationKind:
    kind = await AssociationKind.get_or_none(asst_id=asst_id)
    if kind is None:
        raise NotFound(
            f"association kind {asst_id!r} does not exist", field="bk_asst_id", code=ASSOCIATION_KIND_NOT_FOUND
        )
    return kind


async def create_kind(principal: Principal, data: dict[str, Any]) -> AssociationKind:
    require_model_admin(principal, "creating an association kind")
    asst_id = check_id(data.get("bk_asst_id"), "bk_asst_id")
    if await AssociationKind.exists(asst_id=asst_id):
        raise Duplicate(f"association kind {asst_id!r} already exists", field="bk_asst_id")
    async with write_transaction(f"association kind {asst_id!r} already exists"):
        kind = await AssociationKind.create(
            asst_id=asst_id,
            name=_text(data.get("bk_asst_name"), "bk_asst_name"),
            src_des=_text(data.get("src_des"), "src_des"),
            dest_des=_text(data.get("dest_des"), "dest_des"),
            direction=_direction(data.get("direction")),
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="association_kind",
            op_desc=f"create association kind {asst_id}",
            inst_id=kind.id,
            ext_key=asst_id,
        )
    return kind


async def update_kind(principal: Principal, asst_id: str, data: dict[str, Any]) -> AssociationKind:
    require_model_admin(principal, "changing an association kind")
    kind = await get_kind(asst_id)
    if kind.is_preset:
        raise Conflict("preset association kinds cannot be changed", field="bk_asst_id", code=PRESET_ASSOCIATION_KIND)
    for key, column in (("bk_asst_name", "name"), ("src_des", "src_des"), ("dest_des", "dest_des")):
        if data.get(key) is not None:
            setattr(kind, column, _text(data[key], key))
    if data.get("direction") is not None:
        kind.direction = _direction(data["direction"])
    async with write_transaction():
        await kind.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="association_kind",
            op_desc=f"update association kind {asst_id}",
            inst_id=kind.id,
            ext_key=asst_id,
        )
    return kind


async def delete_kind(principal: Principal, asst_id: str) -> None:
    require_model_admin(principal, "deleting an association kind")
    kind = await get_kind(asst_id)
    if kind.is_preset:
        raise Conflict("preset association kinds cannot be deleted", field="bk_asst_id", code=PRESET_ASSOCIATION_KIND)
    if await ObjectAssociation.exists(kind_id=kind.id):
        raise Conflict(f"model associations use {asst_id!r}", field="bk_asst_id", code=ASSOCIATION_KIND_IN_USE)
    async with write_transaction():
        await kind.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="association_kind",
            op_desc=f"delete association kind {asst_id}",
            inst_id=kind.id,
            ext_key=asst_id,
        )


async def list_kinds() -> list[Row]:
    return list(await AssociationKind.all().order_by("id").values())
