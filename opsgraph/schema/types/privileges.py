"""User groups and a user's effective privileges (bk-cmdb v3.2 shapes, JSON where bk nests maps)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from opsgraph.core.ids import encode_global_id
from opsgraph.schema.types.node import Node

_MODEL_CONFIG = "{classification: {model: [search|create|update|delete]}}"
_SYS_CONFIG = "{global_busi: [resource], back_config: [event|model|audit]}"


@strawberry.type(name="UserGroup")
class UserGroupType(Node):
    group_id: str = strawberry.field(description="bk's string group id; the default group's is 'default'.")
    name: str
    members: list[str]
    is_default: bool = strawberry.field(description="Every user is in it.")
    unrestricted: bool = strawberry.field(
        description="Grants everything (the default group until its privileges are set)."
    )
    model_config: JSON = strawberry.field(description=_MODEL_CONFIG)
    sys_config: JSON = strawberry.field(description=_SYS_CONFIG)

    @classmethod
    def from_described(cls, group: dict[str, Any]) -> UserGroupType:
        return cls(
            id=strawberry.ID(encode_global_id("UserGroup", group["id"])),
            group_id=group["group_id"],
            name=group["group_name"],
            members=group["user_list"],
            is_default=group["is_default"],
            unrestricted=group["unrestricted"],
            model_config=group["model_config"],
            sys_config=group["sys_config"],
        )


@strawberry.type(name="UserPrivileges", description="The union over the user's groups, the default one included.")
class UserPrivilegesType:
    username: str
    group_ids: list[str]
    unrestricted: bool
    model_config: JSON = strawberry.field(description=_MODEL_CONFIG)
    sys_config: JSON = strawberry.field(description=_SYS_CONFIG)

    @classmethod
    def from_described(cls, described: dict[str, Any]) -> UserPrivilegesType:
        return cls(
            username=described["username"],
            group_ids=described["group_ids"],
            unrestricted=described["unrestricted"],
            model_config=described["model_config"],
            sys_config=described["sys_config"],
        )
