"""Sets: create, update, delete (one or many), search — always within one business."""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.topology import HostModule, Module, Set
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.instance_values import Unknown
from opsgraph.resolvers.cmdb.mainline_attributes import checked_custom_attributes
from opsgraph.resolvers.cmdb_events.emit import instance_events, record_events
from opsgraph.resolvers.privileges.enforce import authorize
from opsgraph.resolvers.properties import row_to_properties
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import (
    check_page,
    check_writable,
    snapshot,
    sort_columns,
    write_transaction,
)
from opsgraph.resolvers.topology.conditions import equality_filter

MAX_BATCH_DELETE = 500


async def get_set(principal: Principal, business_id: int, set_id: int, minimum_role: str = "viewer") -> Set:
    await get_business(principal, business_id, minimum_role)
    found = await Set.get_or_none(id=set_id)
    # A set of a business the caller has no role on is answered like a missing one.
    if found is None or not principal.can(found.business_id):
        raise NotFound(f"set {set_id} does not exist", field="setId")
    if found.business_id != business_id:
        raise Conflict(f"set {set_id} is not in business {business_id}", field="setId", code="SET_NOT_IN_BUSINESS")
    return found


async def authorize_topology(principal: Principal, business_id: int, model: str, action: str) -> None:
    """Topology writes: maintainers with the topoupdate role privilege, and the model privilege."""
    await authorize(
        principal,
        business_ids=[business_id],
        minimum_role="maintainer",
        function="topoupdate",
        model=model,
        action=action,
    )


async def _check_unique_name(business_id: int, name: str, exclude_id: int | None = None) -> None:
    query = Set.filter(business_id=business_id, name=name)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise Duplicate(f"set name {name!r} is already used in business {business_id}", field="name")


async def create_set(
    principal: Principal,
    business_id: int,
    columns: dict[str, Any],
    custom: dict[str, Any],
    *,
    unknown: Unknown = "refuse",
) -> Set:
    await get_business(principal, business_id, "maintainer", require_enabled=True)
    await authorize_topology(principal, business_id, "set", "create")
    parent_id = columns.pop("parent_id", None)
    check_writable("set", columns)
    custom = await checked_custom_attributes("set", custom, unknown=unknown, creating=True)
    name = (columns.get("name") or "").strip()
    if not name:
        raise ValidationFailed("set name is required", field="name")
    # The mainline here is business → set: a set's parent is its business.
    if parent_id is not None and parent_id != business_id:
        raise ValidationFailed(f"parent {parent_id} is not business {business_id}", field="parentId")
    await _check_unique_name(business_id, name)
    async with write_transaction("set name is already used"):
        created = await Set.create(
            **{**columns, "name": name}, business_id=business_id, parent_id=business_id, attributes=custom
        )
        changes = [(snapshot("set", created), None, business_id)]
        await record_events(instance_events("set", "create", changes), principal.username)
        await record_operation(
            principal,
            op_type="create",
            op_target="set",
            op_desc=f"create set {name}",
            business_id=business_id,
            inst_id=created.id,
            cur_data=snapshot("set", created),
        )
    return created


async def update_set(
    principal: Principal,
    business_id: int,
    set_id: int,
    columns: dict[str, Any],
    custom: dict[str, Any],
    *,
    unknown: Unknown = "refuse",
) -> Set:
    target = await get_set(principal, business_id, set_id, "maintainer")
    await authorize_topology(principal, business_id, "set", "update")
    columns.pop("parent_id", None)
    check_writable("set", columns)
    custom = await checked_custom_attributes("set", custom, unknown=unknown, creating=False, current=target.attributes)
    if target.default != 0 and "name" in columns:
        raise Conflict("the built-in idle pool set cannot be renamed", field="name", code="BUILTIN_OBJECT")
    if "name" in columns:
        columns["name"] = (columns["name"] or "").strip()
        if not columns["name"]:
            raise ValidationFailed("set name must not be empty", field="name")
        await _check_unique_name(business_id, columns["name"], exclude_id=set_id)
    before = snapshot("set", target)
    async with write_transaction("set name is already used"):
        target.update_from_dict({**columns, "attributes": {**target.attributes, **custom}})
        await target.save()
        changes = [(snapshot("set", target), before, business_id)]
        await record_events(instance_events("set", "update", changes), principal.username)
        await record_operation(
            principal,
            op_type="update",
            op_target="set",
            op_desc=f"update set {target.name}",
            business_id=business_id,
            inst_id=set_id,
            pre_data=before,
            cur_data=snapshot("set", target),
        )
    return target


async def delete_sets(principal: Principal, business_id: int, set_ids: list[int]) -> None:
    """Delete sets and their modules; refused if any holds hosts or is built in. All or nothing."""
    if not set_ids:
        raise ValidationFailed("no set ids given", field="setIds")
    if len(set_ids) > MAX_BATCH_DELETE:
        raise ValidationFailed(f"at most {MAX_BATCH_DELETE} sets at once", field="setIds")
    await get_business(principal, business_id, "maintainer")
    # Sets of businesses the caller has no role on count as missing (same error, nothing revealed).
    targets = [s for s in await Set.filter(id__in=set_ids) if principal.can(s.business_id)]
    found = {s.id for s in targets}
    missing = [pk for pk in set_ids if pk not in found]
    if missing:
        raise NotFound(f"set {missing[0]} does not exist", field="setIds")
    for target in targets:
        if target.business_id != business_id:
            raise Conflict(f"set {target.id} is not in business {business_id}", code="SET_NOT_IN_BUSINESS")
        if target.default != 0:
            raise Conflict("the built-in idle pool set cannot be deleted", code="BUILTIN_OBJECT")
    if await HostModule.filter(module__set_id__in=set_ids).exists():
        raise Conflict("a set whose modules still hold hosts cannot be deleted", code="SET_HAS_HOSTS")
    await authorize_topology(principal, business_id, "set", "delete")
    async with write_transaction():
        # bk-cmdb deletes a set's modules with it, and says so: a moduledelete per module first.
        modules = await Module.filter(set_id__in=set_ids).values()
        module_changes = [(None, row_to_properties("module", row), business_id) for row in modules]
        await record_events(instance_events("module", "delete", module_changes), principal.username)
        set_changes = [(None, snapshot("set", target), business_id) for target in targets]
        await record_events(instance_events("set", "delete", set_changes), principal.username)
        await Module.filter(set_id__in=set_ids).delete()
        await Set.filter(id__in=set_ids).delete()
        for target in targets:
            await record_operation(
                principal,
                op_type="delete",
                op_target="set",
                op_desc=f"delete set {target.name}",
                business_id=business_id,
                inst_id=target.id,
                pre_data=snapshot("set", target),
            )


async def search_sets(
    principal: Principal,
    business_id: int,
    *,
    equals: dict[str, Any],
    start: int,
    limit: int,
    sort: str | None,
) -> tuple[int, list[dict[str, Any]]]:
    check_page(start, limit)
    await get_business(principal, business_id)
    query = equality_filter(Set.filter(business_id=business_id), "set", equals)
    total = await query.count()
    rows = await query.order_by(*sort_columns("set", sort)).offset(start).limit(limit).values()
    return total, rows
