"""Deciding an OpenC3 approval by its uuid (agree / refuse), as its approver."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.service_tree.approvals import decide
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.types.service_tree_approvals import TreeApprovalType


@strawberry.input
class DecideTreeApprovalInput:
    uuid: str
    opinion: str = strawberry.field(description="agree or refuse")
    remark: str = ""


@strawberry.type
class DecideTreeApprovalPayload:
    approval: TreeApprovalType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TreeApprovalMutations:
    @strawberry.mutation(description="Agree or refuse as the uuid's approver (a signed-in caller: only its own).")
    @returns_user_errors(DecideTreeApprovalPayload)
    async def decide_tree_approval(self, info: Info, input: DecideTreeApprovalInput) -> DecideTreeApprovalPayload:
        row = await decide(
            info.context.caller, info.context.settings.secret_key, input.uuid, input.opinion, input.remark
        )
        return DecideTreeApprovalPayload(approval=TreeApprovalType.from_row(row))
