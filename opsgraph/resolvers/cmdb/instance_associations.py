"""Links between instances of any two models (hosts, sets and businesses included), under a model
association whose mapping every new link is checked against (bk-cmdb coreservice
core/association/instance.go):

- 1:1 — neither end may already have a link under this association (1101052);
- 1:n — the target may have at most one source (1101061);
- n:n — unchecked.

The check and the insert are one step even between concurrent requests: the new link's transaction
first locks the model association's row (`SELECT … FOR UPDATE` on PostgreSQL), so links under one
association are checked and written one after another, and the second sees the first's row (READ
COMMITTED takes a fresh snapshot per statement). On SQLite a transaction holds the one connection
(tortoise's lock) from BEGIN to COMMIT, which serializes them the same way; FOR UPDATE is omitted
there. A database constraint could not say this: a link whose other end is gone must not count.

Only links whose other end still exists count (a host deleted by the topology code leaves its
links behind; they are ignored here and dropped with the instance on the other side). A caller
links, unlinks and sees a link when it may see both ends and change at least one (access.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise.expressions import Q

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, Duplicate, NotFound, PermissionDenied, ValidationFailed
from opsgraph.models.cmdb_instances import InstanceAssociation, ObjectAssociation
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.cmdb.access import can_read_instance, can_write_instance, instance_search_rule
from opsgraph.resolvers.cmdb.codes import (
    ASSOCIATION_NOT_FOUND,
    MAINLINE_ASSOCIATION,
    MAPPING_ONE_TO_MANY,
    MAPPING_ONE_TO_ONE,
    PRESET_ASSOCIATION,
    SOURCE_INSTANCE_NOT_FOUND,
    TARGET_INSTANCE_NOT_FOUND,
)
from opsgraph.resolvers.cmdb.instance_refs import InstanceRef, load_many_refs, load_refs
from opsgraph.resolvers.cmdb.object_associations import get_association
from opsgraph.resolvers.cmdb.preset_data import MAINLINE_KIND
from opsgraph.resolvers.cmdb_events.emit import EventRecord, record_events
from opsgraph.resolvers.topology.common import write_transaction

Row = dict[str, Any]
MAX_FIND = 5000
# find_instance_association's condition keys → columns.
FILTERS = {
    "bk_obj_asst_id": "object_association__obj_asst_id",
    "bk_asst_id": "object_association__kind__asst_id",
    "bk_obj_id": "obj_id",
    "bk_asst_obj_id": "asst_obj_id",
    "bk_inst_id": "inst_id",
    "bk_asst_inst_id": "asst_inst_id",
    "id": "id",
}
LINK_FIELDS = {"obj_asst_id": "object_association__obj_asst_id", "asst_id": "object_association__kind__asst_id"}


def _visible(principal: Principal, ref: InstanceRef | None) -> bool:
    return ref is not None and can_read_instance(principal, ref.business_id)


def _require_change(principal: Principal, source: InstanceRef, target: InstanceRef) -> None:
    if not (can_write_instance(principal, source.business_id) or can_write_instance(principal, target.business_id)):
        raise PermissionDenied(f"user {principal.username!r} may change neither end of this association")


async def _live(rows: list[Row]) -> list[Row]:
    """The rows whose two ends both still exist."""
    refs = await load_many_refs(_ends(rows))
    return [
        row
        for row in rows
        if (row["obj_id"], row["inst_id"]) in refs and (row["asst_obj_id"], row["asst_inst_id"]) in refs
    ]


def _ends(rows: Iterable[Row]) -> set[tuple[str, int]]:
    ends: set[tuple[str, int]] = set()
    for row in rows:
        ends.add((row["obj_id"], row["inst_id"]))
        ends.add((row["asst_obj_id"], row["asst_inst_id"]))
    return ends


async def _check_mapping(association: ObjectAssociation, inst_id: int, asst_inst_id: int) -> None:
    """Call inside the link's transaction: the row lock lasts until it ends."""
    if association.mapping == "n:n":
        return
    await ObjectAssociation.filter(id=association.id).select_for_update().first()
    if association.mapping == "1:1":
        clause = Q(inst_id=inst_id) | Q(asst_inst_id=asst_inst_id)
        rows = await _live(
            list(await InstanceAssociation.filter(clause, object_association_id=association.id).values())
        )
        if rows:
            raise Conflict(
                f"{association.obj_asst_id} is 1:1 and one of these instances is linked already",
                field="bk_inst_id",
                code=MAPPING_ONE_TO_ONE,
            )
        return
    taken = await InstanceAssociation.filter(object_association_id=association.id, asst_inst_id=asst_inst_id).values()
    if await _live(list(taken)):
        raise Conflict(
            f"{association.obj_asst_id} is 1:n and {association.target.obj_id} instance {asst_inst_id} has its source",
            field="bk_asst_inst_id",
            code=MAPPING_ONE_TO_MANY,
        )


async def add_link(principal: Principal, obj_asst_id: str, inst_id: int, asst_inst_id: int) -> InstanceAssociation:
    association = await get_association(obj_asst_id)
    await association.fetch_related("kind", "source", "target")
    if association.kind.asst_id == MAINLINE_KIND:
        raise ValidationFailed(
            "mainline links are made by moving hosts and modules", field="bk_obj_asst_id", code=MAINLINE_ASSOCIATION
        )
    if association.is_preset:
        raise Conflict(
            f"{obj_asst_id} links come from the topology itself", field="bk_obj_asst_id", code=PRESET_ASSOCIATION
        )
    source_obj, target_obj = association.source.obj_id, association.target.obj_id
    source = (await load_refs(source_obj, [inst_id])).get(inst_id)
    if not _visible(principal, source):
        raise NotFound(
            f"{source_obj} instance {inst_id} does not exist", field="bk_inst_id", code=SOURCE_INSTANCE_NOT_FOUND
        )
    target = (await load_refs(target_obj, [asst_inst_id])).get(asst_inst_id)
    if not _visible(principal, target):
        raise NotFound(
            f"{target_obj} instance {asst_inst_id} does not exist",
            field="bk_asst_inst_id",
            code=TARGET_INSTANCE_NOT_FOUND,
        )
    assert source is not None
    assert target is not None
    _require_change(principal, source, target)
    if await InstanceAssociation.exists(
        object_association_id=association.id, inst_id=inst_id, asst_inst_id=asst_inst_id
    ):
        raise Duplicate("these instances are linked already", field="bk_asst_inst_id")
    async with write_transaction("these instances are linked already"):
        await _check_mapping(association, inst_id, asst_inst_id)
        link = await InstanceAssociation.create(
            object_association_id=association.id,
            obj_id=source_obj,
            inst_id=inst_id,
            asst_obj_id=target_obj,
            asst_inst_id=asst_inst_id,
            created_by=principal.username,
        )
        link_data = {
            "id": link.id,
            "bk_obj_asst_id": obj_asst_id,
            "bk_asst_id": association.kind.asst_id,
            "bk_obj_id": source_obj,
            "bk_inst_id": inst_id,
            "bk_asst_obj_id": target_obj,
            "bk_asst_inst_id": asst_inst_id,
        }
        business = source.business_id if source.business_id is not None else target.business_id
        # bk-cmdb delivers an association change as an update of the source's model (bk_switchupdate).
        await record_events(
            [EventRecord("association", source_obj, "create", link_data, None, business)], principal.username
        )
        await record_operation(
            principal,
            op_type="create",
            op_target="instance_association",
            op_desc=f"link {source_obj} {source.name} -{association.kind.asst_id}-> {target_obj} {target.name}",
            business_id=source.business_id if source.business_id is not None else target.business_id,
            inst_id=link.id,
            ext_key=obj_asst_id,
            cur_data={"bk_obj_asst_id": obj_asst_id, "bk_inst_id": inst_id, "bk_asst_inst_id": asst_inst_id},
        )
    return link


async def delete_link(principal: Principal, link_id: int) -> None:
    rows = await InstanceAssociation.filter(id=link_id).values(*InstanceAssociation._meta.db_fields, **LINK_FIELDS)
    if not rows:
        raise NotFound(f"instance association {link_id} does not exist", field="id", code=ASSOCIATION_NOT_FOUND)
    row = rows[0]
    refs = await load_many_refs(_ends([row]))
    source, target = refs.get((row["obj_id"], row["inst_id"])), refs.get((row["asst_obj_id"], row["asst_inst_id"]))
    # A link with a vanished end is shown to nobody; whoever may change the remaining end may drop it.
    ends = [ref for ref in (source, target) if ref is not None]
    if not ends or not all(_visible(principal, ref) for ref in ends):
        raise NotFound(f"instance association {link_id} does not exist", field="id", code=ASSOCIATION_NOT_FOUND)
    if not any(can_write_instance(principal, ref.business_id) for ref in ends):
        raise PermissionDenied(f"user {principal.username!r} may change neither end of this association")
    async with write_transaction():
        await InstanceAssociation.filter(id=link_id).delete()
        link_data = {
            "id": link_id,
            "bk_obj_asst_id": row["obj_asst_id"],
            "bk_asst_id": row["asst_id"],
            "bk_obj_id": row["obj_id"],
            "bk_inst_id": row["inst_id"],
            "bk_asst_obj_id": row["asst_obj_id"],
            "bk_asst_inst_id": row["asst_inst_id"],
        }
        business = next((ref.business_id for ref in ends if ref.business_id is not None), None)
        await record_events(
            [EventRecord("association", row["obj_id"], "delete", None, link_data, business)], principal.username
        )
        await record_operation(
            principal,
            op_type="delete",
            op_target="instance_association",
            op_desc=f"unlink {row['obj_id']} {row['inst_id']} -> {row['asst_obj_id']} {row['asst_inst_id']}",
            business_id=next((ref.business_id for ref in ends if ref.business_id is not None), None),
            inst_id=link_id,
            ext_key=row["obj_asst_id"],
            pre_data={k: row[k] for k in FILTERS.values() if k in row},
        )


async def find_links(principal: Principal, filters: dict[str, Any]) -> list[Row]:
    """Links matching equality filters (bk names, FILTERS); both ends must exist and be visible."""
    query = InstanceAssociation.all()
    for key, value in filters.items():
        if value is None or value == "":
            continue
        lookup = FILTERS.get(key)
        if lookup is None:
            raise ValidationFailed(f"cannot filter instance associations by {key!r}", field=key)
        if isinstance(value, dict | list | bool):
            raise ValidationFailed(f"{key} must be a single value", field=key)
        query = query.filter(**{lookup: value})
    rows = await query.order_by("id").limit(MAX_FIND + 1).values(*InstanceAssociation._meta.db_fields, **LINK_FIELDS)
    if len(rows) > MAX_FIND:
        raise ValidationFailed(
            f"more than {MAX_FIND} links match; narrow the condition", field="condition", code="PAGE_LIMIT"
        )
    return await visible_links(principal, list(rows))


async def visible_links(principal: Principal, rows: list[Row]) -> list[Row]:
    refs = await load_many_refs(_ends(rows))
    searchable = await instance_search_rule(principal)
    kept = []
    for row in rows:
        if not (searchable(row["obj_id"]) and searchable(row["asst_obj_id"])):
            continue
        source = refs.get((row["obj_id"], row["inst_id"]))
        target = refs.get((row["asst_obj_id"], row["asst_inst_id"]))
        if _visible(principal, source) and _visible(principal, target):
            kept.append(row)
    return kept


async def links_of(keys: list[tuple[str, int]]) -> dict[tuple[str, int], list[Row]]:
    """Every link touching each (model, instance), either way; for the DataLoader (one query per model)."""
    by_model: dict[str, set[int]] = {}
    for obj_id, inst_id in keys:
        by_model.setdefault(obj_id, set()).add(inst_id)
    clauses = [
        Q(obj_id=m, inst_id__in=sorted(ids)) | Q(asst_obj_id=m, asst_inst_id__in=sorted(ids))
        for m, ids in by_model.items()
    ]
    rows = (
        await InstanceAssociation.filter(Q(*clauses, join_type=Q.OR))
        .order_by("id")
        .values(*InstanceAssociation._meta.db_fields, **LINK_FIELDS)
    )
    grouped: dict[tuple[str, int], list[Row]] = {key: [] for key in keys}
    for row in rows:
        for end in ((row["obj_id"], row["inst_id"]), (row["asst_obj_id"], row["asst_inst_id"])):
            if end in grouped:
                grouped[end].append(row)
    return grouped
