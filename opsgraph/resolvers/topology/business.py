"""Businesses: create (with their idle pool), update, enable/disable, delete, search."""

from __future__ import annotations

from typing import Any

from tortoise.queryset import QuerySet

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.models.topology import Business, Host, Module, Set
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.instance_values import Unknown
from opsgraph.resolvers.cmdb.mainline_attributes import checked_custom_attributes
from opsgraph.resolvers.cmdb_events.emit import instance_events, record_events
from opsgraph.resolvers.privileges.enforce import authorize
from opsgraph.resolvers.topology.bootstrap import create_idle_pool
from opsgraph.resolvers.topology.common import (
    check_page,
    check_writable,
    snapshot,
    sort_columns,
    write_transaction,
)
from opsgraph.resolvers.topology.conditions import equality_filter


async def get_business(
    principal: Principal, business_id: int, minimum_role: str = "viewer", *, require_enabled: bool = False
) -> Business:
    """`require_enabled`: writes that place things in a business refuse an archived one (bk 1110031).

    The role is checked before the lookup, as bk-cmdb and bk-job check the scope first: a caller
    without the role gets the same refusal whether the business exists or not, so ids cannot be
    probed. Only a caller who holds the role (or a superuser) learns that one does not exist."""
    principal.require(business_id, minimum_role)
    business = await Business.get_or_none(id=business_id)
    if business is None:
        raise NotFound(f"business {business_id} does not exist", field="businessId")
    if require_enabled and not business.enabled:
        raise Conflict(f"business {business_id} is archived", field="businessId", code="BUSINESS_ARCHIVED")
    return business


async def _check_unique_name(name: str, exclude_id: int | None = None) -> None:
    query = Business.filter(name=name)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise Duplicate(f"business name {name!r} is already used", field="name")


async def create_business(
    principal: Principal, columns: dict[str, Any], custom: dict[str, Any], *, unknown: Unknown = "refuse"
) -> Business:
    principal.require_superuser("creating a business")
    await authorize(principal, model="biz", action="create")
    check_writable("biz", columns)
    custom = await checked_custom_attributes("biz", custom, unknown=unknown, creating=True)
    name = (columns.get("name") or "").strip()
    if not name:
        raise ValidationFailed("business name is required", field="name")
    await _check_unique_name(name)
    async with write_transaction("business name is already used"):
        business = await Business.create(**{**columns, "name": name}, attributes=custom)
        await create_idle_pool(business)
        changes = [(_snapshot(business), None, business.id)]
        await record_events(instance_events("biz", "create", changes), principal.username)
        await record_operation(
            principal,
            op_type="create",
            op_target="biz",
            op_desc=f"create business {name}",
            business_id=business.id,
            inst_id=business.id,
            cur_data=_snapshot(business),
        )
    return business


async def update_business(
    principal: Principal,
    business_id: int,
    columns: dict[str, Any],
    custom: dict[str, Any],
    *,
    unknown: Unknown = "refuse",
) -> Business:
    business = await get_business(principal, business_id, "maintainer")
    await authorize(principal, business_ids=[business_id], minimum_role="maintainer", model="biz", action="update")
    check_writable("biz", columns)
    custom = await checked_custom_attributes(
        "biz", custom, unknown=unknown, creating=False, current=business.attributes
    )
    if business.default == 1 and "name" in columns:
        raise Conflict("the resource pool cannot be renamed", field="name", code="BUILTIN_OBJECT")
    if "name" in columns:
        columns["name"] = (columns["name"] or "").strip()
        if not columns["name"]:
            raise ValidationFailed("business name must not be empty", field="name")
        await _check_unique_name(columns["name"], exclude_id=business_id)
    before = _snapshot(business)
    async with write_transaction("business name is already used"):
        business.update_from_dict({**columns, "attributes": {**business.attributes, **custom}})
        await business.save()
        changes = [(_snapshot(business), before, business_id)]
        await record_events(instance_events("biz", "update", changes), principal.username)
        await record_operation(
            principal,
            op_type="update",
            op_target="biz",
            op_desc=f"update business {business.name}",
            business_id=business_id,
            inst_id=business_id,
            pre_data=before,
            cur_data=_snapshot(business),
        )
    return business


async def set_business_enabled(principal: Principal, business_id: int, enabled: bool) -> Business:
    business = await get_business(principal, business_id, "maintainer")
    await authorize(principal, business_ids=[business_id], minimum_role="maintainer", model="biz", action="update")
    if business.default == 1 and not enabled:
        raise Conflict("the resource pool cannot be archived", code="BUILTIN_OBJECT")
    if not enabled and await Host.filter(business_id=business_id).exists():
        # bk-cmdb refuses to archive a business that still owns hosts.
        raise Conflict("a business that still has hosts cannot be archived", code="BUSINESS_HAS_HOSTS")
    async with write_transaction():
        before = {**_snapshot(business), "bk_data_status": "enable" if not enabled else "disabled"}
        business.enabled = enabled
        await business.save(update_fields=["enabled", "updated_at"])
        after = {**_snapshot(business), "bk_data_status": "enable" if enabled else "disabled"}
        await record_events(instance_events("biz", "update", [(after, before, business_id)]), principal.username)
        await record_operation(
            principal,
            op_type="update",
            op_target="biz",
            op_desc=f"{'enable' if enabled else 'archive'} business {business.name}",
            business_id=business_id,
            inst_id=business_id,
            cur_data={"enabled": enabled},
        )
    return business


async def delete_business(principal: Principal, business_id: int) -> None:
    business = await get_business(principal, business_id, "maintainer")
    await authorize(principal, business_ids=[business_id], minimum_role="maintainer", model="biz", action="delete")
    if business.default == 1:
        raise Conflict("the resource pool cannot be deleted", code="BUILTIN_OBJECT")
    if await Host.filter(business_id=business_id).exists():
        raise Conflict("a business that still has hosts cannot be deleted", code="BUSINESS_HAS_HOSTS")
    before = _snapshot(business)
    async with write_transaction():
        await Module.filter(business_id=business_id).delete()
        await Set.filter(business_id=business_id).delete()
        await business.delete()
        await record_events(instance_events("biz", "delete", [(None, before, business_id)]), principal.username)
        await record_operation(
            principal,
            op_type="delete",
            op_target="biz",
            op_desc=f"delete business {before['bk_biz_name']}",
            business_id=business_id,
            inst_id=business_id,
            pre_data=before,
        )


async def search_businesses(
    principal: Principal,
    *,
    equals: dict[str, Any],
    start: int,
    limit: int,
    sort: str | None,
    include_disabled: bool = False,
) -> tuple[int, list[dict[str, Any]]]:
    """bk `search_business`: equality conditions over any property, offset paging."""
    check_page(start, limit)
    query = Business.all() if include_disabled else Business.filter(enabled=True)
    query = equality_filter(query, "biz", equals)
    visible = principal.visible_business_ids()
    if visible is not None:
        query = query.filter(id__in=visible)
    total = await query.count()
    rows = await query.order_by(*sort_columns("biz", sort)).offset(start).limit(limit).values()
    return total, rows


def _snapshot(business: Business) -> dict[str, Any]:
    return snapshot("biz", business)


def visible_businesses(
    principal: Principal, *, name: str | None, name_contains: str | None, include_disabled: bool
) -> QuerySet[Business]:
    query = Business.all() if include_disabled else Business.filter(enabled=True)
    if name is not None:
        query = query.filter(name=name)
    if name_contains:
        query = query.filter(name__icontains=name_contains)
    visible = principal.visible_business_ids()
    if visible is not None:
        query = query.filter(id__in=visible)
    return query
