"""The task queue of the distributed deployment: taskiq on Redis (`taskiq-redis`).

`opsgraph serve` only enqueues: `submit` puts a `opsgraph.run_task(task_id, request_id)` message on
the Redis list `opsgraph:tasks`; an `opsgraph worker` takes it, owns the task through a lease and
runs it (executors/worker_runtime.py). `cancel` and `confirm` are control messages published to
every worker over the event relay; the worker running the task acts on them (and also reads
`cancel_requested` from the database on each lease renewal, so a lost message only delays it).

A big host step is split into shards (executors/sharding): its owner puts one
`opsgraph.run_shard(task_id, step_id, index, request_id)` message per shard on the same list, and
any worker runs it.

Redis being away never fails a request: the task row is already stored PENDING, and the supervisor
enqueues again any PENDING or WAITING task that nobody owns once its `queued:` mark has expired.

A message a worker has taken is not lost with that worker: taking one moves it atomically (BLMOVE)
from the queue to the worker's own list `opsgraph:taking:<holder>`, and it is removed from there
(acknowledged) only when its handler returns. A worker that dies leaves its list behind; once its
presence lease `worker:<holder>` has expired, the supervisor moves the list back onto the queue
(`restore_deliveries`). So a message taken by a worker killed before it leased the task waits
about `worker_lease_seconds` + a supervisor interval, not `requeue_after_seconds` (the bound for a
message lost with Redis itself). A message moved back for a task that did run is a duplicate, and
duplicates are harmless (only the lease holder runs a task).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from functools import partial

from redis.asyncio import Redis
from redis.exceptions import RedisError
from taskiq import AckableMessage
from taskiq.exceptions import TaskiqError
from taskiq.kicker import AsyncKicker
from taskiq_redis import ListQueueBroker

from opsgraph.core.events import EventBus
from opsgraph.core.log_context import current_request_id
from opsgraph.core.settings import Settings
from opsgraph.executors import leases
from opsgraph.executors.sharding.layout import shard_queued_mark

log = logging.getLogger("opsgraph.queue")

QUEUE_NAME = "opsgraph:tasks"
TAKING_PREFIX = "opsgraph:taking:"
_TAKE_WAIT = 0  # BLMOVE blocks until a message comes, as the stock broker's BRPOP did
RUN_TASK = "opsgraph.run_task"
RUN_SHARD = "opsgraph.run_shard"
CONTROL_KEY = 0  # every worker follows this key of the control bus
control_bus = EventBus("control")


def task_lease(task_id: int) -> str:
    return f"task:{task_id}"


def queued_mark(task_id: int) -> str:
    return f"queued:task:{task_id}"


def worker_presence(holder: str) -> str:
    """The lease a live worker renews (executors/worker_runtime.py `keep_leases`)."""
    return f"worker:{holder}"


def taking_list(holder: str) -> str:
    return f"{TAKING_PREFIX}{holder}"


class RedisTaskBroker(ListQueueBroker):
    """taskiq-redis's list broker, with two changes: a message taken is kept in the taker's own list
    until acknowledged (see the module's docstring), and its listener rides out a Redis restart
    (it reconnects instead of ending the worker)."""

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:  # type: ignore[override]
        taking = taking_list(leases.HOLDER)
        failing = False
        while True:
            try:
                async with Redis(connection_pool=self.connection_pool) as client:
                    while True:
                        taken = await client.blmove(self.queue_name, taking, _TAKE_WAIT, "RIGHT", "LEFT")
                        failing = False
                        if taken is not None:
                            data = taken.encode() if isinstance(taken, str) else bytes(taken)
                            yield AckableMessage(data=data, ack=partial(self._acknowledge, taking, data))
            except (RedisError, OSError) as exc:
                if not failing:
                    log.warning("lost the task queue on Redis (%s); reconnecting", exc)
                failing = True
                await asyncio.sleep(1.0)

    async def _acknowledge(self, taking: str, data: bytes) -> None:
        try:
            async with Redis(connection_pool=self.connection_pool) as client:
                await client.lrem(taking, 1, data)  # type: ignore[arg-type]  # redis-py takes bytes too
        except (RedisError, OSError) as exc:  # left in the list: at worst a harmless duplicate later
            log.warning("cannot acknowledge a task message on Redis: %s", exc)

    async def takers(self) -> list[str]:
        """The holders that have a list of taken messages."""
        async with Redis(connection_pool=self.connection_pool) as client:
            keys = [key async for key in client.scan_iter(match=f"{TAKING_PREFIX}*", count=500)]
        return [(key.decode() if isinstance(key, bytes) else str(key))[len(TAKING_PREFIX) :] for key in keys]

    async def give_back(self, holder: str) -> int:
        """Move the messages `holder` took back onto the queue, next in line; returns how many."""
        moved = 0
        async with Redis(connection_pool=self.connection_pool) as client:
            while await client.lmove(taking_list(holder), self.queue_name, "RIGHT", "RIGHT") is not None:
                moved += 1
        return moved


def make_broker(url: str) -> RedisTaskBroker:
    return RedisTaskBroker(url, queue_name=QUEUE_NAME, socket_connect_timeout=5)


class DistributedQueue:
    """The `TaskQueue` of servers (and of workers, for what their tasks start)."""

    def __init__(self, broker: RedisTaskBroker, settings: Settings) -> None:
        self.broker = broker
        self.settings = settings

    async def submit(self, task_id: int) -> None:
        await leases.acquire(queued_mark(task_id), self.settings.requeue_after_seconds, holder="queue")
        try:
            kicker: AsyncKicker[[int, str], None] = AsyncKicker(task_name=RUN_TASK, broker=self.broker, labels={})
            await kicker.kiq(task_id, current_request_id())
        except (TaskiqError, RedisError, OSError) as exc:  # taskiq wraps Redis errors in SendTaskError
            log.warning("task %s stays queued in the database: Redis refused it (%s)", task_id, exc)

    async def submit_shard(self, task_id: int, step_id: int, index: int) -> None:
        """Queue one shard of a step (its owner queues it again if this message is lost)."""
        await leases.acquire(shard_queued_mark(step_id, index), self.settings.requeue_after_seconds, holder="queue")
        try:
            kicker: AsyncKicker[[int, int, int, str], None] = AsyncKicker(
                task_name=RUN_SHARD, broker=self.broker, labels={}
            )
            await kicker.kiq(task_id, step_id, index, current_request_id())
        except (TaskiqError, RedisError, OSError) as exc:
            log.warning("shard %s of task %s waits: Redis refused it (%s)", index, task_id, exc)

    async def cancel(self, task_id: int) -> bool:
        control_bus.publish(CONTROL_KEY, {"op": "cancel", "task": task_id})
        return await self.is_owned(task_id)

    async def confirm(self, task_id: int) -> bool:
        control_bus.publish(CONTROL_KEY, {"op": "confirm", "task": task_id})
        return await self.is_owned(task_id)

    async def restore_deliveries(self) -> int:
        """Messages taken by workers whose presence lease has expired go back onto the queue."""
        moved = 0
        try:
            takers = await self.broker.takers()
            live = await leases.live_holders([worker_presence(holder) for holder in takers])
            for holder in takers:
                if worker_presence(holder) not in live:
                    moved += await self.broker.give_back(holder)
        except (RedisError, OSError) as exc:
            log.warning("cannot look for the messages of stopped workers on Redis: %s", exc)
            return 0
        if moved:
            log.warning("%s task message(s) taken by stopped workers put back on the queue", moved)
        return moved

    async def is_owned(self, task_id: int) -> bool:
        """A worker holds the task's lease (it is running or waiting there)."""
        return bool(await leases.live_holders([task_lease(task_id)]))


async def queue_depth(broker: RedisTaskBroker) -> int:
    from redis.asyncio import Redis

    async with Redis(connection_pool=broker.connection_pool) as client:
        return int(await client.llen(QUEUE_NAME))
