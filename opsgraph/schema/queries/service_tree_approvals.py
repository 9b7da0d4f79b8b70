"""OpenC3 approvals: yours, and what an approval uuid shows."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.service_tree.approvals import approvals_of_link, my_approvals
from opsgraph.schema.types.service_tree_approvals import TreeApprovalType


@strawberry.type
class TreeApprovalQuery:
    @strawberry.field(description="The approval steps you are an approver of (newest 100), with your uuids.")
    async def tree_approvals(self, info: Info) -> list[TreeApprovalType]:
        rows = await my_approvals(info.context.caller, info.context.settings.secret_key)
        return [TreeApprovalType.from_row(row) for row in rows]

    @strawberry.field(description="The approvers of the step an approval uuid belongs to; its own row first.")
    async def tree_approvals_by_uuid(self, info: Info, uuid: str) -> list[TreeApprovalType]:
        info.context.caller  # noqa: B018 - the uuid itself is the credential; a caller is still required
        rows = await approvals_of_link(info.context.settings.secret_key, uuid)
        return [TreeApprovalType.from_row(row) for row in rows]
