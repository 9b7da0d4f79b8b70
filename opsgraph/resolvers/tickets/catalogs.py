"""Service catalogs: the tree services are filed in (bk-itsm's 服务目录).

Shared by every business and written by superusers only, like services. A catalog moves under
another parent with its whole subtree (levels follow); it cannot move under itself or below the
nesting limit. Deleting one is refused while services (enabled or disabled: a disabled service
keeps its tickets readable and still points at it) or child catalogs use it, and the built-in
approval catalog is neither changed nor deleted.
"""

from __future__ import annotations

import re
from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, NotFound, ValidationFailed
from opsgraph.models.tickets import Service, ServiceCatalog
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.tickets.fields import _text
from opsgraph.resolvers.topology.common import write_transaction

MAX_CATALOG_LEVEL = 5
APPROVAL_CATALOG_KEY = "approve_service_catalog"
_CATALOG_KEY = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def _key(value: Any) -> str:
    if not isinstance(value, str) or not _CATALOG_KEY.match(value):
        raise ValidationFailed("key must be 1-64 letters, digits or _", field="key")
    return value


async def get_catalog(catalog_id: int, field: str = "catalogId") -> ServiceCatalog:
    catalog = await ServiceCatalog.get_or_none(id=catalog_id)
    if catalog is None:
        raise NotFound(f"catalog {catalog_id} does not exist", field=field, code="CATALOG_NOT_FOUND")
    return catalog


async def create_catalog(
    principal: Principal, *, key: str, name: str, desc: str = "", parent_id: int | None = None
) -> ServiceCatalog:
    principal.require_superuser("creating a service catalog")
    _key(key)
    level = 0
    if parent_id is not None:
        level = (await get_catalog(parent_id, "parentId")).level + 1
        if level > MAX_CATALOG_LEVEL:
            raise ValidationFailed(f"catalogs nest at most {MAX_CATALOG_LEVEL} levels", field="parentId")
    async with write_transaction(f"a catalog with key {key!r} exists"):
        catalog = await ServiceCatalog.create(
            key=key,
            name=_text(name, "name", limit=128, required=True),
            desc=_text(desc, "desc", limit=1024),
            parent_id=parent_id,
            level=level,
            created_by=principal.username,
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="service_catalog",
            op_desc=f"create catalog {key}",
            inst_id=catalog.id,
        )
    return catalog


async def _subtree(root_id: int) -> dict[int, int]:
    """Every catalog under `root_id` (itself included) → its depth below it."""
    depths = {root_id: 0}
    frontier = [root_id]
    while frontier:
        rows = await ServiceCatalog.filter(parent_id__in=frontier).values("id", "parent_id")
        frontier = []
        for row in rows:
            depths[int(row["id"])] = depths[int(row["parent_id"])] + 1
            frontier.append(int(row["id"]))
    return depths


async def update_catalog(principal: Principal, catalog_id: int, changes: dict[str, Any]) -> ServiceCatalog:
    """`changes`: key, name, desc, and `parent_id` (None: a root) when moving it."""
    principal.require_superuser("changing a service catalog")
    catalog = await get_catalog(catalog_id)
    if catalog.key == APPROVAL_CATALOG_KEY:
        raise Conflict("the built-in approval catalog cannot be changed", code="BUILTIN_CATALOG")
    columns: dict[str, Any] = {}
    if "key" in changes:
        columns["key"] = _key(changes["key"])
    if "name" in changes:
        columns["name"] = _text(changes["name"], "name", limit=128, required=True)
    if "desc" in changes:
        columns["desc"] = _text(changes["desc"], "desc", limit=1024)
    levels: dict[int, int] = {}
    if "parent_id" in changes:
        parent_id = changes["parent_id"]
        subtree = await _subtree(catalog_id)
        level = 0
        if parent_id is not None:
            if parent_id in subtree:
                raise ValidationFailed("a catalog cannot move under itself or its children", field="parentId")
            level = (await get_catalog(parent_id, "parentId")).level + 1
        if level + max(subtree.values()) > MAX_CATALOG_LEVEL:
            raise ValidationFailed(f"catalogs nest at most {MAX_CATALOG_LEVEL} levels", field="parentId")
        columns["parent_id"] = parent_id
        levels = {node: level + depth for node, depth in subtree.items()}
    async with write_transaction(f"a catalog with key {columns.get('key')!r} exists"):
        if columns:
            await ServiceCatalog.filter(id=catalog_id).update(**columns)
        for node, level in levels.items():
            await ServiceCatalog.filter(id=node).update(level=level)
        await record_operation(
            principal,
            op_type="update",
            op_target="service_catalog",
            op_desc=f"update catalog {catalog.key}",
            inst_id=catalog_id,
            pre_data={"key": catalog.key, "name": catalog.name, "desc": catalog.desc, "parent_id": catalog.parent_id},
            cur_data=columns,
        )
    return await get_catalog(catalog_id)


async def delete_catalog(principal: Principal, catalog_id: int) -> None:
    principal.require_superuser("deleting a service catalog")
    catalog = await get_catalog(catalog_id)
    if catalog.key == APPROVAL_CATALOG_KEY:
        raise Conflict("the built-in approval catalog cannot be deleted", code="BUILTIN_CATALOG")
    async with write_transaction():
        children = await ServiceCatalog.filter(parent_id=catalog_id).count()
        if children:
            raise Conflict(
                f"catalog {catalog.key} still has {children} child catalog(s): move or delete them first",
                field="catalogId",
                code="CATALOG_IN_USE",
            )
        enabled = await Service.filter(catalog_id=catalog_id, enabled=True).count()
        disabled = await Service.filter(catalog_id=catalog_id, enabled=False).count()
        if enabled or disabled:
            raise Conflict(
                f"catalog {catalog.key} is used by {enabled} service(s) and {disabled} deleted service(s) "
                "kept for their tickets: move them to another catalog first",
                field="catalogId",
                code="CATALOG_IN_USE",
            )
        await ServiceCatalog.filter(id=catalog_id).delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="service_catalog",
            op_desc=f"delete catalog {catalog.key}",
            inst_id=catalog_id,
            pre_data={"key": catalog.key, "name": catalog.name},
        )
