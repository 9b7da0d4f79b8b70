"""Readers of the same rows share one query, when its answer is as good as their own would be.

1,000 subscribers attaching to one task each replay its stored events and read its status: the same
statements 1,000 times, queued on one connection. With `SharedReads` a reader reuses a read of the
same key — still running, or finished less than `keep_for` seconds ago — made under the same `token`
and begun after the reader's `since` mark. For a `taskEvents` subscriber the token is the event bus's
generation for the task, which changes whenever an event for it is delivered in this process: a read
begun at the current generation misses only events that have not been delivered yet, and those will
reach the subscriber's live queue — the guarantee its own query would give. `since` serves readers
that need a read begun after some moment (a re-read after silence). Marks are a process-wide
counter, so "begun after" is never a tie.

Example:
    replays: SharedReads[tuple[int, int], list[dict]] = SharedReads(keep_for=1.0)
    rows = await replays.read((task_id, seq), lambda: query_rows(task_id, seq), token=event_bus.generation(task_id))
The result is shared: readers must not modify it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_KEPT = 4096
_marks = itertools.count(1)


def mark() -> int:
    """A point in this process's order of events: every later mark (and read) is greater."""
    return next(_marks)


@dataclass(eq=False)
class _Read(Generic[V]):
    token: Hashable
    began: int
    result: asyncio.Future[V]
    finished_at: float | None = None


class SharedReads(Generic[K, V]):
    def __init__(self, keep_for: float = 0.0) -> None:
        self.keep_for = keep_for
        self._reads: OrderedDict[K, _Read[V]] = OrderedDict()

    async def read(self, key: K, query: Callable[[], Awaitable[V]], *, token: Hashable = None, since: int = 0) -> V:
        found = self._reads.get(key)
        if found is None or not self._reusable(found, token, since):
            found = _Read(token, mark(), asyncio.ensure_future(query()))
            self._reads[key] = found
            self._reads.move_to_end(key)
            while len(self._reads) > _KEPT:
                self._reads.popitem(last=False)
            found.result.add_done_callback(partial(self._finished, key, found))
        # shield: one reader that goes away (a closed socket) does not cancel the others' read.
        return await asyncio.shield(found.result)

    def _reusable(self, read: _Read[V], token: Hashable, since: int) -> bool:
        if read.token != token or read.began <= since:
            return False
        if read.finished_at is None:
            return True
        return asyncio.get_running_loop().time() - read.finished_at < self.keep_for

    def _finished(self, key: K, read: _Read[V], done: asyncio.Future[V]) -> None:
        loop = asyncio.get_running_loop()
        read.finished_at = loop.time()
        # A failed read is not reused (and its exception is retrieved here: its readers may be gone);
        # a result is let go once it can no longer be reused (a replay page holds up to 1,000 rows).
        failed = done.cancelled() or done.exception() is not None
        if failed:
            self._forget(key, read)
        else:
            loop.call_later(self.keep_for, self._forget, key, read)

    def _forget(self, key: K, read: _Read[V]) -> None:
        if self._reads.get(key) is read:
            del self._reads[key]
