"""OpenC3's agent module: regions, coverage, the check switch and inheritance of a tree node."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.service_tree import agent_regions
from opsgraph.schema.types.service_tree_agents import AgentCheckType, AgentCoverageType, TreeInheritType, TreeRegionType


@strawberry.type
class TreeAgentQuery:
    @strawberry.field(description="Regions serving the node (ownedOnly: those made on it).")
    async def tree_regions(self, info: Info, tree_id: int, owned_only: bool = False) -> list[TreeRegionType]:
        rows = await agent_regions.tree_regions(info.context.caller, tree_id, owned_only=owned_only)
        return [
            TreeRegionType(
                id=r["id"],
                region_id=r["cloud_area_id"],
                name=r["name"],
                tree_id=r["tree_id"],
                owner=r["owner"],
                created_by=r["created_by"],
                created_at=r["created_at"],
            )
            for r in rows
        ]

    @strawberry.field(description="What the node's regions cover (of one region, or all).")
    async def agent_coverage(self, info: Info, tree_id: int, region_id: int | None = None) -> list[AgentCoverageType]:
        return [
            AgentCoverageType(**row) for row in await agent_regions.coverage(info.context.caller, tree_id, region_id)
        ]

    @strawberry.field(description="The agent check switch; with it on, reading checks the node's agents now.")
    async def agent_check(self, info: Info, tree_id: int) -> AgentCheckType:
        check = await agent_regions.agent_check(info.context.caller, info.context.settings, tree_id)
        stale = agent_regions.staleness(check)
        return AgentCheckType(
            status=check["status"],
            last_check=check["last_check"],
            last_success=check["last_success"],
            last_check_x=stale["last_check_x"],
            last_success_x=stale["last_success_x"],
        )

    @strawberry.field
    async def tree_inherit(self, info: Info, tree_id: int) -> TreeInheritType | None:
        row = await agent_regions.inherit_of(info.context.caller, tree_id)
        return TreeInheritType(**row) if row else None
