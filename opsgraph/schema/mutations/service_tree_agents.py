"""OpenC3's agent module: regions, relations, coverage, the check switch, inheritance."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.service_tree import agent_regions
from opsgraph.schema.errors import UserError, returns_user_errors


@strawberry.type
class TreeAgentPayload:
    id: int | None = None
    value: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TreeAgentMutations:
    @strawberry.mutation(description="A new region (a cloud area: superusers) serving the node.")
    @returns_user_errors(TreeAgentPayload)
    async def create_tree_region(self, info: Info, tree_id: int, name: str) -> TreeAgentPayload:
        row = await agent_regions.create_region(info.context.caller, tree_id, name)
        return TreeAgentPayload(id=row.cloud_area_id)

    @strawberry.mutation(description="Let an existing region (cloud area) serve the node.")
    @returns_user_errors(TreeAgentPayload)
    async def relate_tree_region(self, info: Info, tree_id: int, region_id: int) -> TreeAgentPayload:
        row = await agent_regions.relate_region(info.context.caller, tree_id, region_id)
        return TreeAgentPayload(id=row.id)

    @strawberry.mutation(description="The region no longer serves the node (the cloud area stays).")
    @returns_user_errors(TreeAgentPayload)
    async def unrelate_tree_region(self, info: Info, tree_id: int, region_id: int) -> TreeAgentPayload:
        await agent_regions.unrelate_region(info.context.caller, tree_id, region_id)
        return TreeAgentPayload(id=region_id)

    @strawberry.mutation(description='Addresses the region covers for the node: "10.0.0.0/8 /^web-/".')
    @returns_user_errors(TreeAgentPayload)
    async def add_agent_coverage(self, info: Info, tree_id: int, region_id: int, subnet: str) -> TreeAgentPayload:
        count = await agent_regions.add_coverage(info.context.caller, tree_id, region_id, subnet)
        return TreeAgentPayload(id=count)

    @strawberry.mutation
    @returns_user_errors(TreeAgentPayload)
    async def delete_agent_coverage(self, info: Info, tree_id: int, id: int) -> TreeAgentPayload:
        await agent_regions.delete_coverage(info.context.caller, tree_id, id)
        return TreeAgentPayload(id=id)

    @strawberry.mutation(description="on or off (anything but on is off).")
    @returns_user_errors(TreeAgentPayload)
    async def set_agent_check(self, info: Info, tree_id: int, status: str) -> TreeAgentPayload:
        return TreeAgentPayload(value=await agent_regions.set_agent_check(info.context.caller, tree_id, status))

    @strawberry.mutation(description="The node takes its regions and proxies from another node (null: none).")
    @returns_user_errors(TreeAgentPayload)
    async def set_tree_inherit(self, info: Info, tree_id: int, inherit_tree_id: int | None = None) -> TreeAgentPayload:
        await agent_regions.set_inherit(info.context.caller, tree_id, inherit_tree_id)
        return TreeAgentPayload(id=inherit_tree_id)
