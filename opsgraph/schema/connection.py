"""Relay connections with keyset cursors (never offsets), `first` required and capped.

Root lists page in SQL (`id > cursor ORDER BY id LIMIT first+1`); nested lists arrive whole from a
DataLoader (one query for every parent) and are paged in memory the same way.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from tortoise.queryset import QuerySet

from opsgraph.core.errors import LimitExceeded, ValidationFailed

T = TypeVar("T")
Row = dict[str, Any]
_CURSOR_PREFIX = "k:"


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{pk}".encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError(raw)
        return int(raw[len(_CURSOR_PREFIX) :])
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed(f"malformed cursor {cursor!r}", field="after") from exc


def check_first(first: int, maximum: int) -> None:
    if first < 1:
        raise ValidationFailed("first must be at least 1", field="first")
    if first > maximum:
        raise LimitExceeded(f"first must be at most {maximum}", field="first")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count_rows: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="Computed only when asked for: it costs one COUNT query on root lists.")
    async def total_count(self) -> int:
        return await self.count_rows()


def _build(
    rows: Sequence[Row], first: int, build: Callable[[Row], T], count: Callable[[], Awaitable[int]]
) -> Connection[T]:
    page = rows[:first]
    edges = [Edge(node=build(row), cursor=encode_cursor(row["id"])) for row in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None),
        count_rows=count,
    )


def connection_from_rows(
    rows: Sequence[Row],
    *,
    first: int,
    after: str | None,
    maximum: int,
    build: Callable[[Row], T],
    descending: bool = False,
) -> Connection[T]:
    """Page a list already in memory (rows sorted by id, ascending or descending)."""
    check_first(first, maximum)
    after_id = decode_cursor(after)
    if after_id is None:
        remaining = list(rows)
    elif descending:
        remaining = [row for row in rows if row["id"] < after_id]
    else:
        remaining = [row for row in rows if row["id"] > after_id]

    async def count() -> int:
        return len(rows)

    return _build(remaining[: first + 1], first, build, count)


async def connection_from_query(
    query: QuerySet[Any],
    *,
    first: int,
    after: str | None,
    maximum: int,
    build: Callable[[Row], T],
    descending: bool = False,
) -> Connection[T]:
    check_first(first, maximum)
    after_id = decode_cursor(after)
    page_query = query
    if after_id is not None:
        page_query = query.filter(id__lt=after_id) if descending else query.filter(id__gt=after_id)
    rows = await page_query.order_by("-id" if descending else "id").limit(first + 1).values()

    async def count() -> int:
        return await query.count()

    return _build(rows, first, build, count)
