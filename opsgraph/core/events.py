"""In-process publish/subscribe of task events, keyed by task id.

Only already-persisted events are published (the recorder writes first), so a subscriber that
replays from the database and then listens here misses nothing: it subscribes before replaying
and drops live events whose `seq` it has already seen. A later issue swaps this for Redis
pub/sub behind the same two methods.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

_SUBSCRIBER_QUEUE = 10_000


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[int, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def publish(self, task_id: int, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(task_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A subscriber that stopped reading; it will notice the gap by seq and replay.
                continue

    @asynccontextmanager
    async def subscribe(self, task_id: int) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=_SUBSCRIBER_QUEUE)
        self._subscribers[task_id].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[task_id].discard(queue)
            if not self._subscribers[task_id]:
                del self._subscribers[task_id]


event_bus = EventBus()
