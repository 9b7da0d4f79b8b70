"""Built-in records every estate has: the default cloud area and the resource-pool business."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from opsgraph.models.topology import (
    BUILTIN_MODULE_NAMES,
    DEFAULT_CLOUD_AREA_NAME,
    IDLE_POOL_SET_NAME,
    RESOURCE_POOL_NAME,
    Business,
    CloudArea,
    Module,
    Set,
)
from opsgraph.resolvers.cmdb.presets import ensure_cmdb_presets


async def create_idle_pool(business: Business) -> Set:
    """The built-in set with the idle, fault and recycle modules (bk-cmdb `default` 1/2/3)."""
    idle_set = await Set.create(business=business, name=IDLE_POOL_SET_NAME, parent_id=business.id, default=1)
    for flag, name in BUILTIN_MODULE_NAMES.items():
        await Module.create(business=business, set=idle_set, name=name, default=int(flag))
    return idle_set


async def ensure_builtin_records() -> None:
    async with in_transaction():
        if not await CloudArea.exists(id=0):
            await CloudArea.create(id=0, name=DEFAULT_CLOUD_AREA_NAME)
        if not await Business.exists(default=1):
            pool = await Business.create(name=RESOURCE_POOL_NAME, default=1)
            await create_idle_pool(pool)
    # The CMDB model layer's preset classifications, models, attributes and associations.
    await ensure_cmdb_presets()


async def resource_pool() -> Business:
    return await Business.get(default=1)
