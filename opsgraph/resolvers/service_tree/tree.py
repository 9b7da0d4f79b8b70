"""The tree a caller sees (`usertree`), its dotted names (`treemap`) and the hosts under a node.

Three queries build the whole visible tree (businesses, their sets, their modules), whatever its
size. Only businesses the caller has a role on appear, with everything under them; a superuser
sees every business. Upstream's "full" treemap shows every node to anyone logged in; here it is
the visible part too, because a name is already something a caller without a role must not learn.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from opsgraph.core.auth.principal import Principal
from opsgraph.models.topology import Business, Host, HostModule, Module, Set
from opsgraph.resolvers.service_tree.access import TreeNode, level_of
from opsgraph.resolvers.service_tree.ids import NodeKind, tree_id


@dataclass
class TreeBranch:
    tree_id: int
    kind: NodeKind
    name: str
    path: str
    business_id: int
    level: int
    children: list[TreeBranch] = field(default_factory=list)


async def visible_tree(principal: Principal) -> list[TreeBranch]:
    businesses = Business.filter(enabled=True)
    visible = principal.visible_business_ids()
    if visible is not None:
        businesses = businesses.filter(id__in=visible)
    rows = await businesses.order_by("id").values("id", "name")
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    sets: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await Set.filter(business_id__in=ids).order_by("id").values("id", "name", "business_id"):
        sets[row["business_id"]].append(row)
    modules: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await Module.filter(business_id__in=ids).order_by("id").values("id", "name", "set_id"):
        modules[row["set_id"]].append(row)
    tree = []
    for business in rows:
        level = level_of(principal, business["id"])
        if level is None:
            continue
        root = TreeBranch(
            tree_id(NodeKind.BUSINESS, business["id"]),
            NodeKind.BUSINESS,
            business["name"],
            business["name"],
            business["id"],
            level,
        )
        for set_row in sets[business["id"]]:
            set_path = f"{root.path}.{set_row['name']}"
            branch = TreeBranch(
                tree_id(NodeKind.SET, set_row["id"]), NodeKind.SET, set_row["name"], set_path, business["id"], level
            )
            branch.children = [
                TreeBranch(
                    tree_id(NodeKind.MODULE, module["id"]),
                    NodeKind.MODULE,
                    module["name"],
                    f"{set_path}.{module['name']}",
                    business["id"],
                    level,
                )
                for module in modules[set_row["id"]]
            ]
            root.children.append(branch)
        tree.append(root)
    return tree


def flatten(tree: list[TreeBranch]) -> list[TreeBranch]:
    out: list[TreeBranch] = []
    for branch in tree:
        out.append(branch)
        out.extend(flatten(branch.children))
    return out


def hosts_under(node: TreeNode) -> QuerySet[Host]:
    """The hosts placed anywhere under the node (a business: every host it holds)."""
    if node.kind == NodeKind.BUSINESS:
        return Host.filter(business_id=node.business_id)
    column = "module_id" if node.kind == NodeKind.MODULE else "module__set_id"
    members = Subquery(HostModule.filter(**{column: node.pk}).values("host_id"))
    return Host.filter(business_id=node.business_id, id__in=members)
