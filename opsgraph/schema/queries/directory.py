"""The user directory and app information: readable by every authenticated caller, as BlueKing's
bk_login and bk_paas are."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info
from tortoise.queryset import QuerySet

from opsgraph.resolvers.directory.apps import APP_INFO_COLUMNS, get_app_info, visible_apps
from opsgraph.resolvers.directory.users import PROFILE_COLUMNS, directory_users, get_profile
from opsgraph.schema.connection import Connection, Edge, PageInfo, check_first, decode_cursor, encode_cursor
from opsgraph.schema.types.directory import AppInfoType, DirectoryUserType

T = TypeVar("T")


@strawberry.input
class DirectoryUserFilter:
    usernames: list[str] | None = None
    bk_role: int | None = strawberry.field(default=None, description="0–4")
    include_inactive: bool = False


@strawberry.input
class AppInfoFilter:
    codes: list[str] | None = None


async def _page(
    query: QuerySet[Any],
    columns: Sequence[str],
    first: int,
    after: str | None,
    maximum: int,
    build: Callable[[dict[str, Any]], T],
    *,
    descending: bool,
) -> Connection[T]:
    """Keyset paging over `.values(*columns)` (never a password hash or a secret)."""
    check_first(first, maximum)
    cursor = decode_cursor(after)
    page = query
    if cursor is not None:
        page = query.filter(id__lt=cursor) if descending else query.filter(id__gt=cursor)
    rows = await page.order_by("-id" if descending else "id").limit(first + 1).values(*columns)
    edges = [Edge(node=build(row), cursor=encode_cursor(row["id"])) for row in rows[:first]]

    async def count() -> int:
        return int(await query.count())

    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None),
        count_rows=count,
    )


@strawberry.type
class DirectoryQuery:
    @strawberry.field(description="Users with their directory fields, oldest first (active ones unless asked).")
    async def users(
        self, info: Info, first: int, after: str | None = None, filter: DirectoryUserFilter | None = None
    ) -> Connection[DirectoryUserType]:
        spec = filter or DirectoryUserFilter()
        query = directory_users(
            usernames=spec.usernames, bk_role_filter=spec.bk_role, include_inactive=spec.include_inactive
        )
        maximum = info.context.settings.max_page_size
        return await _page(query, PROFILE_COLUMNS, first, after, maximum, DirectoryUserType.from_row, descending=False)

    @strawberry.field(description="One user's directory entry; null when there is no such user.")
    async def user(self, info: Info, username: str) -> DirectoryUserType | None:
        info.context.caller  # noqa: B018 - authenticated callers only
        row = await get_profile(username)
        return DirectoryUserType.from_row(row) if row is not None else None

    @strawberry.field(description="API client apps, newest first.")
    async def apps(
        self, info: Info, first: int, after: str | None = None, filter: AppInfoFilter | None = None
    ) -> Connection[AppInfoType]:
        spec = filter or AppInfoFilter()
        maximum = info.context.settings.max_page_size
        query = visible_apps(spec.codes)
        return await _page(query, APP_INFO_COLUMNS, first, after, maximum, AppInfoType.from_row, descending=True)

    @strawberry.field(description="One app; null when there is no such app.")
    async def app(self, info: Info, code: str) -> AppInfoType | None:
        info.context.caller  # noqa: B018 - authenticated callers only
        row = await get_app_info(code)
        return AppInfoType.from_row(row) if row is not None else None
