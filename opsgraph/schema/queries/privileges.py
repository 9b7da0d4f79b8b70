"""User groups, a user's effective privileges, a role's privileges."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.privileges import groups as group_actions
from opsgraph.schema.types.privileges import UserGroupType, UserPrivilegesType


@strawberry.type
class PrivilegeQuery:
    @strawberry.field(description="Superusers: every group (default first), or those named / having all members.")
    async def user_groups(
        self, info: Info, name: str | None = None, members: list[str] | None = None
    ) -> list[UserGroupType]:
        found = await group_actions.search_groups(info.context.caller, name, members)
        return [UserGroupType.from_described(group) for group in found]

    @strawberry.field(description="Your own privileges; a superuser may ask for anyone's.")
    async def user_privileges(self, info: Info, username: str | None = None) -> UserPrivilegesType:
        principal = info.context.caller
        described = await group_actions.user_privileges(principal, username or principal.username)
        return UserPrivilegesType.from_described(described)

    @strawberry.field(description="The business functions a role may use: hostupdate, hosttrans, topoupdate, …")
    async def role_privileges(self, info: Info, role: str) -> list[str]:
        return await group_actions.role_privileges(info.context.caller, role)
