"""Node groups: create, update, delete (level 2 on the node; dynamic groups' own checks too)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.service_tree import node_groups, node_hosts
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.types.service_tree_nodes import TreeNodeGroupType


@strawberry.input
class TreeNodeGroupInput:
    tree_id: int
    name: str
    plugin: str = strawberry.field(default="node", description="node: params lists host IPs or names")
    params: str = ""


@strawberry.input
class UpdateTreeNodeGroupInput:
    tree_id: int
    id: int
    name: str
    plugin: str = "node"
    params: str = ""


@strawberry.input
class DeleteTreeNodeGroupInput:
    tree_id: int
    id: int


@strawberry.type
class TreeNodeGroupPayload:
    node_group: TreeNodeGroupType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteTreeNodeGroupPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description='"ip", or "name::inner ip::outer ip".')
class PlaceTreeHostInput:
    tree_id: int
    name: str


@strawberry.input
class RemoveTreeHostInput:
    tree_id: int
    bk_host_id: int


@strawberry.type
class TreeHostPayload:
    bk_host_id: int | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TreeNodeGroupMutations:
    @strawberry.mutation(description="Put a host on a module (or business) node; new addresses are imported.")
    @returns_user_errors(TreeHostPayload)
    async def place_tree_host(self, info: Info, input: PlaceTreeHostInput) -> TreeHostPayload:
        return TreeHostPayload(bk_host_id=await node_hosts.place_host(info.context.caller, input.tree_id, input.name))

    @strawberry.mutation(description="Take a host off a node: to the idle module (or, from a business, the pool).")
    @returns_user_errors(TreeHostPayload)
    async def remove_tree_host(self, info: Info, input: RemoveTreeHostInput) -> TreeHostPayload:
        await node_hosts.remove_host(info.context.caller, input.tree_id, input.bk_host_id)
        return TreeHostPayload(bk_host_id=input.bk_host_id)

    @strawberry.mutation(description="A node group (a dynamic group of the node's business).")
    @returns_user_errors(TreeNodeGroupPayload)
    async def create_tree_node_group(self, info: Info, input: TreeNodeGroupInput) -> TreeNodeGroupPayload:
        group = await node_groups.create_node_group(
            info.context.caller, input.tree_id, input.name, input.plugin, input.params
        )
        return TreeNodeGroupPayload(node_group=TreeNodeGroupType.from_group(group))

    @strawberry.mutation
    @returns_user_errors(TreeNodeGroupPayload)
    async def update_tree_node_group(self, info: Info, input: UpdateTreeNodeGroupInput) -> TreeNodeGroupPayload:
        group = await node_groups.update_node_group(
            info.context.caller, input.tree_id, input.id, input.name, input.plugin, input.params
        )
        return TreeNodeGroupPayload(node_group=TreeNodeGroupType.from_group(group))

    @strawberry.mutation
    @returns_user_errors(DeleteTreeNodeGroupPayload)
    async def delete_tree_node_group(self, info: Info, input: DeleteTreeNodeGroupInput) -> DeleteTreeNodeGroupPayload:
        await node_groups.delete_node_group(info.context.caller, input.tree_id, input.id)
        return DeleteTreeNodeGroupPayload(ok=True)
