"""Dynamic groups: create, update, delete, read, search, and run (the hosts they match now).

A group belongs to one business; anyone with a role there may read and run it; writing it needs
the operator role and the `customapi` role privilege (enforce.authorize). Names are unique per
business (bk-cmdb: 1199014); ids are 20-character xid strings, as bk-cmdb gives them.
"""

from __future__ import annotations

from typing import Any

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Duplicate, NotFound, ValidationFailed
from opsgraph.core.ids import decode_global_id
from opsgraph.core.xid import new_xid
from opsgraph.models.cmdb_groups import DynamicGroup
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb_groups.body import GroupBody, parse_body
from opsgraph.resolvers.privileges.enforce import authorize
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import sort_columns, write_transaction
from opsgraph.resolvers.topology.host_search import host_query

MAX_NAME = 256
MAX_GROUP_PAGE = 200  # the doc's search_custom_query / get_custom_query_data cap
_SEARCH_FILTERS = ("name", "name_contains", "create_user", "modify_user")


async def _authorize_write(principal: Principal, business_id: int) -> None:
    await get_business(principal, business_id, "operator")
    await authorize(principal, business_ids=[business_id], minimum_role="operator", function="customapi")


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("a group name is required", field="name", code="MISSING_FIELD")
    name = name.strip()
    if len(name) > MAX_NAME:
        raise ValidationFailed(f"a group name is at most {MAX_NAME} characters", field="name")
    return name


async def _check_unique(business_id: int, name: str, exclude: int | None = None) -> None:
    query = DynamicGroup.filter(business_id=business_id, name=name)
    if exclude is not None:
        query = query.exclude(id=exclude)
    if await query.exists():
        raise Duplicate(f"a dynamic group named {name!r} already exists in business {business_id}", field="name")


def snapshot(group: DynamicGroup) -> dict[str, Any]:
    return {"id": group.bk_id, "bk_biz_id": group.business_id, "name": group.name, "info": group.info}


async def create_group(principal: Principal, business_id: int, name: Any, info: Any) -> DynamicGroup:
    await _authorize_write(principal, business_id)
    name = _clean_name(name)
    text, _ = parse_body(info)
    await _check_unique(business_id, name)
    async with write_transaction(f"a dynamic group named {name!r} already exists"):
        group = await DynamicGroup.create(
            bk_id=new_xid(),
            business_id=business_id,
            name=name,
            info=text,
            create_user=principal.username,
            modify_user=principal.username,
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="dynamic_group",
            op_desc=f"create dynamic group {name}",
            business_id=business_id,
            inst_id=group.id,
            ext_key=group.bk_id,
            cur_data=snapshot(group),
        )
    return group


async def get_group(principal: Principal, business_id: int, bk_id: str) -> DynamicGroup:
    """The group `bk_id` of `business_id`; the business's role check comes first (get_business)."""
    await get_business(principal, business_id)
    group = await DynamicGroup.get_or_none(bk_id=str(bk_id), business_id=business_id)
    if group is None:
        raise NotFound(f"dynamic group {bk_id!r} does not exist in business {business_id}", field="id")
    return group


async def get_group_by_pk(principal: Principal, pk: int) -> DynamicGroup:
    group = await DynamicGroup.get_or_none(id=pk)
    # A group of a business the caller has no role on is answered like a missing one.
    if group is None or not principal.can(group.business_id):
        raise NotFound(f"dynamic group {pk} does not exist", field="groupId")
    return group


async def update_group(principal: Principal, group: DynamicGroup, name: Any = None, info: Any = None) -> DynamicGroup:
    """Partial: only what is given changes (update_custom_query's name and info are optional)."""
    await _authorize_write(principal, group.business_id)
    before = snapshot(group)
    if name is not None:
        group.name = _clean_name(name)
        await _check_unique(group.business_id, group.name, exclude=group.id)
    if info is not None:
        group.info, _ = parse_body(info)
    group.modify_user = principal.username
    async with write_transaction("a dynamic group with that name already exists"):
        await group.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="dynamic_group",
            op_desc=f"update dynamic group {group.name}",
            business_id=group.business_id,
            inst_id=group.id,
            ext_key=group.bk_id,
            pre_data=before,
            cur_data=snapshot(group),
        )
    return group


async def delete_group(principal: Principal, group: DynamicGroup) -> None:
    await _authorize_write(principal, group.business_id)
    async with write_transaction():
        await group.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="dynamic_group",
            op_desc=f"delete dynamic group {group.name}",
            business_id=group.business_id,
            inst_id=group.id,
            ext_key=group.bk_id,
            pre_data=snapshot(group),
        )


async def search_groups(
    principal: Principal, business_id: int, filters: dict[str, Any], start: int, limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """search_custom_query: `name` matches as a substring (bk-cmdb turns it into a $regex), the
    users exactly; newest first."""
    await get_business(principal, business_id)
    if start < 0:
        raise ValidationFailed("start must not be negative", field="start")
    if not 0 < limit <= MAX_GROUP_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_GROUP_PAGE}", field="limit", code="PAGE_LIMIT")
    query = DynamicGroup.filter(business_id=business_id)
    for key, value in filters.items():
        if key not in _SEARCH_FILTERS:
            raise ValidationFailed(f"cannot filter dynamic groups by {key!r}", field="condition")
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise ValidationFailed(f"{key} must be text", field=key)
        if key in ("name", "name_contains"):
            query = query.filter(name__icontains=value)
        else:
            query = query.filter(**{key: value})
    total = await query.count()
    rows = await query.order_by("-id").offset(start).limit(limit).values()
    return total, rows


def group_body(group: DynamicGroup) -> GroupBody:
    """Parsed at use: a body stored before a rule tightened is refused then, not trusted."""
    return parse_body(group.info)[1]


async def group_host_query(principal: Principal, group: DynamicGroup) -> Any:
    body = group_body(group)
    return await host_query(
        principal, business_id=group.business_id, clauses=body.clauses, ip_filter=body.ip, pattern=body.pattern
    )


async def group_hosts(
    principal: Principal, group: DynamicGroup, start: int, limit: int, sort: str | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """get_custom_query_data: the hosts the group matches right now, one page."""
    if start < 0:
        raise ValidationFailed("start must not be negative", field="start")
    if not 0 < limit <= MAX_GROUP_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_GROUP_PAGE}", field="limit", code="PAGE_LIMIT")
    query = await group_host_query(principal, group)
    total = await query.count()
    rows = await query.order_by(*sort_columns("host", sort)).offset(start).limit(limit).values()
    return total, rows


def _group_key(ref: str) -> tuple[str, Any]:
    """A DynamicGroup global id, or a bk custom query id (the xid string): both name a group."""
    try:
        type_name, pk = decode_global_id(ref)
    except ValidationFailed:
        return "bk_id", ref
    return ("id", pk) if type_name == "DynamicGroup" else ("bk_id", ref)


async def host_ids_of_groups(principal: Principal, business_id: int, refs: list[str], cap: int) -> list[int]:
    """Every host the groups match now (union), for run targets; at most `cap` of them.

    A group of another business (or one the caller cannot see) is answered like a missing one."""
    wanted = list(dict.fromkeys(str(ref) for ref in refs))
    groups: list[DynamicGroup] = []
    for ref in wanted:
        column, value = _group_key(ref)
        group = await DynamicGroup.get_or_none(**{column: value}, business_id=business_id)
        if group is None:
            raise NotFound(
                f"dynamic group {ref!r} does not exist in business {business_id}",
                field="dynamicGroupIds",
                code="DYNAMIC_GROUP_NOT_FOUND",
            )
        groups.append(group)
    found: set[int] = set()
    for group in groups:
        query = await group_host_query(principal, group)
        found.update(await query.limit(cap + 1).values_list("id", flat=True))
        if len(found) > cap:
            raise ValidationFailed(f"the dynamic groups match more than {cap} hosts", field="dynamicGroupIds")
    return sorted(found)
