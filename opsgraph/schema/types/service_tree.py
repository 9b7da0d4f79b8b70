"""The service tree (OpenC3's `treeid` space over our topology): nodes with their tree ids,
dotted paths, the caller's level, children, and the hosts under a node."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from opsgraph.core.auth.principal import Principal
from opsgraph.core.ids import encode_global_id
from opsgraph.resolvers.service_tree.access import TreeNode, level_of
from opsgraph.resolvers.service_tree.ids import decode_tree_id
from opsgraph.resolvers.service_tree.tree import TreeBranch, hosts_under
from opsgraph.schema.connection import Connection, connection_from_query
from opsgraph.schema.types.topology import HostType


@strawberry.enum(name="ServiceTreeNodeKind")
class ServiceTreeNodeKind(Enum):
    BUSINESS = "business"
    SET = "set"
    MODULE = "module"


_LEVEL = "The caller's OpenC3 level here: 0 read (viewer), 1 control (operator), 2 write (maintainer), 3 root."


@strawberry.type(name="ServiceTreeNode")
class ServiceTreeNodeType:
    tree_id: int = strawberry.field(description="Business: its id; set: 1e9 + id; module: 2e9 + id.")
    kind: ServiceTreeNodeKind
    name: str
    path: str = strawberry.field(description='Dotted names from the business down: "shop.web.nginx".')
    business_id: strawberry.ID
    bk_biz_id: int
    level: int = strawberry.field(description=_LEVEL)
    parent_tree_id: int | None
    children: list[ServiceTreeNodeType]
    node: strawberry.Private[TreeNode]

    @classmethod
    def from_branch(cls, branch: TreeBranch) -> ServiceTreeNodeType:
        kind, pk = decode_tree_id(branch.tree_id)
        return cls(
            tree_id=branch.tree_id,
            kind=ServiceTreeNodeKind(branch.kind.value),
            name=branch.name,
            path=branch.path,
            business_id=strawberry.ID(encode_global_id("Business", branch.business_id)),
            bk_biz_id=branch.business_id,
            level=branch.level,
            parent_tree_id=None,
            children=[cls.from_branch(child) for child in branch.children],
            node=TreeNode(branch.tree_id, kind, pk, branch.name, branch.path, branch.business_id),
        )

    @classmethod
    def from_node(cls, node: TreeNode, level: int) -> ServiceTreeNodeType:
        return cls(
            tree_id=node.tree_id,
            kind=ServiceTreeNodeKind(node.kind.value),
            name=node.name,
            path=node.path,
            business_id=strawberry.ID(encode_global_id("Business", node.business_id)),
            bk_biz_id=node.business_id,
            level=level,
            parent_tree_id=node.parent_tree_id,
            children=[],
            node=node,
        )

    @strawberry.field(description="Hosts placed anywhere under this node, by bkHostId.")
    async def hosts(
        self, info: Info, first: int, after: str | None = None, ip_contains: str | None = None
    ) -> Connection[HostType]:
        query = hosts_under(self.node)
        if ip_contains:
            query = query.filter(inner_ip__contains=ip_contains)
        return await connection_from_query(
            query, first=first, after=after, maximum=info.context.settings.max_page_size, build=HostType.from_row
        )


def node_type(node: TreeNode, principal: Principal) -> ServiceTreeNodeType:
    return ServiceTreeNodeType.from_node(node, level_of(principal, node.business_id) or 0)
