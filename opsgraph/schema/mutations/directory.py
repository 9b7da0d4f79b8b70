"""updateUserProfile (the user's own contact fields, or any field as a superuser) and updateAppInfo."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from opsgraph.resolvers.directory import apps as app_actions
from opsgraph.resolvers.directory import users as user_actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.types.directory import AppInfoType, DirectoryUserType


@strawberry.input(description="Only the fields given change. platformRole (0, 2, 3, 4) needs a superuser.")
class UpdateUserProfileInput:
    username: str
    display_name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    wx_userid: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    time_zone: str | None = strawberry.UNSET
    platform_role: int | None = strawberry.UNSET


@strawberry.input(description="Superusers. Only the fields given change.")
class UpdateAppInfoInput:
    code: str
    name: str | None = strawberry.UNSET
    introduction: str | None = strawberry.UNSET
    creator: str | None = strawberry.UNSET
    developers: list[str] | None = strawberry.UNSET


@strawberry.type
class UpdateUserProfilePayload:
    user: DirectoryUserType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UpdateAppInfoPayload:
    app: AppInfoType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _given(data: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(data, name) for name in names if getattr(data, name) is not strawberry.UNSET}


@strawberry.type
class DirectoryMutations:
    @strawberry.mutation
    @returns_user_errors(UpdateUserProfilePayload)
    async def update_user_profile(self, info: Info, input: UpdateUserProfileInput) -> UpdateUserProfilePayload:
        changes = _given(input, tuple(sorted(user_actions.EDITABLE)))
        if changes.get("platform_role", 0) is None:
            changes["platform_role"] = 0
        row = await user_actions.update_profile(info.context.caller, input.username, changes)
        return UpdateUserProfilePayload(user=DirectoryUserType.from_row(row))

    @strawberry.mutation
    @returns_user_errors(UpdateAppInfoPayload)
    async def update_app_info(self, info: Info, input: UpdateAppInfoInput) -> UpdateAppInfoPayload:
        changes = _given(input, tuple(sorted(app_actions.EDITABLE)))
        if changes.get("developers", []) is None:
            changes["developers"] = []
        row = await app_actions.update_app_info(info.context.caller, input.code, changes)
        return UpdateAppInfoPayload(app=AppInfoType.from_row(row))
