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
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator

from redis.exceptions import RedisError
from taskiq import AsyncBroker
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
RUN_TASK = "opsgraph.run_task"
RUN_SHARD = "opsgraph.run_shard"
CONTROL_KEY = 0  # every worker follows this key of the control bus
control_bus = EventBus("control")


def task_lease(task_id: int) -> str:
    return f"task:{task_id}"


def queued_mark(task_id: int) -> str:
    return f"queued:task:{task_id}"


class RedisTaskBroker(ListQueueBroker):
    """taskiq-redis's list broker that rides out a Redis restart: its listener reconnects instead
    of ending the worker (the stock one only retries on the builtin ConnectionError)."""

    async def listen(self) -> AsyncGenerator[bytes, None]:
        failing = False
        while True:
            try:
                async for message in super().listen():
                    failing = False
                    yield message
            except (RedisError, OSError) as exc:
                if not failing:
                    log.warning("lost the task queue on Redis (%s); reconnecting", exc)
                failing = True
                await asyncio.sleep(1.0)


def make_broker(url: str) -> RedisTaskBroker:
    return RedisTaskBroker(url, queue_name=QUEUE_NAME, socket_connect_timeout=5)


class DistributedQueue:
    """The `TaskQueue` of servers (and of workers, for what their tasks start)."""

    def __init__(self, broker: AsyncBroker, settings: Settings) -> None:
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

    async def is_owned(self, task_id: int) -> bool:
        """A worker holds the task's lease (it is running or waiting there)."""
        return bool(await leases.live_holders([task_lease(task_id)]))


async def queue_depth(broker: RedisTaskBroker) -> int:
    from redis.asyncio import Redis

    async with Redis(connection_pool=broker.connection_pool) as client:
        return int(await client.llen(QUEUE_NAME))
