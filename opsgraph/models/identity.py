"""Who may call the API: users, API client apps, per-business roles, revoked tokens."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.topology import Business


class RoleName(StrEnum):
    MAINTAINER = "maintainer"
    OPERATOR = "operator"
    VIEWER = "viewer"


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=128, unique=True)
    password_hash = fields.CharField(max_length=256)
    is_superuser = fields.BooleanField(default=False)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Login tokens carry the generation they were issued in and only the current one is accepted:
    # `opsgraph admin revoke-tokens` (and disabling the user) bumps it, so every earlier token stops
    # working at once. A counter, not an issued-at cut-off, because `iat` has whole-second precision.
    # The database default lets the migration add the column to tables that already have users.
    token_generation = fields.IntField(default=0, db_default=0)
    tokens_revoked_at = fields.DatetimeField(null=True)
    # The BlueKing directory fields (bk_login's user object): who the person is and how messages reach
    # them (cmsi resolves usernames to email, phone or wx_userid). `platform_role` is bk_role 0–4;
    # superusers are always reported as 1 (resolvers.directory.users). Database defaults let the
    # migration add the columns to tables that already have users.
    display_name = fields.CharField(max_length=128, default="", db_default="")
    email = fields.CharField(max_length=254, default="", db_default="")
    phone = fields.CharField(max_length=32, default="", db_default="")
    wx_userid = fields.CharField(max_length=128, default="", db_default="")
    language = fields.CharField(max_length=16, default="en", db_default="en")
    time_zone = fields.CharField(max_length=64, default="UTC", db_default="UTC")
    platform_role = fields.SmallIntField(default=0, db_default=0)

    class Meta:
        table = "user"


class App(Model):
    """An API client (bk_app_code). With `skip_user_auth` it may name its user by `bk_username`."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=128, unique=True)
    secret_hash = fields.CharField(max_length=256)
    # Kept encrypted (not only hashed) because callbacks to the app are signed with its secret.
    secret_encrypted = fields.TextField(default="")
    skip_user_auth = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    # What bk_paas get_app_info tells about the app (an empty name reads as the code). Developers are
    # usernames joined by ";", the form get_app_info answers (PaaS `App.developer_str`).
    name = fields.CharField(max_length=128, default="", db_default="")
    introduction = fields.TextField(default="", db_default="")
    creator = fields.CharField(max_length=128, default="", db_default="")
    developers = fields.CharField(max_length=2048, default="", db_default="")

    class Meta:
        table = "app"


class Role(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "opsgraph.User", related_name="roles", on_delete=fields.CASCADE
    )
    user_id: int
    business: fields.ForeignKeyRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="roles", on_delete=fields.CASCADE
    )
    business_id: int
    role = fields.CharEnumField(RoleName, max_length=16)

    class Meta:
        table = "role"
        unique_together = (("user", "business"),)


class RevokedToken(Model):
    """A logged-out token's id, kept until the token would have expired anyway."""

    jti = fields.CharField(max_length=64, primary_key=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "revoked_token"


class AccessKey(Model):
    """A Huawei Cloud style AK/SK pair: requests signed with the secret act as `user` in `project_id`.

    The secret is kept encrypted (SecretBox under its own purpose label), not hashed, because the
    server recomputes each request's HMAC with it. A key bound to a business acts only there.
    """

    id = fields.IntField(primary_key=True)
    access_key = fields.CharField(max_length=64, unique=True)
    secret_encrypted = fields.TextField()
    project_id = fields.CharField(max_length=64, db_index=True)
    business: fields.ForeignKeyNullableRelation[Business] = fields.ForeignKeyField(
        "opsgraph.Business", related_name="access_keys", null=True, on_delete=fields.CASCADE
    )
    business_id: int | None
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "opsgraph.User", related_name="access_keys", on_delete=fields.CASCADE
    )
    user_id: int
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "access_key"
