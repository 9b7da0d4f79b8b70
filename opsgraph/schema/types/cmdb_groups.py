"""DynamicGroup: a stored search_host body of one business (bk "custom query")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from opsgraph.core.ids import encode_global_id
from opsgraph.schema.types.node import Node
from opsgraph.schema.types.topology import BusinessType

Row = dict[str, Any]


@strawberry.type(name="DynamicGroup", description="Hosts matching a stored search_host body, resolved when used.")
class DynamicGroupType(Node):
    bk_id: str = strawberry.field(description="The bk custom query id (20-character string).")
    bk_biz_id: int
    name: str
    info: str = strawberry.field(description="The stored search_host body, JSON text, as given.")
    create_user: str
    modify_user: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> DynamicGroupType:
        return cls(
            id=strawberry.ID(encode_global_id("DynamicGroup", row["id"])),
            bk_id=row["bk_id"],
            bk_biz_id=row["business_id"],
            name=row["name"],
            info=row["info"],
            create_user=row["create_user"],
            modify_user=row["modify_user"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    @strawberry.field
    async def business(self, info: Info) -> BusinessType:
        return BusinessType.from_row(await info.context.loaders.business.load(self.bk_biz_id))
