"""The event relay of the distributed deployment: events between processes over Redis pub/sub.

One channel per (namespace, key) — `opsgraph:0:events:task:42`, where 0 is the Redis database of
the broker URL (pub/sub channels are server-wide, so two deployments sharing one Redis server on
different databases stay apart) — subscribed only while this process
has a local subscriber for that key, so a server does not receive the events of tasks nobody
follows there. Publishing never blocks the publisher (the recorder): events queue here and one
task sends them in order, pipelined. Redis being away costs live delivery only (the events are in
the database; subscribers fill gaps from there); the relay logs once, keeps trying, and subscribes
again when Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

from opsgraph.core.events import bus_named

log = logging.getLogger("opsgraph.events.redis")

_OUTBOX_LIMIT = 200_000
_BATCH = 500
RETRY_SECONDS = 1.0


def channel_prefix(url: str) -> str:
    database = urlsplit(url).path.strip("/") or "0"
    return f"opsgraph:{database}:events"


def _encode(origin: str, event: dict[str, Any]) -> bytes:
    at = event.get("at")
    body = {**event, "at": at.isoformat() if isinstance(at, datetime) else at}
    return json.dumps({"o": origin, "e": body}, separators=(",", ":"), default=str).encode()


def _decode(raw: bytes) -> tuple[str, dict[str, Any]]:
    message = json.loads(raw)
    event: dict[str, Any] = message["e"]
    if isinstance(event.get("at"), str):
        event["at"] = datetime.fromisoformat(event["at"])
    return str(message["o"]), event


class RedisEventRelay:
    def __init__(self, url: str) -> None:
        self.url = url
        self.origin = uuid.uuid4().hex
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(maxsize=_OUTBOX_LIMIT)
        self.prefix = channel_prefix(url)
        # Always subscribed to one channel: redis-py reads nothing without a subscription.
        self._channels: set[str] = {f"{self.prefix}:_"}
        self._changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._dropped = 0
        self._client: Redis | None = None
        self.published = 0

    async def start(self) -> None:
        self._client = Redis.from_url(self.url, socket_timeout=10, socket_connect_timeout=5)
        self._tasks = [
            asyncio.create_task(self._publish_forever(), name="opsgraph-events-publish"),
            asyncio.create_task(self._subscribe_forever(), name="opsgraph-events-subscribe"),
        ]

    async def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued (the last events of a shutting-down process), then stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outbox.join(), timeout)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._client.aclose()

    # -- EventRelay -----------------------------------------------------------------------------------------

    def send(self, namespace: str, key: int, event: dict[str, Any]) -> None:
        try:
            self._outbox.put_nowait((self.channel_of(namespace, key), _encode(self.origin, event)))
        except asyncio.QueueFull:
            self._dropped += 1  # subscribers fill the gap from the database

    def channel_of(self, namespace: str, key: int) -> str:
        return f"{self.prefix}:{namespace}:{key}"

    def listen(self, namespace: str, key: int) -> None:
        self._channels.add(self.channel_of(namespace, key))
        self._changed.set()

    def unlisten(self, namespace: str, key: int) -> None:
        self._channels.discard(self.channel_of(namespace, key))
        self._changed.set()

    # -- loops ----------------------------------------------------------------------------------------------

    async def _publish_forever(self) -> None:
        failing = False
        while True:
            first = await self._outbox.get()
            batch = [first]
            while len(batch) < _BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            try:
                await self._send(batch)
                if failing:
                    log.warning("Redis is back: events are published again")
                failing = False
            except (RedisError, OSError) as exc:
                if not failing:
                    log.warning("cannot publish events to Redis (%s); subscribers read them from the database", exc)
                failing = True
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                for _ in batch:
                    self._outbox.task_done()

    async def _send(self, batch: list[tuple[str, bytes]]) -> None:
        assert self._client is not None
        async with self._client.pipeline(transaction=False) as pipe:
            for channel, body in batch:
                pipe.publish(channel, body)
            await pipe.execute()
        self.published += len(batch)

    async def _subscribe_forever(self) -> None:
        failing = False
        while True:
            try:
                await self._follow()
            except (RedisError, OSError) as exc:
                if not failing:
                    log.warning("lost the Redis event subscription (%s); trying again", exc)
                failing = True
                await asyncio.sleep(RETRY_SECONDS)

    async def _follow(self) -> None:
        async with Redis.from_url(self.url, socket_connect_timeout=5) as client:
            pubsub = client.pubsub()
            subscribed: set[str] = set()
            try:
                while True:
                    self._changed.clear()
                    wanted = set(self._channels)
                    if wanted - subscribed:
                        await pubsub.subscribe(*(wanted - subscribed))
                    if subscribed - wanted:
                        await pubsub.unsubscribe(*(subscribed - wanted))
                    subscribed = wanted
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.2)
                    if message is not None and message.get("type") == "message":
                        self._dispatch(message["channel"], message["data"])
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    def _dispatch(self, channel: bytes | str, data: bytes) -> None:
        name = channel.decode() if isinstance(channel, bytes) else channel
        try:
            _, namespace, key = name.rsplit(":", 2)
            origin, event = _decode(data)
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed event on %s", name)
            return
        if origin == self.origin:
            return  # our own: local subscribers already have it
        bus = bus_named(namespace)
        if bus is not None and key.lstrip("-").isdigit():
            bus.deliver(int(key), event)
