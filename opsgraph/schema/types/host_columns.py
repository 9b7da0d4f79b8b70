"""The host columns a hosts list's selection needs, so that a nested list reads only those.

Reading every column of 1,000 hosts to answer `{ bkHostId innerIp osType hostName }` costs 3–4× the
query itself: Tortoise parses both timestamps of every row (ISO-8601) and decodes its attributes
(JSON) although nobody asked for them. The fields selected under `nodes` / `edges { node }` name the
columns to read; a field not listed here (`properties`, or one added later) reads every column, so
an unknown field can only cost time, never a wrong answer. Directives are not evaluated: a field
under `@include(if: false)` still counts, which is again only more columns.

The answer depends on the document alone, and documents come from the parser cache, so it is
remembered per field node (the entry keeps the node alive, so its id is not reused meanwhile).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry.types import Info

# GraphQL field of Host → the columns its value comes from ("id" is always read).
_FIELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "__typename": (),
    "id": (),
    "bkHostId": (),
    "bkObjId": (),
    "bkInstId": (),
    "innerIp": ("inner_ip",),
    "outerIp": ("outer_ip",),
    "bkCloudId": ("cloud_area_id",),
    "bkBizId": ("business_id",),
    "hostName": ("host_name",),
    "osType": ("os_type",),
    "osName": ("os_name",),
    "osVersion": ("os_version",),
    "cpu": ("cpu",),
    "mem": ("mem",),
    "disk": ("disk",),
    "sn": ("sn",),
    "operator": ("operator",),
    "bakOperator": ("bak_operator",),
    "comment": ("comment",),
    "sshPort": ("ssh_port",),
    "attributes": ("attributes",),
    "createdAt": ("created_at",),
    "updatedAt": ("updated_at",),
    # Relationships: the key they are loaded by.
    "business": ("business_id",),
    "cloudArea": ("cloud_area_id",),
    "modules": (),
    "sets": (),
    "taskResults": (),
    "agent": (),
    "metrics": (),
    "associations": (),
}
_KEPT = 512
_memo: OrderedDict[tuple[int, ...], tuple[tuple[FieldNode, ...], tuple[str, ...] | None]] = OrderedDict()


class _EveryColumn(Exception):
    pass


def host_columns(info: Info) -> tuple[str, ...] | None:
    """The columns to read for the hosts under this connection field; None for every column."""
    raw = getattr(info, "_raw_info", None)
    if raw is None:
        return None
    nodes: tuple[FieldNode, ...] = tuple(raw.field_nodes)
    key = tuple(id(node) for node in nodes)
    kept = _memo.get(key)
    if kept is not None and all(a is b for a, b in zip(kept[0], nodes, strict=True)):
        return kept[1]
    try:
        needed = {"id"}
        for node in nodes:
            for host_selection in _host_selections(node.selection_set, raw.fragments):
                needed.update(_columns(host_selection, raw.fragments))
        columns: tuple[str, ...] | None = tuple(sorted(needed))
    except _EveryColumn:
        columns = None
    _memo[key] = (nodes, columns)
    while len(_memo) > _KEPT:
        _memo.popitem(last=False)
    return columns


def _fields(
    selection_set: SelectionSetNode | None, fragments: dict[str, Any], seen: frozenset[str] = frozenset()
) -> Iterator[FieldNode]:
    """Every field of a selection set, fragments spread in place."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                raise _EveryColumn  # validation refuses these; never guess
            yield from _fields(fragment.selection_set, fragments, seen | {name})


def _host_selections(connection: SelectionSetNode | None, fragments: dict[str, Any]) -> list[SelectionSetNode | None]:
    found: list[SelectionSetNode | None] = []
    for field in _fields(connection, fragments):
        if field.name.value == "nodes":
            found.append(field.selection_set)
        elif field.name.value == "edges":
            edges = _fields(field.selection_set, fragments)
            found.extend(edge.selection_set for edge in edges if edge.name.value == "node")
    return found


def _columns(host: SelectionSetNode | None, fragments: dict[str, Any]) -> set[str]:
    columns: set[str] = set()
    for field in _fields(host, fragments):
        known = _FIELD_COLUMNS.get(field.name.value)
        if known is None:
            raise _EveryColumn
        columns.update(known)
    return columns
