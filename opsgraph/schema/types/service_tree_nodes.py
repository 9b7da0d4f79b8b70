"""OpenC3 node groups: dynamic groups as an OpenC3 node sees them (plugin and params)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from opsgraph.models.cmdb_groups import DynamicGroup
from opsgraph.resolvers.service_tree.node_groups import openc3_view


@strawberry.type(name="TreeNodeGroup", description="A node group: a dynamic group, matched when a task runs.")
class TreeNodeGroupType:
    id: int = strawberry.field(description="The OpenC3 nodegroup id (the dynamic group's primary key).")
    bk_id: str = strawberry.field(description="The dynamic group's bk custom query id.")
    name: str
    plugin: str = strawberry.field(description="node (hosts listed by IP or name), or cmdb (a search made elsewhere)")
    params: str
    created_by: str
    created_at: datetime
    edited_by: str
    updated_at: datetime

    @classmethod
    def from_group(cls, group: DynamicGroup) -> TreeNodeGroupType:
        view = openc3_view(group.info)
        return cls(
            id=group.id,
            bk_id=group.bk_id,
            name=group.name,
            plugin=str(view.get("plugin") or "cmdb"),
            params=str(view.get("params") or ""),
            created_by=group.create_user,
            created_at=group.created_at,
            edited_by=group.modify_user,
            updated_at=group.updated_at,
        )
