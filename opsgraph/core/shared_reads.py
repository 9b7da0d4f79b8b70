"""Concurrent readers of the same rows share one query, when that answers them as well as their own.

1,000 subscribers attaching to one task each check the task, replay its events and read its status:
the same three statements 1,000 times, queued on one connection. With `SharedReads`, a reader joins
a read of the same key already under way, but only one that began after the reader's own `since`
mark. A `taskEvents` subscriber takes its mark when it joins the event bus: a replay that began after
that misses only events published after it, and those are in the subscriber's live queue — the same
guarantee its own query would give. Marks are a process-wide counter, not clock readings, so "began
after" is never a tie.

Example:
    replays: SharedReads[tuple[int, int], list[dict]] = SharedReads()
    since = mark()                                   # e.g. right after subscribing to the bus
    rows = await replays.read((task_id, seq), since, lambda: query_rows(task_id, seq))
The result is shared: readers must not modify it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_marks = itertools.count(1)


def mark() -> int:
    """A point in this process's order of events: every later mark (and read) is greater."""
    return next(_marks)


class SharedReads(Generic[K, V]):
    def __init__(self) -> None:
        self._flights: dict[K, tuple[int, asyncio.Future[V]]] = {}

    async def read(self, key: K, since: int, query: Callable[[], Awaitable[V]]) -> V:
        flight = self._flights.get(key)
        if flight is None or flight[0] <= since:
            started = mark()
            future: asyncio.Future[V] = asyncio.ensure_future(query())
            flight = self._flights[key] = (started, future)
            future.add_done_callback(lambda done: self._landed(key, flight, done))
        # shield: one reader that goes away (a closed socket) does not cancel the others' read.
        return await asyncio.shield(flight[1])

    def _landed(self, key: K, flight: tuple[int, asyncio.Future[V]], done: asyncio.Future[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not done.cancelled():
            done.exception()  # retrieved here: every reader may have gone before it failed
