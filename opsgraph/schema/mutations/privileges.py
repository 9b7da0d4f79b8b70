"""createUserGroup, updateUserGroup, deleteUserGroup, setGroupPrivileges, unrestrictDefaultUserGroup,
bindRolePrivileges. Superusers only; every one audited."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from opsgraph.models.privileges import UserGroup
from opsgraph.resolvers.privileges import groups as group_actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.types.privileges import UserGroupType


@strawberry.input
class CreateUserGroupInput:
    name: str
    members: list[str] = strawberry.field(default_factory=list, description="User names.")


@strawberry.input(description="Only the fields given change; members replace the list.")
class UpdateUserGroupInput:
    group_id: str
    name: str | None = None
    members: list[str] | None = None


@strawberry.input
class DeleteUserGroupInput:
    group_id: str


@strawberry.input(description="Replaces the group's privileges.")
class SetGroupPrivilegesInput:
    group_id: str
    model_config: JSON = strawberry.field(description="{classification: {model: [search|create|update|delete]}}")
    sys_config: JSON | None = strawberry.field(default=None, description="{global_busi: [...], back_config: [...]}")


@strawberry.input
class BindRolePrivilegesInput:
    role: str = strawberry.field(description="maintainer, operator or viewer")
    privileges: list[str] = strawberry.field(description="hostupdate, hosttrans, topoupdate, customapi, proconfig")


@strawberry.type
class UserGroupPayload:
    group: UserGroupType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteUserGroupPayload:
    deleted_group_id: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RolePrivilegesPayload:
    role: str | None = None
    privileges: list[str] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _payload(group: UserGroup) -> UserGroupPayload:
    return UserGroupPayload(group=UserGroupType.from_described(await group_actions.describe_group(group)))


@strawberry.type
class PrivilegeMutations:
    @strawberry.mutation
    @returns_user_errors(UserGroupPayload)
    async def create_user_group(self, info: Info, input: CreateUserGroupInput) -> UserGroupPayload:
        return await _payload(await group_actions.create_group(info.context.caller, input.name, input.members))

    @strawberry.mutation
    @returns_user_errors(UserGroupPayload)
    async def update_user_group(self, info: Info, input: UpdateUserGroupInput) -> UserGroupPayload:
        group = await group_actions.update_group(info.context.caller, input.group_id, input.name, input.members)
        return await _payload(group)

    @strawberry.mutation
    @returns_user_errors(DeleteUserGroupPayload)
    async def delete_user_group(self, info: Info, input: DeleteUserGroupInput) -> DeleteUserGroupPayload:
        await group_actions.delete_group(info.context.caller, input.group_id)
        return DeleteUserGroupPayload(deleted_group_id=input.group_id)

    @strawberry.mutation(description="Replace a group's model and system privileges (the default group's too).")
    @returns_user_errors(UserGroupPayload)
    async def set_group_privileges(self, info: Info, input: SetGroupPrivilegesInput) -> UserGroupPayload:
        group = await group_actions.set_group_privileges(
            info.context.caller, input.group_id, input.model_config, input.sys_config
        )
        return await _payload(group)

    @strawberry.mutation(description="Make the default group grant everything again (its initial state).")
    @returns_user_errors(UserGroupPayload)
    async def unrestrict_default_user_group(self, info: Info) -> UserGroupPayload:
        return await _payload(await group_actions.restore_unrestricted(info.context.caller))

    @strawberry.mutation(description="Replace the business functions a role may use.")
    @returns_user_errors(RolePrivilegesPayload)
    async def bind_role_privileges(self, info: Info, input: BindRolePrivilegesInput) -> RolePrivilegesPayload:
        chosen = await group_actions.bind_role_privileges(info.context.caller, input.role, input.privileges)
        return RolePrivilegesPayload(role=input.role, privileges=chosen)
