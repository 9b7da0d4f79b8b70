"""The service tree: the caller's visible tree, one node by tree id, permission points."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.core.errors import NotFound
from opsgraph.resolvers.service_tree.access import has_point, node_for, point_level
from opsgraph.resolvers.service_tree.tree import visible_tree
from opsgraph.schema.types.service_tree import ServiceTreeNodeType, node_type


@strawberry.type
class ServiceTreeQuery:
    @strawberry.field(description="The businesses you have a role on, with their sets and modules (OpenC3 usertree).")
    async def service_tree(self, info: Info) -> list[ServiceTreeNodeType]:
        return [ServiceTreeNodeType.from_branch(branch) for branch in await visible_tree(info.context.caller)]

    @strawberry.field(description="Null when the node does not exist or you have no role on its business.")
    async def service_tree_node(self, info: Info, tree_id: int) -> ServiceTreeNodeType | None:
        principal = info.context.caller
        try:
            node = await node_for(principal, tree_id)
        except NotFound:
            return None
        return node_type(node, principal)

    @strawberry.field(
        description="OpenC3 permission point (`<module>_read|control|write|delete|root`) on a node, or globally."
    )
    async def service_tree_point(self, info: Info, point: str, tree_id: int | None = None) -> bool:
        principal = info.context.caller
        point_level(point)  # an unknown point is the caller's mistake, not a "no"
        if tree_id is None:
            return has_point(principal, point, None)
        try:
            node = await node_for(principal, tree_id)
        except NotFound:
            return False
        return has_point(principal, point, node)
