"""Publish/subscribe of stored events, keyed by an id (a task id for task events).

Only already-persisted events are published (the recorder writes first), so a subscriber that
replays from the database and then listens here misses nothing: it subscribes before replaying
and drops live events whose `seq` it has already seen.

Each bus has a namespace ("task", "alarms"…). In one process, `publish` hands an event to the
local subscribers of its key. In the distributed deployment a relay is installed
(`install_relay`, see `core/redis_events.py`): every publish also goes to Redis, and events
published by other processes (workers running tasks, other servers) arrive through the relay and
are delivered to local subscribers with `deliver`. Redis pub/sub may drop messages (a restart, a
slow consumer); subscribers notice gaps by `seq` and fill them from the database, and re-read it
after a quiet while, so a dropped message delays an event and never loses it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from opsgraph.core.metrics import observe_lag

_SUBSCRIBER_QUEUE = 10_000
_generations = itertools.count(1)


class EventRelay(Protocol):
    """Carries events between processes."""

    def send(self, namespace: str, key: int, event: dict[str, Any]) -> None: ...

    def listen(self, namespace: str, key: int) -> None:
        """A local subscriber appeared for `key`: receive its events from other processes."""
        ...

    def unlisten(self, namespace: str, key: int) -> None: ...


_relay: EventRelay | None = None
_buses: dict[str, EventBus] = {}


def install_relay(relay: EventRelay | None) -> None:
    global _relay
    _relay = relay
    if relay is not None:
        for bus in _buses.values():
            for key in bus.subscribed_keys():
                relay.listen(bus.namespace, key)


def bus_named(namespace: str) -> EventBus | None:
    return _buses.get(namespace)


class EventBus:
    def __init__(self, namespace: str = "task") -> None:
        self.namespace = namespace
        self._subscribers: dict[int, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._generations: dict[int, int] = {}
        _buses[namespace] = self

    def publish(self, key: int, event: dict[str, Any]) -> None:
        self.deliver(key, event)
        if _relay is not None:
            _relay.send(self.namespace, key, event)

    def deliver(self, key: int, event: dict[str, Any]) -> None:
        """To this process's subscribers only (the relay calls this for other processes' events)."""
        queues = self._subscribers.get(key)
        if not queues:
            return
        self._generations[key] = next(_generations)
        # Once per event, not per subscriber: with 1,000 subscribers the histogram was a visible
        # share of each delivery's CPU.
        observe_lag(event.get("at"))
        for queue in list(queues):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # A subscriber that stopped reading; it will notice the gap by seq and replay.
                continue

    def generation(self, key: int) -> int | None:
        """Changes whenever an event for `key` is delivered here, and whenever `key` gains its first
        local subscriber; None while nobody here follows `key`. A read of stored events begun at the
        current generation misses only events not delivered yet (core/shared_reads)."""
        return self._generations.get(key)

    def subscribed_keys(self) -> list[int]:
        return list(self._subscribers)

    async def wait_unsubscribed(self, keys: list[int], timeout: float) -> None:
        """Until nobody here follows any of `keys` (their streams ended), at most `timeout` s."""
        deadline = asyncio.get_running_loop().time() + timeout
        while any(key in self._subscribers for key in keys):
            if asyncio.get_running_loop().time() >= deadline:
                return
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)  # the subscriptions' `complete` messages go out

    @asynccontextmanager
    async def subscribe(self, key: int) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=_SUBSCRIBER_QUEUE)
        first = not self._subscribers.get(key)
        self._subscribers[key].add(queue)
        if first:
            self._generations[key] = next(_generations)
        if first and _relay is not None:
            _relay.listen(self.namespace, key)
        try:
            yield queue
        finally:
            self._subscribers[key].discard(queue)
            if not self._subscribers[key]:
                del self._subscribers[key]
                del self._generations[key]
                if _relay is not None:
                    _relay.unlisten(self.namespace, key)


event_bus = EventBus("task")
