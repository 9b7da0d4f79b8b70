"""Cloud areas as instances of the preset model `plat` (create_inst / update_inst / delete_inst with
bk_obj_id "plat"): rename and delete; creation is topology's create_cloud_area. Areas span
businesses, so only superusers change them. The default area (0) is built in; an area that still
holds hosts is not deleted (as bk-cmdb refuses to, CCErrTopoHasHost).
"""

from __future__ import annotations

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound
from opsgraph.models.topology import CloudArea, Host
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.codes import BUILTIN_OBJECT, CLOUD_AREA_HAS_HOSTS
from opsgraph.resolvers.cmdb.identifiers import check_name
from opsgraph.resolvers.cmdb_events.emit import instance_events, record_events
from opsgraph.resolvers.topology.common import write_transaction

DEFAULT_AREA = 0


def _plat(area_id: int, name: str) -> dict[str, object]:
    return {"bk_cloud_id": area_id, "bk_cloud_name": name, "bk_supplier_account": "0"}


async def _area(area_id: int) -> CloudArea:
    area = await CloudArea.get_or_none(id=area_id)
    if area is None:
        raise NotFound(f"cloud area {area_id} does not exist", field="bk_inst_id")
    return area


async def rename_cloud_area(principal: Principal, area_id: int, name: str) -> CloudArea:
    principal.require_superuser("renaming a cloud area")
    area = await _area(area_id)
    name = check_name(name, "bk_cloud_name")
    if await CloudArea.filter(name=name).exclude(id=area_id).exists():
        raise Duplicate(f"cloud area {name!r} already exists", field="bk_cloud_name")
    before = area.name
    async with write_transaction(f"cloud area {name!r} already exists"):
        area.name = name
        await area.save()
        await record_events(
            instance_events("plat", "update", [(_plat(area_id, name), _plat(area_id, before), None)]),
            principal.username,
        )
        await record_operation(
            principal,
            op_type="update",
            op_target="cloud_area",
            op_desc=f"rename cloud area {before} to {name}",
            inst_id=area_id,
            ext_key=name,
            pre_data={"bk_cloud_name": before},
            cur_data={"bk_cloud_name": name},
        )
    return area


async def delete_cloud_areas(principal: Principal, area_ids: list[int]) -> None:
    principal.require_superuser("deleting a cloud area")
    for area_id in area_ids:
        if area_id == DEFAULT_AREA:
            raise Conflict("the default cloud area is built in", field="bk_inst_id", code=BUILTIN_OBJECT)
        await _area(area_id)
    if await Host.filter(cloud_area_id__in=area_ids).exists():
        raise Conflict(
            "a cloud area that still holds hosts cannot be deleted", field="bk_inst_id", code=CLOUD_AREA_HAS_HOSTS
        )
    async with write_transaction():
        names = dict(await CloudArea.filter(id__in=area_ids).values_list("id", "name"))
        await CloudArea.filter(id__in=area_ids).delete()
        gone = [(None, _plat(area_id, str(names.get(area_id, ""))), None) for area_id in area_ids]
        await record_events(instance_events("plat", "delete", gone), principal.username)
        for area_id in area_ids:
            await record_operation(
                principal,
                op_type="delete",
                op_target="cloud_area",
                op_desc=f"delete cloud area {area_id}",
                inst_id=area_id,
            )
