"""Users, apps, roles, login/logout and turning credentials into a Principal."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError

from opsgraph.core.auth.passwords import hash_secret, verify_secret
from opsgraph.core.auth.principal import Principal
from opsgraph.core.auth.tokens import decode_token, issue_token
from opsgraph.core.crypto import SecretBox
from opsgraph.core.errors import AuthenticationError, Duplicate, NotFound, ValidationFailed
from opsgraph.core.settings import Settings
from opsgraph.models.identity import App, RevokedToken, Role, RoleName, User
from opsgraph.models.topology import Business
from opsgraph.resolvers.audit import record_operation

_MIN_PASSWORD = 8
_VERIFIED_APP_TTL = 300.0
_VERIFIED_APPS_MAX = 1024
_VERIFIED_APPS: dict[tuple[str, str, str], float] = {}


async def principal_for_user(user: User, *, app_code: str = "", token_id: str | None = None) -> Principal:
    roles = {row["business_id"]: row["role"] for row in await Role.filter(user_id=user.id).values()}
    return Principal(
        user_id=user.id,
        username=user.username,
        is_superuser=user.is_superuser,
        roles={k: str(v) for k, v in roles.items()},
        app_code=app_code,
        token_id=token_id,
    )


async def principal_from_token(token: str, settings: Settings, *, app_code: str = "") -> Principal:
    claims = decode_token(token, secret=settings.secret_key)
    if await RevokedToken.exists(jti=claims["jti"]):
        raise AuthenticationError("token has been revoked (logged out)")
    user = await User.get_or_none(username=claims["sub"], is_active=True)
    if user is None:
        raise AuthenticationError("token's user no longer exists or is disabled")
    return await principal_for_user(user, app_code=app_code, token_id=claims["jti"])


async def authenticate_app(code: str, secret: str) -> App:
    """Every legacy request carries the app secret; scrypt costs ~50 ms of CPU, so a verified
    (code, secret digest, stored hash) triple is remembered for a few minutes, and the hash itself
    runs in a worker thread instead of blocking the event loop."""
    app = await App.get_or_none(code=code) if code else None
    # Verify against a dummy hash when the app is unknown so timing does not reveal app codes.
    stored = app.secret_hash if app else _DUMMY_HASH
    key = (code, hashlib.sha256((secret or "").encode()).hexdigest(), stored)
    if app is not None and _VERIFIED_APPS.get(key, 0.0) > time.monotonic():
        return app
    if not await asyncio.to_thread(verify_secret, secret or "", stored) or app is None:
        raise AuthenticationError("app authentication failed: wrong bk_app_code or bk_app_secret")
    if len(_VERIFIED_APPS) > _VERIFIED_APPS_MAX:
        _VERIFIED_APPS.clear()
    _VERIFIED_APPS[key] = time.monotonic() + _VERIFIED_APP_TTL
    return app


async def principal_for_app_call(
    app: App, settings: Settings, *, bk_token: str | None, bk_username: str | None
) -> Principal:
    """BlueKing rule: a login token names the user; `bk_username` only for login-exempt apps."""
    if bk_token:
        return await principal_from_token(bk_token, settings, app_code=app.code)
    if bk_username:
        if not app.skip_user_auth:
            raise AuthenticationError(f"app {app.code!r} is not allowed to skip user authentication; send bk_token")
        user = await User.get_or_none(username=bk_username, is_active=True)
        if user is None:
            raise AuthenticationError(f"user {bk_username!r} does not exist")
        return await principal_for_user(user, app_code=app.code)
    raise AuthenticationError("user authentication failed: send bk_token or bk_username")


async def login(username: str, password: str, settings: Settings) -> tuple[str, datetime]:
    user = await User.get_or_none(username=username, is_active=True)
    stored = user.password_hash if user else _DUMMY_HASH
    if not await asyncio.to_thread(verify_secret, password, stored) or user is None:
        raise AuthenticationError("wrong username or password")
    token, claims = issue_token(user.username, secret=settings.secret_key, ttl_seconds=settings.token_ttl_seconds)
    return token, datetime.fromtimestamp(claims["exp"], tz=UTC)


async def logout(principal: Principal, token: str, settings: Settings) -> None:
    claims = decode_token(token, secret=settings.secret_key)
    await RevokedToken.get_or_create(
        jti=claims["jti"], defaults={"expires_at": datetime.fromtimestamp(claims["exp"], tz=UTC)}
    )
    await RevokedToken.filter(expires_at__lt=datetime.now(tz=UTC)).delete()
    await record_operation(principal, op_type="logout", op_target="user", op_desc=f"logout {principal.username}")


async def create_user(username: str, password: str, *, superuser: bool = False) -> User:
    if not username or len(username) > 128:
        raise ValidationFailed("username must be 1–128 characters", field="username")
    if len(password) < _MIN_PASSWORD:
        raise ValidationFailed(f"password must be at least {_MIN_PASSWORD} characters", field="password")
    try:
        return await User.create(username=username, password_hash=hash_secret(password), is_superuser=superuser)
    except IntegrityError as exc:
        raise Duplicate(f"user {username!r} already exists", field="username") from exc


async def create_app(code: str, secret: str, settings: Settings, *, skip_user_auth: bool = False) -> App:
    if not code or len(code) > 128:
        raise ValidationFailed("app code must be 1–128 characters", field="code")
    if len(secret) < _MIN_PASSWORD:
        raise ValidationFailed(f"app secret must be at least {_MIN_PASSWORD} characters", field="secret")
    try:
        return await App.create(
            code=code,
            secret_hash=hash_secret(secret),
            secret_encrypted=SecretBox(settings.secret_key).encrypt(secret),
            skip_user_auth=skip_user_auth,
        )
    except IntegrityError as exc:
        raise Duplicate(f"app {code!r} already exists", field="code") from exc


async def grant_role(principal: Principal | None, username: str, business_id: int, role: str) -> Role:
    """Superusers and the business's maintainers grant roles (principal None = operator's CLI)."""
    if principal is not None:
        principal.require(business_id, RoleName.MAINTAINER)
    try:
        role_name = RoleName(role)
    except ValueError as exc:
        raise ValidationFailed(f"unknown role {role!r}", field="role") from exc
    user = await User.get_or_none(username=username)
    if user is None:
        raise NotFound(f"user {username!r} does not exist", field="username")
    if not await Business.exists(id=business_id):
        raise NotFound(f"business {business_id} does not exist", field="businessId")
    grant, _ = await Role.update_or_create(user_id=user.id, business_id=business_id, defaults={"role": role_name})
    if principal is not None:
        await record_operation(
            principal,
            op_type="grant",
            op_target="role",
            op_desc=f"{username} is {role} of {business_id}",
            business_id=business_id,
            cur_data={"username": username, "role": role},
        )
    return grant


_DUMMY_HASH = hash_secret("opsgraph-dummy-secret")
