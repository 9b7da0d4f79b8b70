"""Private tree nodes: superusers add them."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.service_tree.private_nodes import create_private_node
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.types.service_tree_admin import PrivateTreeNodeType


@strawberry.type
class PrivateTreeNodePayload:
    private_tree_node: PrivateTreeNodeType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ServiceTreeAdminMutations:
    @strawberry.mutation(description="A private node for a user (superusers).")
    @returns_user_errors(PrivateTreeNodePayload)
    async def create_private_tree_node(self, info: Info, user: str) -> PrivateTreeNodePayload:
        node = await create_private_node(info.context.caller, user)
        row = {"id": node.id, "user": node.user, "edited_by": node.edited_by, "updated_at": node.updated_at}
        return PrivateTreeNodePayload(private_tree_node=PrivateTreeNodeType.from_row(row))
