"""Wiring of the distributed deployment (`OPSGRAPH_BROKER_URL` set), for servers and workers.

Both kinds of process: leases on, the Redis event relay installed behind `core.events`, the taskiq
queue installed behind `executors.queue`. A worker also runs a taskiq `Receiver` over that queue
with its `WorkerRuntime`, follows control messages, renews its task leases, and takes its turn at
the task supervisor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field

from taskiq.acks import AcknowledgeType
from taskiq.receiver import Receiver

from opsgraph.core.broker_check import ensure_broker_reachable
from opsgraph.core.db import close_database, database_errors, open_database
from opsgraph.core.events import event_bus, install_relay
from opsgraph.core.redis_events import RedisEventRelay
from opsgraph.core.settings import Settings
from opsgraph.executors import leases
from opsgraph.executors.host_keys import DatabaseHostKeyStore
from opsgraph.executors.queue import install_queue
from opsgraph.executors.runner import TaskRunner
from opsgraph.executors.sharding.barrier import ShardedSteps
from opsgraph.executors.sharding.shard_runs import ShardRuns
from opsgraph.executors.task_supervisor import run_supervisor
from opsgraph.executors.taskiq_queue import (
    RUN_SHARD,
    RUN_TASK,
    DistributedQueue,
    RedisTaskBroker,
    make_broker,
    worker_presence,
)
from opsgraph.executors.worker_runtime import WorkerRuntime

log = logging.getLogger("opsgraph.distributed")


@dataclass
class Distributed:
    """The parts a process of the distributed deployment holds; `stop` undoes `start_distributed`."""

    relay: RedisEventRelay
    broker: RedisTaskBroker
    queue: DistributedQueue
    background: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.relay.stop()  # the last events go out before the process does
        install_relay(None)
        install_queue(None)
        with contextlib.suppress(Exception):
            await self.broker.shutdown()
        leases.enable_leases(False)
        await leases.close_renewal_connection()


async def start_distributed(settings: Settings) -> Distributed:
    await ensure_broker_reachable(settings.broker_url)
    leases.enable_leases(True)
    await leases.open_renewal_connection(settings.database_url)
    relay = RedisEventRelay(settings.broker_url)
    await relay.start()
    install_relay(relay)
    broker = make_broker(settings.broker_url)
    await broker.startup()
    queue = DistributedQueue(broker, settings)
    install_queue(queue)
    return Distributed(relay, broker, queue)


async def ensure_database_reachable(database_url: str) -> None:
    """The pool connects lazily: ask once, so an unreachable database is one line at start-up."""
    from tortoise import Tortoise

    with database_errors(database_url, "opening"):
        await Tortoise.get_connection("default").execute_query("SELECT 1")


async def run_worker(settings: Settings, concurrency: int) -> None:
    """The `opsgraph worker` process, until SIGTERM / SIGINT."""
    await open_database(settings.database_url)
    await ensure_database_reachable(settings.database_url)
    parts = await start_distributed(settings)
    runner = TaskRunner(settings, event_bus, DatabaseHostKeyStore(strict=settings.ssh_strict_host_keys))
    runner.sharding = ShardedSteps(settings, parts.queue)  # big host steps are split across the workers
    runtime = WorkerRuntime(settings, runner, parts.queue, ShardRuns(settings, runner, parts.queue))

    async def run_task(task_id: int, request_id: str = "") -> None:  # taskiq registers plain functions
        await runtime.run_task(task_id, request_id)

    async def run_shard(task_id: int, step_id: int, index: int, request_id: str = "") -> None:
        await runtime.run_shard(task_id, step_id, index, request_id)

    parts.broker.register_task(run_task, task_name=RUN_TASK)
    parts.broker.register_task(run_shard, task_name=RUN_SHARD)
    receiver = Receiver(
        parts.broker,
        max_async_tasks=concurrency,
        run_startup=False,
        propagate_exceptions=False,
        wait_tasks_timeout=float(settings.worker_shutdown_seconds),
        # A message stays in this worker's list until its handler returns (executors/taskiq_queue.py).
        ack_type=AcknowledgeType.WHEN_EXECUTED,
    )
    finish = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, finish.set)
    parts.background += [
        asyncio.create_task(runtime.follow_control(), name="opsgraph-worker-control"),
        asyncio.create_task(runtime.keep_leases(), name="opsgraph-worker-leases"),
        asyncio.create_task(runtime.poll_requests(), name="opsgraph-worker-requests"),
        asyncio.create_task(run_supervisor(settings, parts.queue), name="opsgraph-task-supervisor"),
    ]
    # Present before taking any message, or the supervisor would put back what this worker takes.
    await leases.acquire(worker_presence(leases.HOLDER), float(settings.worker_lease_seconds))
    listening = asyncio.create_task(receiver.listen(finish), name="opsgraph-worker-receiver")
    log.info("worker %s ready: up to %s tasks at once", leases.HOLDER, concurrency)
    try:
        await asyncio.wait({listening, asyncio.ensure_future(finish.wait())}, return_when=asyncio.FIRST_COMPLETED)
        finish.set()
        left = await runtime.hand_back_all(float(settings.worker_shutdown_seconds))
        if left:
            log.warning("tasks %s were still running at the stop: the supervisor resolves them", left)
        await asyncio.wait({listening}, timeout=5)
        if not listening.done():
            listening.cancel()
    finally:
        await parts.stop()
        await close_database()
    log.info("worker %s stopped", leases.HOLDER)
