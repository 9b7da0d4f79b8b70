"""Instances of models without a table of their own: create, update and delete, one or in batches
(all or nothing), each write checked against the model (instance_values.py) and its unique rules.

delete honours the model associations' `on_delete`: `delete_src` removes the source instances when
their target goes, `delete_dest` the targets when their source goes; any other link to an instance
that still exists refuses the delete (1101075 CCErrorInstHasAsst), as bk-cmdb's CheckAssociations.
Links whose other end is already gone are removed with the instance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import Conflict, LimitExceeded, NotFound, ValidationFailed
from opsgraph.models.cmdb_instances import Instance, InstanceAssociation, ObjectAssociation
from opsgraph.models.cmdb_models import TopoGraphicsNode
from opsgraph.models.topology import Business
from opsgraph.resolvers.audit import operation_entry, record_operations
from opsgraph.resolvers.cmdb.access import can_read_instance, require_business_write, require_instance_write
from opsgraph.resolvers.cmdb.codes import INSTANCE_HAS_ASSOCIATIONS, MODEL_PAUSED, REQUIRED
from opsgraph.resolvers.cmdb.definitions import ModelDefinition, load_definition
from opsgraph.resolvers.cmdb.instance_refs import load_many_refs
from opsgraph.resolvers.cmdb.instance_values import Unknown, check_references, check_values, instance_properties
from opsgraph.resolvers.cmdb.preset_data import PROCESS_OBJECT
from opsgraph.resolvers.cmdb.unique_rules import key_values, write_instance_keys, write_keys_for_new
from opsgraph.resolvers.cmdb_events.emit import instance_events, record_events
from opsgraph.resolvers.topology.common import write_transaction

Row = dict[str, Any]
MAX_BATCH = 2000
MAX_CASCADE = 10000


async def writable_definition(obj_id: str) -> ModelDefinition:
    definition = await load_definition(obj_id)
    if definition.table_backed:
        raise ValidationFailed(
            f"{obj_id} instances are written with their own operations (business, set, module, host, cloud area)",
            field="bk_obj_id",
        )
    if definition.object["is_paused"]:
        raise Conflict(f"model {obj_id!r} is paused", field="bk_obj_id", code=MODEL_PAUSED)
    return definition


def _check_batch(size: int, field: str) -> None:
    if size == 0:
        raise ValidationFailed(f"{field} is empty", field=field, code=REQUIRED)
    if size > MAX_BATCH:
        raise LimitExceeded(f"{field} takes at most {MAX_BATCH} items", field=field)


def _missing(obj_id: str, inst_id: int) -> NotFound:
    return NotFound(f"{obj_id} instance {inst_id} does not exist", field="bk_inst_id")


def _snapshot(definition: ModelDefinition, name: str, properties: Mapping[str, Any]) -> Row:
    return {definition.name_property: name, **properties}


async def create_instances(
    principal: Principal,
    obj_id: str,
    items: Sequence[Mapping[str, Any]],
    *,
    business_id: int | None,
    unknown: Unknown,
) -> list[int]:
    """The new instance ids, in the order of `items`."""
    _check_batch(len(items), "instances")
    definition = await writable_definition(obj_id)
    await require_business_write(principal, business_id, model=obj_id)
    if business_id is not None and not await Business.exists(id=business_id):
        raise NotFound(f"business {business_id} does not exist", field="bk_biz_id")
    if obj_id == PROCESS_OBJECT and business_id is None:
        raise ValidationFailed(
            "a process belongs to a business: bk_biz_id is required", field="bk_biz_id", code=REQUIRED
        )
    batch = len(items) > 1
    checked = [
        check_values(definition, data, creating=True, unknown=unknown, prefix=f"[{i}]." if batch else "")
        for i, data in enumerate(items)
    ]
    for values in checked:
        await check_references(definition, values.properties)
    async with write_transaction("an instance with these unique values exists"):
        created: list[tuple[int, Row]] = []
        for values in checked:
            properties = {k: v for k, v in values.properties.items() if v is not None}
            instance = await Instance.create(
                object_id=definition.pk,
                business_id=business_id,
                name=values.name,
                properties=properties,
                created_by=principal.username,
                updated_by=principal.username,
            )
            row = {
                "id": instance.id,
                "name": values.name,
                "business_id": business_id,
                "properties": properties,
                "created_by": principal.username,
                "created_at": instance.created_at,
                "updated_at": instance.updated_at,
            }
            created.append((instance.id, row))
        await write_keys_for_new(definition, [(pk, key_values(definition, row)) for pk, row in created])
        events = [(instance_properties(definition, row), None, business_id) for _, row in created]
        await record_events(instance_events(obj_id, "create", events), principal.username)
        await record_operations(
            [
                operation_entry(
                    principal,
                    op_type="create",
                    op_target=obj_id[:32],
                    op_desc=f"create {obj_id} instance {row['name']}",
                    business_id=business_id,
                    inst_id=pk,
                    ext_key=str(row["name"]),
                    cur_data=_snapshot(definition, row["name"], row["properties"]),
                )
                for pk, row in created
            ]
        )
    return [pk for pk, _ in created]


async def _visible_rows(
    principal: Principal, definition: ModelDefinition, ids: list[int], action: str
) -> dict[int, Row]:
    rows = {row["id"]: row for row in await Instance.filter(object_id=definition.pk, id__in=ids).values()}
    for inst_id in ids:
        row = rows.get(inst_id)
        if row is None or not can_read_instance(principal, row["business_id"]):
            raise _missing(definition.obj_id, inst_id)
    for business_id in dict.fromkeys(row["business_id"] for row in rows.values()):
        what = f"a {definition.obj_id} instance"
        await require_instance_write(principal, business_id, what, model=definition.obj_id, action=action)
    return rows


async def update_instances(
    principal: Principal, obj_id: str, updates: Sequence[tuple[int, Mapping[str, Any]]], *, unknown: Unknown
) -> list[int]:
    """Partial updates; every instance is checked before any is written."""
    _check_batch(len(updates), "update")
    definition = await writable_definition(obj_id)
    ids = [inst_id for inst_id, _ in updates]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("an instance is named twice", field="update")
    rows = await _visible_rows(principal, definition, ids, "update")
    batch = len(updates) > 1
    planned = []
    for index, (inst_id, data) in enumerate(updates):
        current = rows[inst_id]
        values = check_values(
            definition, data, creating=False, unknown=unknown, current=current, prefix=f"[{index}]." if batch else ""
        )
        await check_references(definition, values.properties)
        merged = {**(current["properties"] or {}), **values.properties}
        merged = {k: v for k, v in merged.items() if v is not None}
        planned.append((current, values.name or current["name"], merged))
    now = datetime.now(UTC)
    async with write_transaction("an instance with these unique values exists"):
        entries = []
        events = []
        for current, name, merged in planned:
            await Instance.filter(id=current["id"]).update(
                name=name, properties=merged, updated_by=principal.username, updated_at=now
            )
            after = {**current, "name": name, "properties": merged, "updated_at": now, "updated_by": principal.username}
            await write_instance_keys(definition, current["id"], key_values(definition, after))
            events.append(
                (
                    instance_properties(definition, after),
                    instance_properties(definition, current),
                    current["business_id"],
                )
            )
            entries.append(
                operation_entry(
                    principal,
                    op_type="update",
                    op_target=obj_id[:32],
                    op_desc=f"update {obj_id} instance {name}",
                    business_id=current["business_id"],
                    inst_id=current["id"],
                    ext_key=name,
                    pre_data=_snapshot(definition, current["name"], current["properties"] or {}),
                    cur_data=_snapshot(definition, name, merged),
                )
            )
        await record_events(instance_events(obj_id, "update", events), principal.username)
        await record_operations(entries)
    return ids


async def delete_instances(principal: Principal, obj_id: str, ids: list[int]) -> list[int]:
    """Every id deleted (cascades included), or nothing; the ids actually deleted are returned."""
    _check_batch(len(ids), "inst_ids")
    definition = await load_definition(obj_id)
    if definition.table_backed:
        raise ValidationFailed(f"{obj_id} instances are deleted with their own operations", field="bk_obj_id")
    wanted = list(dict.fromkeys(ids))
    rows = await _visible_rows(principal, definition, wanted, "delete")
    doomed, links = await _cascade(principal, {(obj_id, pk) for pk in wanted})
    doomed_rows = await _rows_of(doomed - {(obj_id, pk) for pk in rows})
    doomed_rows.update({(obj_id, pk): row for pk, row in rows.items()})
    definitions = {obj_id: definition}
    for model_id, _ in doomed_rows:
        if model_id not in definitions:
            definitions[model_id] = await load_definition(model_id)
    async with write_transaction():
        if links:
            await InstanceAssociation.filter(id__in=sorted(links)).delete()
        by_model: dict[str, list[int]] = {}
        for model_id, pk in doomed:
            by_model.setdefault(model_id, []).append(pk)
        for model_id, pks in by_model.items():
            await Instance.filter(object__obj_id=model_id, id__in=pks).delete()
            await TopoGraphicsNode.filter(node_type="inst", obj_id=model_id, inst_id__in=pks).delete()
        for model_id in definitions:
            gone = [
                (None, instance_properties(definitions[model_id], row), row["business_id"])
                for (owner, _), row in doomed_rows.items()
                if owner == model_id
            ]
            await record_events(instance_events(model_id, "delete", gone), principal.username)
        await record_operations(
            [
                operation_entry(
                    principal,
                    op_type="delete",
                    op_target=model_id[:32],
                    op_desc=f"delete {model_id} instance {row['name']}",
                    business_id=row["business_id"],
                    inst_id=pk,
                    ext_key=str(row["name"]),
                    pre_data={"name": row["name"], **(row["properties"] or {})},
                )
                for (model_id, pk), row in doomed_rows.items()
            ]
        )
    return sorted(pk for model_id, pk in doomed if model_id == obj_id)


async def _rows_of(keys: set[tuple[str, int]]) -> dict[tuple[str, int], Row]:
    by_model: dict[str, list[int]] = {}
    for model_id, pk in keys:
        by_model.setdefault(model_id, []).append(pk)
    found: dict[tuple[str, int], Row] = {}
    for model_id, pks in by_model.items():
        for row in await Instance.filter(object__obj_id=model_id, id__in=pks).values():
            found[(model_id, row["id"])] = row
    return found


async def _cascade(principal: Principal, start: set[tuple[str, int]]) -> tuple[set[tuple[str, int]], set[int]]:
    """The instances to delete (closing over on_delete cascades) and the link rows that go with them;
    refused when a kept, existing instance is still linked (1101075)."""
    doomed = set(start)
    links: set[int] = set()
    frontier = set(start)
    rules = {row["id"]: row["on_delete"] for row in await ObjectAssociation.all().values("id", "on_delete")}
    while frontier:
        by_model: dict[str, list[int]] = {}
        for model_id, pk in frontier:
            by_model.setdefault(model_id, []).append(pk)
        clauses = [Q(obj_id=m, inst_id__in=pks) | Q(asst_obj_id=m, asst_inst_id__in=pks) for m, pks in by_model.items()]
        rows = await InstanceAssociation.filter(Q(*clauses, join_type=Q.OR)).values()
        frontier = set()
        others: dict[tuple[str, int], tuple[Row, bool]] = {}
        for row in rows:
            links.add(row["id"])
            as_source = (row["obj_id"], row["inst_id"]) in doomed
            other = (row["asst_obj_id"], row["asst_inst_id"]) if as_source else (row["obj_id"], row["inst_id"])
            if other in doomed:
                continue
            rule = rules.get(row["object_association_id"], "none")
            cascades = (rule == "delete_dest" and as_source) or (rule == "delete_src" and not as_source)
            others[other] = (row, cascades or others.get(other, (row, False))[1])
        existing = await load_many_refs(others)
        for other, (_, cascades) in others.items():
            ref = existing.get(other)
            if ref is None:
                continue  # the other end is gone already: the link goes with this instance
            # An end the caller may not see is never named: its existence is all the refusal says.
            visible = can_read_instance(principal, ref.business_id)
            what = f"{other[0]} instance {other[1]}" if visible else "an instance you may not see"
            if not cascades or other[0] in ("biz", "set", "module", "host", "plat") or not visible:
                raise Conflict(
                    f"{what} is still associated with it", field="bk_inst_id", code=INSTANCE_HAS_ASSOCIATIONS
                )
            await require_instance_write(principal, ref.business_id, what, model=other[0], action="delete")
            doomed.add(other)
            frontier.add(other)
        if len(doomed) > MAX_CASCADE:
            raise LimitExceeded(f"the delete would cascade to more than {MAX_CASCADE} instances", field="bk_inst_id")
    return doomed, links
