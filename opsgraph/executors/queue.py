"""The task queue seam. Resolvers only ever call `submit`, `cancel` and `confirm`; the in-process
implementation runs tasks as asyncio tasks here, and a later issue puts taskiq + Redis behind the
same protocol without touching resolvers.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from opsgraph.executors.runner import TaskRunner

log = logging.getLogger("opsgraph.queue")


class TaskQueue(Protocol):
    async def submit(self, task_id: int) -> None: ...

    async def cancel(self, task_id: int) -> bool:
        """True when the task was running here and has been told to stop."""
        ...

    async def confirm(self, task_id: int) -> bool: ...


@dataclass
class _Running:
    job: asyncio.Task[None]
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    confirm: asyncio.Event = field(default_factory=asyncio.Event)


class InProcessQueue:
    def __init__(self, runner: TaskRunner) -> None:
        self.runner = runner
        self._running: dict[int, _Running] = {}

    async def submit(self, task_id: int) -> None:
        if task_id in self._running:
            return
        cancel, confirm = asyncio.Event(), asyncio.Event()
        job = asyncio.create_task(self.runner.run(task_id, cancel, confirm), name=f"opsgraph-task-{task_id}")
        self._running[task_id] = _Running(job, cancel, confirm)
        job.add_done_callback(lambda _: self._running.pop(task_id, None))

    async def cancel(self, task_id: int) -> bool:
        running = self._running.get(task_id)
        if running is None:
            return False
        running.cancel.set()
        return True

    async def confirm(self, task_id: int) -> bool:
        running = self._running.get(task_id)
        if running is None:
            return False
        running.confirm.set()
        return True

    def is_running(self, task_id: int) -> bool:
        return task_id in self._running

    def running_ids(self) -> list[int]:
        return list(self._running)

    async def drain(self, timeout: float = 10) -> None:
        """On shutdown: stop every task (their hosts end CANCELLED) and wait briefly."""
        for running in self._running.values():
            running.cancel.set()
        jobs = [r.job for r in self._running.values()]
        if jobs:
            await asyncio.wait(jobs, timeout=timeout)


_queue: TaskQueue | None = None


def install_queue(queue: TaskQueue | None) -> None:
    global _queue
    _queue = queue


def task_queue() -> TaskQueue:
    if _queue is None:
        raise RuntimeError("the task queue is not running (the server starts it)")
    return _queue
