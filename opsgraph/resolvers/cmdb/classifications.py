"""Model classifications: create, update, delete, search. Preset ("inner") ones are immutable."""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.cmdb_models import Classification, ObjectModel
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.access import require_model_admin
from opsgraph.resolvers.cmdb.codes import BUILTIN_OBJECT, CLASSIFICATION_HAS_MODELS, CLASSIFICATION_NOT_FOUND
from opsgraph.resolvers.cmdb.identifiers import check_id, check_name
from opsgraph.resolvers.topology.common import write_transaction

Row = dict[str, Any]
ICON_MAX_LENGTH = 128


def snapshot(row: Classification) -> Row:
    return {
        "id": row.id,
        "bk_classification_id": row.classification_id,
        "bk_classification_name": row.name,
        "bk_classification_icon": row.icon,
        "bk_classification_type": row.kind,
    }


def check_icon(icon: Any, field: str) -> str:
    if icon is None:
        return ""
    if not isinstance(icon, str) or len(icon) > ICON_MAX_LENGTH:
        raise ValidationFailed(f"{field} must be an icon name of at most {ICON_MAX_LENGTH} characters", field=field)
    return icon.strip()


async def _check_unique_name(name: str, exclude: int | None = None) -> None:
    query = Classification.filter(name=name)
    if exclude is not None:
        query = query.exclude(id=exclude)
    if await query.exists():
        raise Duplicate(f"classification name {name!r} is already used", field="bk_classification_name")


async def get_classification(pk: int) -> Classification:
    found = await Classification.get_or_none(id=pk)
    if found is None:
        raise NotFound(f"classification {pk} does not exist", field="id", code=CLASSIFICATION_NOT_FOUND)
    return found


async def create_classification(principal: Principal, classification_id: Any, name: Any, icon: Any) -> Classification:
    require_model_admin(principal, "creating a classification")
    classification_id = check_id(classification_id, "bk_classification_id")
    name = check_name(name, "bk_classification_name")
    icon = check_icon(icon, "bk_classification_icon")
    if await Classification.exists(classification_id=classification_id):
        raise Duplicate(f"classification {classification_id!r} already exists", field="bk_classification_id")
    await _check_unique_name(name)
    async with write_transaction(f"classification {classification_id!r} already exists"):
        created = await Classification.create(classification_id=classification_id, name=name, icon=icon)
        await record_operation(
            principal,
            op_type="create",
            op_target="classification",
            op_desc=f"create classification {classification_id}",
            inst_id=created.id,
            ext_key=classification_id,
            cur_data=snapshot(created),
        )
    return created


async def update_classification(principal: Principal, pk: int, name: Any = None, icon: Any = None) -> Classification:
    require_model_admin(principal, "changing a classification")
    found = await get_classification(pk)
    if found.kind == "inner":
        raise Conflict("preset classifications cannot be changed", field="id", code=BUILTIN_OBJECT)
    before = snapshot(found)
    if name is not None:
        found.name = check_name(name, "bk_classification_name")
        await _check_unique_name(found.name, exclude=pk)
    if icon is not None:
        found.icon = check_icon(icon, "bk_classification_icon")
    async with write_transaction("classification name is already used"):
        await found.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="classification",
            op_desc=f"update classification {found.classification_id}",
            inst_id=pk,
            ext_key=found.classification_id,
            pre_data=before,
            cur_data=snapshot(found),
        )
    return found


async def delete_classification(principal: Principal, pk: int) -> None:
    require_model_admin(principal, "deleting a classification")
    found = await get_classification(pk)
    if found.kind == "inner":
        raise Conflict("preset classifications cannot be deleted", field="id", code=BUILTIN_OBJECT)
    if await ObjectModel.exists(classification_id=pk):
        raise Conflict("the classification still holds models", field="id", code=CLASSIFICATION_HAS_MODELS)
    before = snapshot(found)
    async with write_transaction():
        await found.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="classification",
            op_desc=f"delete classification {found.classification_id}",
            inst_id=pk,
            ext_key=found.classification_id,
            pre_data=before,
        )


async def search_classifications(principal: Principal) -> list[Row]:
    """Every classification; any authenticated caller may read the model layer."""
    return list(await Classification.all().order_by("id").values())
