"""The page walks behind search_business without `page` and search_biz_inst_topo, with fake
fetchers: more rows than one GraphQL page, rows vanishing mid-walk, and the no-limit ceiling.
(No server: these loops need thousands of rows to reach through the REST endpoints.)"""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.compat_rest.bk.cc.inst_search import (
    GRAPHQL_MAX_LIMIT,
    NO_LIMIT_CEILING,
    InstSearch,
    every_page,
    fetch_rows,
)
from opsgraph.core.errors import LimitExceeded

Rows = list[dict[str, Any]]


def table(total: int) -> tuple[list[tuple[int, int]], Any]:
    """A fake paged search over `total` rows; records each (start, limit) asked for."""
    calls: list[tuple[int, int]] = []

    async def fetch(start: int, limit: int = GRAPHQL_MAX_LIMIT) -> tuple[int, Rows]:
        calls.append((start, limit))
        return total, [{"id": i} for i in range(start, min(start + limit, total))]

    return calls, fetch


def search(start: int = 0, limit: int | None = None) -> InstSearch:
    return InstSearch(fields=[], equals={}, start=start, limit=limit, sort=None)


async def test_without_a_limit_every_row_is_read_page_by_page() -> None:
    calls, fetch = table(1203)
    count, rows = await fetch_rows(search(start=3), fetch)
    assert (count, [r["id"] for r in rows]) == (1203, list(range(3, 1203)))
    assert calls == [(3, 500), (503, 500), (1003, 500)]


async def test_with_a_limit_one_page_is_read() -> None:
    calls, fetch = table(1203)
    count, rows = await fetch_rows(search(start=10, limit=5), fetch)
    assert (count, [r["id"] for r in rows], calls) == (1203, list(range(10, 15)), [(10, 5)])


async def test_rows_deleted_during_the_walk_end_it() -> None:
    async def shrinking(start: int, limit: int) -> tuple[int, Rows]:
        return (900, [{"id": i} for i in range(500)]) if start == 0 else (900, [])

    count, rows = await fetch_rows(search(), shrinking)
    assert (count, len(rows)) == (900, 500)


async def test_an_unbounded_answer_is_refused() -> None:
    _, fetch = table(NO_LIMIT_CEILING + 1)
    with pytest.raises(LimitExceeded) as refused:
        await fetch_rows(search(), fetch)
    assert refused.value.code == "PAGE_LIMIT"


async def test_topology_pages_continue_from_the_first_one() -> None:
    calls, fetch = table(1001)

    async def by_start(start: int) -> tuple[int, Rows]:
        return await fetch(start)

    rows = await every_page(by_start, await by_start(0))
    assert [r["id"] for r in rows] == list(range(1001))
    assert calls == [(0, 500), (500, 500), (1000, 500)]
