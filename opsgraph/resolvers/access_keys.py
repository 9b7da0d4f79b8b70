"""Access keys (Huawei Cloud AK/SK): creating them, and what a signed request needs to be checked.

The secret leaves this module only inside `SigningKey`, for the signature check. A key acts as its
user; a key bound to a business is confined to it (even a superuser's key sees nothing else).

Example:
    key, secret = await create_access_key(settings, project_id="0123abcd", business_id=3)
    signing = await find_signing_key(key.access_key, settings)   # SigningKey(secret=secret, …)
    principal = await principal_for_key(signing)
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError

from opsgraph.core.auth.principal import CLI_OPERATOR, Principal
from opsgraph.core.crypto import SecretBox
from opsgraph.core.errors import AuthenticationError, NotFound, ValidationFailed
from opsgraph.core.settings import Settings
from opsgraph.models.identity import AccessKey, Role, RoleName, User
from opsgraph.models.topology import Business
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.identity import principal_for_user

# Keyed apart from account credentials: one ciphertext never decrypts as the other.
ACCESS_KEY_PURPOSE = b"opsgraph/access-keys/v1"
# Huawei project ids are 32 hex characters; anything URL-path-safe of that order is accepted, so a
# project id never needs percent-encoding (which the signature's canonical URI would have to mirror).
PROJECT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# The shapes Huawei issues: a 20-character AK of capitals and digits, a 40-character SK.
_AK_ALPHABET = string.ascii_uppercase + string.digits
_SK_ALPHABET = string.ascii_letters + string.digits
_AK_LENGTH, _SK_LENGTH = 20, 40


@dataclass(frozen=True)
class SigningKey:
    access_key: str
    project_id: str
    business_id: int | None
    user_id: int
    secret: str = field(repr=False)


def _box(settings: Settings) -> SecretBox:
    return SecretBox(settings.secret_key, purpose=ACCESS_KEY_PURPOSE)


async def _acting_user(username: str | None) -> User:
    """The named active user; without a name, the first superuser (what an operator's CLI key means)."""
    if username:
        user = await User.get_or_none(username=username, is_active=True)
        if user is None:
            raise NotFound(f"user {username!r} does not exist or is disabled", field="user")
        return user
    user = await User.filter(is_superuser=True, is_active=True).order_by("id").first()
    if user is None:
        raise NotFound("no active superuser to act as: create one, or name a user with --user", field="user")
    return user


async def create_access_key(
    settings: Settings, *, project_id: str, business_id: int | None = None, username: str | None = None
) -> tuple[AccessKey, str]:
    """A new key and its secret (shown once). Operator-only: the CLI is the way in."""
    if not PROJECT_ID.match(project_id or ""):
        raise ValidationFailed(
            "project id must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            field="project",
        )
    if business_id is not None and not await Business.exists(id=business_id):
        raise NotFound(f"business {business_id} does not exist", field="biz")
    user = await _acting_user(username)
    secret = "".join(secrets.choice(_SK_ALPHABET) for _ in range(_SK_LENGTH))
    for attempt in range(3):
        access_key = "".join(secrets.choice(_AK_ALPHABET) for _ in range(_AK_LENGTH))
        try:
            key = await AccessKey.create(
                access_key=access_key,
                secret_encrypted=_box(settings).encrypt(secret),
                project_id=project_id,
                business_id=business_id,
                user_id=user.id,
            )
            break
        except IntegrityError:  # an AK collision (36^20 space): draw again
            if attempt == 2:
                raise
    await record_operation(
        CLI_OPERATOR,
        op_type="create",
        op_target="access_key",
        op_desc=f"access key {key.access_key} for project {project_id} acting as {user.username}",
        business_id=business_id,
        inst_id=key.id,
        cur_data={"access_key": key.access_key, "project_id": project_id, "user": user.username},
    )
    return key, secret


async def list_access_keys(
    *, username: str | None = None, project_id: str | None = None, business_id: int | None = None
) -> list[dict[str, Any]]:
    """Keys (oldest first) with their project, business and user; the secret is not even read."""
    query = AccessKey.all()
    if username is not None:
        query = query.filter(user__username=username)
    if project_id is not None:
        query = query.filter(project_id=project_id)
    if business_id is not None:
        query = query.filter(business_id=business_id)
    rows = await query.order_by("id").values(
        "access_key", "project_id", "business_id", "is_active", "created_at", user="user__username"
    )
    return list(rows)


async def delete_access_key(access_key: str) -> None:
    """Requests signed with the key are refused from now on (each request looks its key up)."""
    rows = await AccessKey.filter(access_key=access_key).values("id", "project_id", "business_id")
    if not rows:
        raise NotFound(f"access key {access_key!r} does not exist", field="access_key")
    key = rows[0]
    await AccessKey.filter(id=key["id"]).delete()
    await record_operation(
        CLI_OPERATOR,
        op_type="delete",
        op_target="access_key",
        op_desc=f"delete access key {access_key} of project {key['project_id']}",
        business_id=key["business_id"],
        inst_id=key["id"],
        pre_data={"access_key": access_key, "project_id": key["project_id"]},
    )


async def find_signing_key(access_key: str, settings: Settings) -> SigningKey | None:
    key = await AccessKey.get_or_none(access_key=access_key, is_active=True) if access_key else None
    if key is None:
        return None
    return SigningKey(
        access_key=key.access_key,
        project_id=key.project_id,
        business_id=key.business_id,
        user_id=key.user_id,
        secret=_box(settings).decrypt(key.secret_encrypted),
    )


async def principal_for_key(key: SigningKey) -> Principal:
    user = await User.get_or_none(id=key.user_id, is_active=True)
    if user is None:
        raise AuthenticationError("the access key's user no longer exists or is disabled")
    principal = await principal_for_user(user)
    if key.business_id is None:
        return principal
    # Confined to the key's business, with the role the user holds there (a superuser: maintainer).
    if user.is_superuser:
        role: str | None = RoleName.MAINTAINER.value
    else:
        grant = await Role.get_or_none(user_id=user.id, business_id=key.business_id)
        role = str(grant.role) if grant is not None else None
    return Principal(
        user_id=principal.user_id,
        username=principal.username,
        is_superuser=False,
        roles={key.business_id: role} if role else {},
    )
