"""Node groups of a tree node, and the hosts one matches now."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.core.errors import NotFound
from opsgraph.resolvers.cmdb_groups.groups import group_host_query
from opsgraph.resolvers.service_tree.node_groups import get_node_group, list_node_groups
from opsgraph.schema.types.service_tree_nodes import TreeNodeGroupType
from opsgraph.schema.types.topology import HostType

MAX_GROUP_HOSTS = 50_000


@strawberry.type
class TreeNodeGroupQuery:
    @strawberry.field(description="The node's node groups, newest first.")
    async def tree_node_groups(self, info: Info, tree_id: int) -> list[TreeNodeGroupType]:
        _, groups = await list_node_groups(info.context.caller, tree_id)
        return [TreeNodeGroupType.from_group(group) for group in groups]

    @strawberry.field(description="Null when the node has no such group.")
    async def tree_node_group(self, info: Info, tree_id: int, id: int) -> TreeNodeGroupType | None:
        try:
            return TreeNodeGroupType.from_group(await get_node_group(info.context.caller, tree_id, id))
        except NotFound:
            return None

    @strawberry.field(description="The hosts the group matches now (one search).")
    async def tree_node_group_hosts(self, info: Info, tree_id: int, id: int) -> list[HostType]:
        group = await get_node_group(info.context.caller, tree_id, id)
        query = await group_host_query(info.context.caller, group)
        rows = await query.order_by("id").limit(MAX_GROUP_HOSTS).values()
        return [HostType.from_row(row) for row in rows]
