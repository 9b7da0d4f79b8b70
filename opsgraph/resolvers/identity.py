"""Users, apps, roles, login/logout and turning credentials into a Principal."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from opsgraph.core.auth.passwords import hash_secret, verify_secret
from opsgraph.core.auth.principal import CLI_OPERATOR, NO_USER_ID, Principal
from opsgraph.core.auth.principal_cache import announce_principal_change, principal_cache
from opsgraph.core.auth.tokens import decode_token, issue_token
from opsgraph.core.crypto import SecretBox
from opsgraph.core.errors import AuthenticationError, Duplicate, NotFound, ValidationFailed
from opsgraph.core.settings import Settings, get_settings
from opsgraph.core.sql_count import start_uncounted
from opsgraph.models.identity import AccessKey, App, RevokedToken, Role, RoleName, User
from opsgraph.models.topology import Business
from opsgraph.resolvers.audit import record_operation

log = logging.getLogger("opsgraph.auth")

_MIN_PASSWORD = 8
_VERIFIED_APP_TTL = 300.0
_VERIFIED_APPS_MAX = 1024
_VERIFIED_APPS: dict[tuple[str, str, str], float] = {}
# What the operator's listings show: never a password hash or an app secret (hashed or encrypted).
USER_COLUMNS = ("id", "username", "is_superuser", "is_active", "created_at", "token_generation", "tokens_revoked_at")
APP_COLUMNS = ("id", "code", "skip_user_auth", "created_at")


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
    """The principal a login token stands for. A token verified before is answered from
    `principal_cache` (no SQL); every change that could refuse it or change its roles is announced
    (`_principal_changed`) and removes the entry first."""
    key = (token, app_code)
    hit = principal_cache.lookup(key, settings.data_dir)
    if hit is None:
        return await _principal_from_database(key, token, settings, app_code)
    if hit.stale:
        start_uncounted(_reread(key, token, settings, app_code))
    return hit.principal


async def _principal_from_database(key: tuple[str, str], token: str, settings: Settings, app_code: str) -> Principal:
    generation = principal_cache.generation
    claims = decode_token(token, secret=settings.secret_key)
    if await RevokedToken.exists(jti=claims["jti"]):
        raise AuthenticationError("token has been revoked (logged out)")
    user = await User.get_or_none(username=claims["sub"], is_active=True)
    if user is None:
        raise AuthenticationError("token's user no longer exists or is disabled")
    if claims.get("gen", 0) != user.token_generation:
        raise AuthenticationError("token has been revoked (the user's tokens were revoked)")
    principal = await principal_for_user(user, app_code=app_code, token_id=claims["jti"])
    principal_cache.store(key, principal, expires_at=float(claims["exp"]), generation=generation)
    return principal


async def _reread(key: tuple[str, str], token: str, settings: Settings, app_code: str) -> None:
    """Beside a request answered from an old entry: read it again, or drop it if no longer valid."""
    try:
        await _principal_from_database(key, token, settings, app_code)
    except AuthenticationError:
        principal_cache.forget(key)
    except Exception:  # the database is away: the next request reads it itself
        log.warning("re-reading a cached principal failed", exc_info=True)
        principal_cache.forget(key)


def _principal_changed(user_id: int) -> None:
    """After the change is committed: cached principals of the user go, here and in other processes."""
    announce_principal_change(get_settings().data_dir, user_id)


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
            # Refusing an unknown (or disabled) name would let the app enumerate usernames. As in
            # BlueKing, where a login-exempt bk_username is simply trusted, the name acts with no
            # role at all: every answer is what an existing user without roles gets.
            return Principal(user_id=NO_USER_ID, username=bk_username, app_code=app.code)
        return await principal_for_user(user, app_code=app.code)
    raise AuthenticationError("user authentication failed: send bk_token or bk_username")


async def login(username: str, password: str, settings: Settings) -> tuple[str, datetime]:
    user = await User.get_or_none(username=username, is_active=True)
    stored = user.password_hash if user else _DUMMY_HASH
    if not await asyncio.to_thread(verify_secret, password, stored) or user is None:
        raise AuthenticationError("wrong username or password")
    return _token_for(user, settings)


async def issue_user_token(username: str, settings: Settings) -> tuple[str, datetime]:
    """A login token for an active user without its password: the operator's CLI (`admin issue-token`)."""
    user = await User.get_or_none(username=username, is_active=True)
    if user is None:
        raise NotFound(f"user {username!r} does not exist or is disabled", field="username")
    return _token_for(user, settings)


def _token_for(user: User, settings: Settings) -> tuple[str, datetime]:
    token, claims = issue_token(
        user.username,
        secret=settings.secret_key,
        ttl_seconds=settings.token_ttl_seconds,
        generation=user.token_generation,
    )
    return token, datetime.fromtimestamp(claims["exp"], tz=UTC)


async def logout(principal: Principal, token: str, settings: Settings) -> None:
    claims = decode_token(token, secret=settings.secret_key)
    await RevokedToken.get_or_create(
        jti=claims["jti"], defaults={"expires_at": datetime.fromtimestamp(claims["exp"], tz=UTC)}
    )
    await RevokedToken.filter(expires_at__lt=datetime.now(tz=UTC)).delete()
    _principal_changed(principal.user_id)
    await record_operation(principal, op_type="logout", op_target="user", op_desc=f"logout {principal.username}")


async def create_user(username: str, password: str, *, superuser: bool = False) -> User:
    if not username or len(username) > 128:
        raise ValidationFailed("username must be 1–128 characters", field="username")
    if len(password) < _MIN_PASSWORD:
        raise ValidationFailed(f"password must be at least {_MIN_PASSWORD} characters", field="password")
    try:
        user = await User.create(username=username, password_hash=hash_secret(password), is_superuser=superuser)
    except IntegrityError as exc:
        raise Duplicate(f"user {username!r} already exists", field="username") from exc
    await record_operation(
        CLI_OPERATOR,
        op_type="create",
        op_target="user",
        op_desc=f"create user {username}",
        inst_id=user.id,
        cur_data={"username": username, "is_superuser": superuser},
    )
    return user


async def create_app(code: str, secret: str, settings: Settings, *, skip_user_auth: bool = False) -> App:
    if not code or len(code) > 128:
        raise ValidationFailed("app code must be 1–128 characters", field="code")
    if len(secret) < _MIN_PASSWORD:
        raise ValidationFailed(f"app secret must be at least {_MIN_PASSWORD} characters", field="secret")
    try:
        app = await App.create(
            code=code,
            secret_hash=hash_secret(secret),
            secret_encrypted=SecretBox(settings.secret_key).encrypt(secret),
            skip_user_auth=skip_user_auth,
        )
    except IntegrityError as exc:
        raise Duplicate(f"app {code!r} already exists", field="code") from exc
    await record_operation(
        CLI_OPERATOR,
        op_type="create",
        op_target="app",
        op_desc=f"create app {code}",
        inst_id=app.id,
        cur_data={"code": code, "skip_user_auth": skip_user_auth},
    )
    return app


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
    _principal_changed(user.id)
    await record_operation(
        principal or CLI_OPERATOR,
        op_type="grant",
        op_target="role",
        op_desc=f"{username} is {role} of {business_id}",
        business_id=business_id,
        cur_data={"username": username, "role": role},
    )
    return grant


async def revoke_role(principal: Principal | None, username: str, business_id: int) -> None:
    """Take a user's role on a business away (principal None = operator's CLI; else a maintainer there)."""
    if principal is not None:
        principal.require(business_id, RoleName.MAINTAINER)
    grant = await Role.get_or_none(user__username=username, business_id=business_id)
    if grant is None:
        raise NotFound(f"user {username!r} has no role on business {business_id}", field="username")
    previous = str(grant.role)
    await grant.delete()
    _principal_changed(grant.user_id)
    await record_operation(
        principal or CLI_OPERATOR,
        op_type="revoke",
        op_target="role",
        op_desc=f"{username} is no longer {previous} of {business_id}",
        business_id=business_id,
        pre_data={"username": username, "role": previous},
    )


async def list_roles(*, username: str | None = None, business_id: int | None = None) -> list[dict[str, Any]]:
    """Role grants (optionally of one user and/or one business), by user then business."""
    query = Role.all()
    if username is not None:
        query = query.filter(user__username=username)
    if business_id is not None:
        query = query.filter(business_id=business_id)
    rows = await query.order_by("user__username", "business_id").values(
        "role", "business_id", username="user__username", business_name="business__name"
    )
    return [{**row, "role": str(row["role"])} for row in rows]


# --- The operator's view and undo (`opsgraph admin …`): no role checks, audited as CLI_OPERATOR. ---


async def list_users() -> list[dict[str, Any]]:
    """Every user, oldest first, without password hashes."""
    return list(await User.all().order_by("id").values(*USER_COLUMNS))


async def describe_user(username: str) -> dict[str, Any]:
    """One user with its roles and access keys (key ids and projects only; never a secret)."""
    rows = await User.filter(username=username).values(*USER_COLUMNS)
    if not rows:
        raise NotFound(f"user {username!r} does not exist", field="username")
    user = dict(rows[0])
    user["roles"] = [{k: v for k, v in role.items() if k != "username"} for role in await list_roles(username=username)]
    user["access_keys"] = list(
        await AccessKey.filter(user_id=user["id"])
        .order_by("id")
        .values("access_key", "project_id", "business_id", "is_active", "created_at")
    )
    return user


async def set_user_active(username: str, active: bool) -> bool:
    """Disable or re-enable a user; False when it already was (then nothing is changed or recorded).

    Disabling also revokes its tokens, so enabling it again does not bring old tokens back."""
    user = await _existing_user(username)
    if user.is_active == active:
        return False
    changes: dict[str, Any] = {"is_active": active}
    if not active:
        changes.update(token_generation=F("token_generation") + 1, tokens_revoked_at=datetime.now(tz=UTC))
    await User.filter(id=user.id).update(**changes)
    _principal_changed(user.id)
    await record_operation(
        CLI_OPERATOR,
        op_type="enable" if active else "disable",
        op_target="user",
        op_desc=f"{'enable' if active else 'disable'} user {username}",
        inst_id=user.id,
        pre_data={"is_active": not active},
        cur_data={"is_active": active},
    )
    return True


async def revoke_user_tokens(username: str) -> User:
    """Every login token issued to the user so far stops working; new logins get working tokens."""
    user = await _existing_user(username)
    revoked_at = datetime.now(tz=UTC)
    await User.filter(id=user.id).update(token_generation=F("token_generation") + 1, tokens_revoked_at=revoked_at)
    _principal_changed(user.id)
    await record_operation(
        CLI_OPERATOR,
        op_type="revoke_tokens",
        op_target="user",
        op_desc=f"revoke every token of {username}",
        inst_id=user.id,
        cur_data={"tokens_revoked_at": revoked_at.isoformat()},
    )
    return await User.get(id=user.id)


async def list_apps() -> list[dict[str, Any]]:
    """Every API client app, oldest first, without its secret."""
    return list(await App.all().order_by("id").values(*APP_COLUMNS))


async def describe_app(code: str) -> dict[str, Any]:
    rows = await App.filter(code=code).values(*APP_COLUMNS)
    if not rows:
        raise NotFound(f"app {code!r} does not exist", field="code")
    return dict(rows[0])


async def delete_app(code: str) -> None:
    """The app's next request is refused: `authenticate_app` looks the app up before any cached check."""
    rows = await App.filter(code=code).values(*APP_COLUMNS)
    if not rows:
        raise NotFound(f"app {code!r} does not exist", field="code")
    await App.filter(id=rows[0]["id"]).delete()
    for key in [key for key in _VERIFIED_APPS if key[0] == code]:
        _VERIFIED_APPS.pop(key, None)
    await record_operation(
        CLI_OPERATOR,
        op_type="delete",
        op_target="app",
        op_desc=f"delete app {code}",
        inst_id=rows[0]["id"],
        pre_data={"code": code, "skip_user_auth": rows[0]["skip_user_auth"]},
    )


async def _existing_user(username: str) -> User:
    user = await User.get_or_none(username=username)
    if user is None:
        raise NotFound(f"user {username!r} does not exist", field="username")
    return user


_DUMMY_HASH = hash_secret("opsgraph-dummy-secret")
