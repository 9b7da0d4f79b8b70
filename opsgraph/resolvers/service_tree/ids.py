"""Stable numeric tree ids for businesses, sets and modules.

The three tables keep their own primary keys, so a tree id carries the kind in its range:
business `pk`, set `1_000_000_000 + pk`, module `2_000_000_000 + pk`. Nothing is stored: an id
never changes while the object lives, and it fits a 32-bit signed integer (GraphQL `Int`) for
up to 147,483,647 modules. 0 (OpenC3's "global" tree) and anything else outside these ranges
names no node.

Example:
    >>> tree_id(NodeKind.SET, 7)
    1000000007
    >>> decode_tree_id(1000000007)
    (<NodeKind.SET: 'set'>, 7)
"""

from __future__ import annotations

from enum import StrEnum

from opsgraph.core.errors import NotFound

_SPAN = 1_000_000_000
MAX_TREE_ID = 2**31 - 1


class NodeKind(StrEnum):
    BUSINESS = "business"
    SET = "set"
    MODULE = "module"


_BASE = {NodeKind.BUSINESS: 0, NodeKind.SET: _SPAN, NodeKind.MODULE: 2 * _SPAN}


def tree_id(kind: NodeKind, pk: int) -> int:
    return _BASE[kind] + pk


def decode_tree_id(value: int) -> tuple[NodeKind, int]:
    """The kind and primary key a tree id names; NotFound for ids that name nothing."""
    if not 0 < value <= MAX_TREE_ID:
        raise NotFound(f"tree node {value} does not exist or you have no access to it", field="treeId")
    kind = NodeKind.MODULE if value > 2 * _SPAN else NodeKind.SET if value > _SPAN else NodeKind.BUSINESS
    pk = value - _BASE[kind]
    if pk < 1:
        raise NotFound(f"tree node {value} does not exist or you have no access to it", field="treeId")
    return kind, pk
