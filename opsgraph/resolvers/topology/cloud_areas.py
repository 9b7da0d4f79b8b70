"""Cloud areas (bk-cmdb `plat`): network areas that hosts live in. Id 0 is the built-in default area.

Areas span businesses, so only a superuser creates them. Agent installs in an area other than 0 are
reached through that area's PROXY (see resolvers/agents).
"""

from __future__ import annotations

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Duplicate, ValidationFailed
from opsgraph.models.topology import CloudArea
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.topology.common import write_transaction


async def create_cloud_area(principal: Principal, name: str) -> CloudArea:
    principal.require_superuser("creating a cloud area")
    name = name.strip()
    if not name or len(name) > 128:
        raise ValidationFailed("a cloud area name of 1–128 characters is required", field="name")
    if await CloudArea.exists(name=name):
        raise Duplicate(f"cloud area {name!r} already exists", field="name")
    async with write_transaction(f"cloud area {name!r} already exists"):
        area = await CloudArea.create(name=name)
        await record_operation(
            principal,
            op_type="create",
            op_target="cloud_area",
            op_desc=f"create cloud area {name}",
            inst_id=area.id,
            ext_key=name,
            cur_data={"bk_cloud_id": area.id, "bk_cloud_name": name},
        )
    return area
