"""login (also sets the `bk_token` cookie), logout (revokes the token), grantRole."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from opsgraph.core.errors import AuthenticationError
from opsgraph.resolvers import identity as actions
from opsgraph.schema.errors import UserError, returns_user_errors
from opsgraph.schema.inputs import pk

TOKEN_COOKIE = "bk_token"


@strawberry.input
class LoginInput:
    username: str
    password: str


@strawberry.input
class GrantRoleInput:
    username: str
    business_id: strawberry.ID
    role: str = strawberry.field(description="maintainer, operator or viewer")


@strawberry.type
class LoginPayload:
    token: str | None = None
    expires_at: datetime | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class GrantRolePayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(description="The only operation allowed without credentials.")
    async def login(self, info: Info, input: LoginInput) -> LoginPayload:
        try:
            token, expires_at = await actions.login(input.username, input.password, info.context.settings)
        except AuthenticationError as exc:
            return LoginPayload(errors=[UserError.from_exception(exc)])
        response = info.context.response
        if response is not None:
            max_age = int(info.context.settings.token_ttl_seconds)
            response.set_cookie(TOKEN_COOKIE, token, max_age=max_age, httponly=True, samesite="lax")
        return LoginPayload(token=token, expires_at=expires_at)

    @strawberry.mutation(description="Revoke the token this request was made with.")
    @returns_user_errors(LogoutPayload)
    async def logout(self, info: Info) -> LogoutPayload:
        if info.context.token is None:
            raise AuthenticationError("logout needs a login token (app credentials cannot log out)")
        await actions.logout(info.context.caller, info.context.token, info.context.settings)
        if info.context.response is not None:
            info.context.response.delete_cookie(TOKEN_COOKIE)
        return LogoutPayload(ok=True)

    @strawberry.mutation(description="Give a user a role on a business (its maintainers or a superuser).")
    @returns_user_errors(GrantRolePayload)
    async def grant_role(self, info: Info, input: GrantRoleInput) -> GrantRolePayload:
        await actions.grant_role(info.context.caller, input.username, pk(input.business_id, "Business"), input.role)
        return GrantRolePayload(ok=True)
