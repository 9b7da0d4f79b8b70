"""The user directory (BlueKing user objects) and app information, as GraphQL sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from opsgraph.resolvers.directory.apps import developer_list
from opsgraph.resolvers.directory.users import ROLE_NAMES, bk_role

Row = dict[str, Any]


@strawberry.type(name="DirectoryUser", description="A user as the directory (and bk_login) shows it.")
class DirectoryUserType:
    username: str
    display_name: str = strawberry.field(description="bk_login's chname.")
    email: str
    phone: str
    wx_userid: str
    language: str = strawberry.field(description="zh-cn or en")
    time_zone: str = strawberry.field(description="An IANA time zone, e.g. Asia/Shanghai.")
    bk_role: int = strawberry.field(description="0 staff, 1 superuser, 2 developer, 3 operator, 4 auditor.")
    bk_role_name: str
    is_superuser: bool
    is_active: bool
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> DirectoryUserType:
        role = bk_role(row)
        return cls(
            username=row["username"],
            display_name=row["display_name"],
            email=row["email"],
            phone=row["phone"],
            wx_userid=row["wx_userid"],
            language=row["language"],
            time_zone=row["time_zone"],
            bk_role=role,
            bk_role_name=ROLE_NAMES[role],
            is_superuser=row["is_superuser"],
            is_active=row["is_active"],
            created_at=row["created_at"],
        )


@strawberry.type(name="AppInfo", description="An API client app (bk_app_code) as bk_paas describes it.")
class AppInfoType:
    code: str
    name: str = strawberry.field(description="The app's name; its code when none was given.")
    introduction: str
    creator: str
    developers: list[str]
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> AppInfoType:
        return cls(
            code=row["code"],
            name=row["name"] or row["code"],
            introduction=row["introduction"],
            creator=row["creator"],
            developers=developer_list(row["developers"]),
            created_at=row["created_at"],
        )
