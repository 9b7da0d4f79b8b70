"""Modules: create, update, delete, search — within one set of one business."""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.topology import BuiltinModule, HostModule, Module
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.instance_values import Unknown
from opsgraph.resolvers.cmdb.mainline_attributes import checked_custom_attributes
from opsgraph.resolvers.cmdb_events.emit import instance_events, record_events
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import (
    check_page,
    check_writable,
    snapshot,
    sort_columns,
    write_transaction,
)
from opsgraph.resolvers.topology.conditions import equality_filter
from opsgraph.resolvers.topology.sets import authorize_topology, get_set


async def get_module(
    principal: Principal,
    business_id: int,
    module_id: int,
    minimum_role: str = "viewer",
    set_id: int | None = None,
) -> Module:
    await get_business(principal, business_id, minimum_role)
    found = await Module.get_or_none(id=module_id)
    # A module of a business the caller has no role on is answered like a missing one.
    if found is None or not principal.can(found.business_id):
        raise NotFound(f"module {module_id} does not exist", field="moduleId")
    if found.business_id != business_id:
        raise Conflict(
            f"module {module_id} is not in business {business_id}",
            field="moduleId",
            code="MODULE_NOT_IN_BUSINESS",
        )
    if set_id is not None and found.set_id != set_id:
        raise Conflict(f"module {module_id} is not in set {set_id}", field="moduleId", code="MODULE_NOT_IN_SET")
    return found


async def _check_unique_name(set_id: int, name: str, exclude_id: int | None = None) -> None:
    query = Module.filter(set_id=set_id, name=name)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise Duplicate(f"module name {name!r} is already used in set {set_id}", field="name")


async def create_module(
    principal: Principal,
    business_id: int,
    set_id: int,
    columns: dict[str, Any],
    custom: dict[str, Any],
    *,
    unknown: Unknown = "refuse",
) -> Module:
    parent = await get_set(principal, business_id, set_id, "maintainer")
    await authorize_topology(principal, business_id, "module", "create")
    if parent.default != 0:
        raise Conflict("modules cannot be added to the built-in idle pool set", code="BUILTIN_OBJECT")
    columns.pop("set_id", None)
    check_writable("module", columns)
    custom = await checked_custom_attributes("module", custom, unknown=unknown, creating=True)
    name = (columns.get("name") or "").strip()
    if not name:
        raise ValidationFailed("module name is required", field="name")
    await _check_unique_name(set_id, name)
    async with write_transaction("module name is already used"):
        created = await Module.create(
            **{**columns, "name": name}, business_id=business_id, set_id=set_id, attributes=custom
        )
        changes = [(snapshot("module", created), None, business_id)]
        await record_events(instance_events("module", "create", changes), principal.username)
        await record_operation(
            principal,
            op_type="create",
            op_target="module",
            op_desc=f"create module {name}",
            business_id=business_id,
            inst_id=created.id,
            cur_data=snapshot("module", created),
        )
    return created


async def update_module(
    principal: Principal,
    business_id: int,
    set_id: int | None,
    module_id: int,
    columns: dict[str, Any],
    custom: dict[str, Any],
    *,
    unknown: Unknown = "refuse",
) -> Module:
    target = await get_module(principal, business_id, module_id, "maintainer", set_id=set_id)
    await authorize_topology(principal, business_id, "module", "update")
    columns.pop("set_id", None)
    check_writable("module", columns)
    custom = await checked_custom_attributes(
        "module", custom, unknown=unknown, creating=False, current=target.attributes
    )
    if target.default != BuiltinModule.NORMAL and "name" in columns:
        raise Conflict("built-in modules cannot be renamed", field="name", code="BUILTIN_OBJECT")
    if "name" in columns:
        columns["name"] = (columns["name"] or "").strip()
        if not columns["name"]:
            raise ValidationFailed("module name must not be empty", field="name")
        await _check_unique_name(target.set_id, columns["name"], exclude_id=module_id)
    before = snapshot("module", target)
    async with write_transaction("module name is already used"):
        target.update_from_dict({**columns, "attributes": {**target.attributes, **custom}})
        await target.save()
        changes = [(snapshot("module", target), before, business_id)]
        await record_events(instance_events("module", "update", changes), principal.username)
        await record_operation(
            principal,
            op_type="update",
            op_target="module",
            op_desc=f"update module {target.name}",
            business_id=business_id,
            inst_id=module_id,
            pre_data=before,
            cur_data=snapshot("module", target),
        )
    return target


async def delete_module(principal: Principal, business_id: int, set_id: int | None, module_id: int) -> None:
    target = await get_module(principal, business_id, module_id, "maintainer", set_id=set_id)
    if target.default != BuiltinModule.NORMAL:
        raise Conflict("built-in modules cannot be deleted", code="BUILTIN_OBJECT")
    if await HostModule.filter(module_id=module_id).exists():
        raise Conflict("a module that still holds hosts cannot be deleted", code="MODULE_HAS_HOSTS")
    before = snapshot("module", target)
    await authorize_topology(principal, business_id, "module", "delete")
    async with write_transaction():
        await target.delete()
        await record_events(instance_events("module", "delete", [(None, before, business_id)]), principal.username)
        await record_operation(
            principal,
            op_type="delete",
            op_target="module",
            op_desc=f"delete module {target.name}",
            business_id=business_id,
            inst_id=module_id,
            pre_data=before,
        )


async def search_modules(
    principal: Principal,
    business_id: int,
    set_id: int | None,
    *,
    equals: dict[str, Any],
    start: int,
    limit: int,
    sort: str | None,
) -> tuple[int, list[dict[str, Any]]]:
    check_page(start, limit)
    await get_business(principal, business_id)
    query = Module.filter(business_id=business_id)
    if set_id is not None:
        query = query.filter(set_id=set_id)
    query = equality_filter(query, "module", equals)
    total = await query.count()
    rows = await query.order_by(*sort_columns("module", sort)).offset(start).limit(limit).values()
    return total, rows
