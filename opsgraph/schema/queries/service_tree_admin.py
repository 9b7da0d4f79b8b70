"""Private tree nodes (superusers see all; everyone sees their own)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.service_tree.private_nodes import list_private_nodes, my_private_nodes
from opsgraph.schema.types.service_tree_admin import PrivateTreeNodeType


@strawberry.type
class ServiceTreeAdminQuery:
    @strawberry.field(description="Every private node (superusers), or only yours (`mine: true`).")
    async def private_tree_nodes(self, info: Info, mine: bool = False) -> list[PrivateTreeNodeType]:
        principal = info.context.caller
        rows = await (my_private_nodes(principal) if mine else list_private_nodes(principal))
        return [PrivateTreeNodeType.from_row(row) for row in rows]
