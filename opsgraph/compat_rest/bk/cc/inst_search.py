"""The request side and the rows of bk `search_business`, `search_set` and `search_module`.

All three take `fields` (columns to return, empty = all), `condition` (an equality map over any
built-in or custom property) and `page {start, limit, sort}` (`-field` = descending), and answer
`{count, info}` where each info row is a property-id dict. This module turns those parameters into
the GraphQL `SearchInput`, walks result pages, and turns results back into rows.

Example:
    search = parse_search(params, page_required=True, max_limit=DOC_MAX_LIMIT)
    variables = {"input": search.input(search.start, search.limit or 1, businessId=biz)}
    rows = [info_row(item["properties"], search.fields) for item in result["items"]]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from opsgraph.compat_rest.bk.cc.properties import select_fields
from opsgraph.compat_rest.bk.params import Params
from opsgraph.core.errors import LimitExceeded, ValidationFailed

# The documented page.limit maximum of search_business and search_set ("最大 200").
DOC_MAX_LIMIT = 200
# search_module documents no maximum: the GraphQL search cap (resolvers' MAX_SEARCH_LIMIT) applies.
GRAPHQL_MAX_LIMIT = 500
# CMDB answers every match when `page` is absent (ParsePage → BKNoLimit). We page through the
# GraphQL search for such callers, but refuse to build an unbounded response.
NO_LIMIT_CEILING = 10_000
# bk-cmdb stamps every record with its supplier account; a single-tenant install always says "0".
SUPPLIER_ACCOUNT = "0"

Fetch = Callable[[int, int], Awaitable[tuple[int, list[dict[str, Any]]]]]


@dataclass(frozen=True)
class InstSearch:
    fields: list[str]
    equals: dict[str, Any]
    start: int
    limit: int | None  # None: every match (page or page.limit absent, or limit 0)
    sort: str | None

    def input(self, start: int, limit: int, **scope: Any) -> dict[str, Any]:
        """GraphQL `SearchInput` for one page; `scope` adds businessId / setId / includeDisabled."""
        page: dict[str, Any] = {"start": start, "limit": limit, "sort": self.sort}
        return {"equals": self.equals, "page": page, **scope}


def parse_search(params: Params, *, page_required: bool, max_limit: int) -> InstSearch:
    fields = params.get_list("fields", [], required=False)
    for index, name in enumerate(fields):
        if not isinstance(name, str):
            raise ValidationFailed(f"fields[{index}] must be a property id string", field="fields")
    # The docs mark `fields` and `condition` required on search_set/search_module but say an empty
    # one means "everything", and their own example omits required parameters: absent = empty.
    equals = params.get_dict("condition", {}, required=False)
    page = params.sub("page", required=page_required)
    start = page.get_int("start", 0, required=False)
    if start < 0:
        raise ValidationFailed(f"{page.field('start')} must not be negative", field=page.field("start"))
    limit = page.get_int("limit") if page_required else page.get_int("limit", required=False)
    if limit is not None and (limit > max_limit or limit < 0 or (limit == 0 and page_required)):
        raise LimitExceeded(
            f"{page.field('limit')} must be between 1 and {max_limit}, got {limit}",
            field=page.field("limit"),
            code="PAGE_LIMIT",
        )
    sort = page.get_str("sort", "", required=False).strip() or None
    return InstSearch(fields=list(fields), equals=equals, start=start, limit=limit or None, sort=sort)


async def fetch_rows(search: InstSearch, fetch: Fetch) -> tuple[int, list[dict[str, Any]]]:
    """(count, rows) for the requested page, or for every match when no limit was given.

    `fetch(start, limit)` runs one GraphQL page and returns (count, items).
    """
    if search.limit is not None:
        return await fetch(search.start, search.limit)
    count, rows = await fetch(search.start, GRAPHQL_MAX_LIMIT)
    if count - search.start > NO_LIMIT_CEILING:
        raise LimitExceeded(
            f"{count} records match; page through them with page.limit (at most {NO_LIMIT_CEILING} without paging)",
            field="page.limit",
            code="PAGE_LIMIT",
        )

    async def after(offset: int) -> tuple[int, list[dict[str, Any]]]:
        total, more = await fetch(search.start + offset, GRAPHQL_MAX_LIMIT)
        return total - search.start, more

    rows = await every_page(after, (count - search.start, rows))
    return count, rows


async def every_page(
    fetch: Callable[[int], Awaitable[tuple[int, list[dict[str, Any]]]]], first: tuple[int, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Every row, given the first page as (count, rows) and `fetch(offset)` for the pages after it."""
    count, rows = first
    while len(rows) < count:
        count, more = await fetch(len(rows))
        if not more:
            break  # rows were deleted meanwhile; answer what we have
        rows = [*rows, *more]
    return rows


def info_row(properties: dict[str, Any], fields: list[str], **extra: Any) -> dict[str, Any]:
    """One `info` row: the object's properties (plus `extra`), narrowed to `fields`."""
    row = {**properties, "bk_supplier_account": SUPPLIER_ACCOUNT, **extra}
    return select_fields(row, fields)
