"""Dynamic groups: list (bk search_custom_query), one by bk id, and the hosts one matches now."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.cmdb_groups import groups as group_actions
from opsgraph.schema.queries.topology import HostSearchResult, OffsetPageInput
from opsgraph.schema.types.cmdb_groups import DynamicGroupType
from opsgraph.schema.types.topology import HostType


@strawberry.input
class DynamicGroupFilter:
    name_contains: str | None = None
    create_user: str | None = None
    modify_user: str | None = None


@strawberry.type
class DynamicGroupSearchResult:
    count: int
    items: list[DynamicGroupType]


@strawberry.type
class DynamicGroupQuery:
    @strawberry.field(description="Dynamic groups of a business, newest first (offset paging, limit ≤ 200).")
    async def dynamic_groups(
        self, info: Info, bk_biz_id: int, filter: DynamicGroupFilter | None = None, page: OffsetPageInput | None = None
    ) -> DynamicGroupSearchResult:
        spec = filter or DynamicGroupFilter()
        paging = page or OffsetPageInput()
        filters = {
            "name_contains": spec.name_contains,
            "create_user": spec.create_user,
            "modify_user": spec.modify_user,
        }
        total, rows = await group_actions.search_groups(
            info.context.caller, bk_biz_id, filters, paging.start, paging.limit
        )
        return DynamicGroupSearchResult(count=total, items=[DynamicGroupType.from_row(row) for row in rows])

    @strawberry.field(description="One dynamic group by its bk id (the custom query id).")
    async def dynamic_group(self, info: Info, bk_biz_id: int, bk_id: str) -> DynamicGroupType:
        group = await group_actions.get_group(info.context.caller, bk_biz_id, bk_id)
        return DynamicGroupType.from_row(await info.context.loaders.dynamic_group.load(group.id))

    @strawberry.field(description="The hosts the group matches now (bk get_custom_query_data), one page (≤ 200).")
    async def dynamic_group_hosts(
        self, info: Info, bk_biz_id: int, bk_id: str, page: OffsetPageInput | None = None
    ) -> HostSearchResult:
        paging = page or OffsetPageInput()
        group = await group_actions.get_group(info.context.caller, bk_biz_id, bk_id)
        total, rows = await group_actions.group_hosts(
            info.context.caller, group, paging.start, paging.limit, paging.sort
        )
        info.context.loaders.prime_many(info.context.loaders.host, rows)
        return HostSearchResult(count=total, items=[HostType.from_row(row) for row in rows])
