"""Recording CMDB change events into the outbox, inside the caller's transaction.

Call it from within the `write_transaction()` (or `in_transaction()`) of the change itself: the
event row then commits or rolls back with the change, so subscribers never hear of a change that
did not happen and never miss one that did. Delivery is the dispatcher's job
(executors/event_delivery.py).

Event type names follow bk-cmdb (upstream_semantics_wave2.md §6.7): `instdata` events are
`<obj_type><action>` (hostcreate, setupdate, bk_switchdelete …); `relation` events are named by
their obj_type alone (`moduletransfer`: a host joining or leaving a module); `association` events
(an instance association added or removed) are delivered as `<obj_type>update`.

Example (inside a mutation's transaction):
    await record_event("instdata", "host", "update", cur_data=after, pre_data=before,
                       business_id=host.business_id, operator=principal.username)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from opsgraph.models.cmdb_events import CmdbEvent
from opsgraph.models.topology import HostModule, Module

EVENT_TYPES = frozenset({"instdata", "relation", "association"})
ACTIONS = frozenset({"create", "update", "delete"})
MODULE_TRANSFER = "moduletransfer"
SUPPLIER_ACCOUNT = "0"


@dataclass(frozen=True)
class EventRecord:
    event_type: str
    obj_type: str
    action: str
    cur_data: dict[str, Any] | None
    pre_data: dict[str, Any] | None
    business_id: int | None = None


def event_name(event_type: str, obj_type: str, action: str) -> str:
    """The name a subscription's `subscription_form` lists (bk-cmdb EventInst.GetType)."""
    if event_type == "relation":
        return obj_type
    if event_type == "association":
        return f"{obj_type}update"
    return f"{obj_type}{action}"


def changed_fields(cur: dict[str, Any] | None, pre: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """(update_fields, deleted_fields) of an update: keys whose values differ, keys that vanished."""
    if cur is None or pre is None:
        return [], []
    updated = sorted(key for key, value in cur.items() if key not in pre or pre[key] != value)
    deleted = sorted(key for key in pre if key not in cur)
    return updated, deleted


def _row(record: EventRecord, operator: str) -> CmdbEvent:
    if record.event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {record.event_type!r}")
    if record.action not in ACTIONS:
        raise ValueError(f"unknown event action {record.action!r}")
    updated, deleted = changed_fields(record.cur_data, record.pre_data) if record.action == "update" else ([], [])
    return CmdbEvent(
        event_type=record.event_type,
        obj_type=record.obj_type,
        action=record.action,
        business_id=record.business_id,
        cur_data=record.cur_data,
        pre_data=record.pre_data,
        update_fields=updated,
        deleted_fields=deleted,
        operator=operator[:128],
    )


async def record_event(
    event_type: str,
    obj_type: str,
    action: str,
    cur_data: dict[str, Any] | None,
    pre_data: dict[str, Any] | None,
    *,
    business_id: int | None = None,
    operator: str = "",
) -> None:
    """One outbox row, written through the caller's transaction (see the module docstring)."""
    await record_events([EventRecord(event_type, obj_type, action, cur_data, pre_data, business_id)], operator)


async def record_events(records: Sequence[EventRecord], operator: str = "") -> None:
    """Many rows in one statement per thousand (a bulk update of 10,000 hosts is 10 statements)."""
    if records:
        await CmdbEvent.bulk_create([_row(record, operator) for record in records], batch_size=1000)


def instance_events(
    obj_type: str,
    action: str,
    changes: Iterable[tuple[dict[str, Any] | None, dict[str, Any] | None, int | None]],
) -> list[EventRecord]:
    """`instdata` records from (cur_data, pre_data, business_id) triples."""
    return [EventRecord("instdata", obj_type, action, cur, pre, business_id) for cur, pre, business_id in changes]


# --- host ↔ module relations ---------------------------------------------------------------------

Relation = tuple[int, int, int, int]  # (host, module, set, business)


async def _relations(host_ids: Sequence[int]) -> set[Relation]:
    if not host_ids:
        return set()
    rows = await HostModule.filter(host_id__in=list(host_ids)).values("host_id", "module_id", "business_id")
    module_ids = {row["module_id"] for row in rows}
    sets = dict(await Module.filter(id__in=module_ids).values_list("id", "set_id")) if module_ids else {}
    return {(row["host_id"], row["module_id"], int(sets.get(row["module_id"], 0)), row["business_id"]) for row in rows}


def _relation_data(relation: Relation) -> dict[str, Any]:
    host_id, module_id, set_id, business_id = relation
    return {
        "bk_host_id": host_id,
        "bk_module_id": module_id,
        "bk_set_id": set_id,
        "bk_biz_id": business_id,
        "bk_supplier_account": SUPPLIER_ACCOUNT,
    }


@asynccontextmanager
async def host_transfer_events(host_ids: Sequence[int], operator: str) -> AsyncIterator[None]:
    """`moduletransfer` events for whatever the enclosed code does to the hosts' module memberships:
    a `delete` per relation that went away, then a `create` per relation that appeared (bk-cmdb's
    order: the host leaves its old modules first). Enter it inside the change's transaction."""
    ids = list(dict.fromkeys(host_ids))
    before = await _relations(ids)
    yield
    after = await _relations(ids)
    removed = sorted(before - after)
    added = sorted(after - before)
    await record_events(
        [EventRecord("relation", MODULE_TRANSFER, "delete", None, _relation_data(r), r[3]) for r in removed]
        + [EventRecord("relation", MODULE_TRANSFER, "create", _relation_data(r), None, r[3]) for r in added],
        operator,
    )


async def record_new_memberships(host_ids: Sequence[int], operator: str) -> None:
    """`moduletransfer` create events for every current membership of hosts that had none (new hosts)."""
    relations = sorted(await _relations(list(host_ids)))
    await record_events(
        [EventRecord("relation", MODULE_TRANSFER, "create", _relation_data(r), None, r[3]) for r in relations],
        operator,
    )
