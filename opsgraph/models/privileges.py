"""User groups and their privileges (bk-cmdb v3.2 `/topo/privilege/…`), enforced here.

- A group has members (user names) and privileges: `model_config` ({classification: {model:
  [search|create|update|delete]}}) and `sys_config` ({global_busi: ["resource"], back_config:
  ["event", "model", "audit"]}).
- Every user is implicitly in the one default group (`is_default`); until an operator sets its
  privileges it is `unrestricted`, so a fresh install behaves exactly as before groups existed.
- A role privilege is the list of business functions (hostupdate, hosttrans, topoupdate,
  customapi, proconfig) one business role may use.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from opsgraph.models.identity import RoleName


class UserGroup(Model):
    id = fields.IntField(primary_key=True)
    group_id = fields.CharField(max_length=64, unique=True)  # bk's string id
    name = fields.CharField(max_length=128, unique=True)
    is_default = fields.BooleanField(default=False)
    unrestricted = fields.BooleanField(default=False)
    model_config: dict[str, Any] = fields.JSONField(default=dict)
    sys_config: dict[str, Any] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "user_group"


class UserGroupMember(Model):
    """By name, as bk's `user_list` gives them: a name may be listed before its user exists."""

    id = fields.IntField(primary_key=True)
    group: fields.ForeignKeyRelation[UserGroup] = fields.ForeignKeyField(
        "opsgraph.UserGroup", related_name="members", on_delete=fields.CASCADE
    )
    group_id: int
    username = fields.CharField(max_length=128, db_index=True)

    class Meta:
        table = "user_group_member"
        unique_together = (("group", "username"),)


class RolePrivilege(Model):
    id = fields.IntField(primary_key=True)
    role = fields.CharEnumField(RoleName, max_length=16, unique=True)
    functions: list[str] = fields.JSONField(default=list)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "role_privilege"
