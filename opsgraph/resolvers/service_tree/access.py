"""OpenC3 permission levels on tree nodes, from our roles.

OpenC3 levels: 0 read, 1 control, 2 write/delete, 3 root (global). Ours: viewer, operator,
maintainer on a business, and superusers. A node's level is the caller's role on the node's
business (roles live there, so a set or module inherits it: "the node and its ancestors").
Better than upstream: an app authenticated by appname/appkey gets no bypass; it acts with the
roles granted to it (compat_rest/openc3/auth.py).

A node the caller has no role on is answered exactly like a missing one (NotFound, "does not exist
or you have no access"), so tree ids cannot be probed; a node it can see but not act on is
PermissionDenied ("Unauthorized"), as upstream answers a failed permission point.

Example:
    node = await node_for(principal, 2000000007, CONTROL)   # a module; operator role needed
    level_of(principal, node.business_id)                   # 0..3, or None
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, PermissionDenied, ValidationFailed
from opsgraph.models.topology import Business, Module, Set
from opsgraph.resolvers.service_tree.ids import NodeKind, decode_tree_id, tree_id

READ, CONTROL, WRITE, ROOT = 0, 1, 2, 3
_ROLE_LEVEL = {"viewer": READ, "operator": CONTROL, "maintainer": WRITE}
LEVEL_ROLE = {READ: "viewer", CONTROL: "operator", WRITE: "maintainer"}
# A permission point is "<module>_<action>" (openc3_job_write, connector_read, openc3_agent_root…).
POINT = re.compile(r"^[a-z0-9_]+_(read|control|write|delete|root)$")
_POINT_LEVEL = {"read": READ, "control": CONTROL, "write": WRITE, "delete": WRITE, "root": ROOT}


@dataclass(frozen=True)
class TreeNode:
    tree_id: int
    kind: NodeKind
    pk: int
    name: str
    path: str  # "business.set.module"
    business_id: int
    set_id: int | None = None
    module_id: int | None = None
    parent_tree_id: int | None = None


def level_of(principal: Principal, business_id: int) -> int | None:
    """The caller's level on a business's nodes; None when it has no role there."""
    if principal.is_superuser:
        return ROOT
    role = principal.roles.get(business_id)
    return _ROLE_LEVEL.get(role) if role else None


def point_level(point: str) -> int:
    match = POINT.match(point or "")
    if match is None:
        raise ValidationFailed(f"unknown permission point {point!r}", field="point")
    return _POINT_LEVEL[match.group(1)]


def unseen(value: int) -> NotFound:
    return NotFound(f"tree node {value} does not exist or you have no access to it", field="treeId")


def require_level(principal: Principal, node: TreeNode, level: int) -> None:
    have = level_of(principal, node.business_id)
    if have is None:
        raise unseen(node.tree_id)
    if have < level:
        needed = "a superuser" if level == ROOT else f"the {LEVEL_ROLE[level]} role"
        raise PermissionDenied(f"Unauthorized: level {level} on tree node {node.tree_id} needs {needed}")


async def node_for(principal: Principal, value: int, level: int = READ) -> TreeNode:
    """The node `value` names, once the caller is known to hold `level` on it."""
    kind, pk = decode_tree_id(value)
    node = await _load(kind, pk)
    if node is None:
        raise unseen(value)
    require_level(principal, node, level)
    return node


async def _load(kind: NodeKind, pk: int) -> TreeNode | None:
    if kind == NodeKind.BUSINESS:
        business = await Business.get_or_none(id=pk).values("id", "name")
        if business is None:
            return None
        return TreeNode(tree_id(kind, pk), kind, pk, business["name"], business["name"], pk)
    if kind == NodeKind.SET:
        row = await Set.get_or_none(id=pk).values("id", "name", "business_id", "business__name")
        if row is None:
            return None
        return TreeNode(
            tree_id(kind, pk),
            kind,
            pk,
            row["name"],
            f"{row['business__name']}.{row['name']}",
            row["business_id"],
            set_id=pk,
            parent_tree_id=tree_id(NodeKind.BUSINESS, row["business_id"]),
        )
    row = await Module.get_or_none(id=pk).values("id", "name", "business_id", "set_id", "set__name", "business__name")
    if row is None:
        return None
    return TreeNode(
        tree_id(kind, pk),
        kind,
        pk,
        row["name"],
        f"{row['business__name']}.{row['set__name']}.{row['name']}",
        row["business_id"],
        set_id=row["set_id"],
        module_id=pk,
        parent_tree_id=tree_id(NodeKind.SET, row["set_id"]),
    )


def has_point(principal: Principal, point: str, node: TreeNode | None) -> bool:
    """OpenC3's `point` check: the level the point needs, on the node (or globally without one).

    Without a node only the global level counts (upstream `openc3_connector_userauth`): a
    superuser is 3, everyone else 0, so only `*_read` points pass."""
    needed = point_level(point)
    if node is None:
        return needed == READ or principal.is_superuser
    have = level_of(principal, node.business_id)
    if needed == ROOT:
        return principal.is_superuser
    return have is not None and have >= needed
