"""The task owner's side of a sharded step: lay it out, queue its shards, wait for all of them.

In the distributed deployment a host step with more than `shard_hosts` hosts is not run by the
worker owning the task. That worker (the owner, holding `task:<id>`) stores the step's layout
(layout.py), marks the step RUNNING and queues one message per shard; any worker takes a shard
under its own lease and runs its hosts (shard_runs.py). The owner is the step barrier: it moves
on to the next step only once no host of this step is PENDING or RUNNING, and then judges the
step from every host's status, exactly as for a step run in one process (failure policy, cancel).

While it waits, every `lease / 3` s the owner looks at the shards that still have open hosts and
whose lease and queue mark nobody holds — a message lost with Redis, a worker killed mid-shard —
and queues them again. The worker that takes such a shard first kills the commands the dead one
left running and reports those hosts INTERRUPTED, then runs the hosts that never started.

An owner whose lease another worker has taken (it stalled past its lease) stops without writing
anything more (`OwnerLost`). A stopping owner (SIGTERM) hands the task back at once: the shards
keep running where they are, and the next owner resumes this barrier from the stored layout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import Protocol

from opsgraph.core.settings import Settings
from opsgraph.executors import leases
from opsgraph.executors.fencing import OwnerLost
from opsgraph.executors.recorder import TaskRecorder
from opsgraph.executors.runner import HandedBack, step_outcome
from opsgraph.executors.sharding.layout import (
    LAYOUT_KEY,
    Layout,
    covers,
    cut,
    shard_lease,
    shard_of,
    shard_queued_mark,
    stored_layout,
)
from opsgraph.executors.taskiq_queue import task_lease
from opsgraph.models.tasks import Task, TaskHostResult, TaskStatus, TaskStep

log = logging.getLogger("opsgraph.shards")
_POLL_SECONDS = 0.5
_OPEN = [TaskStatus.PENDING, TaskStatus.RUNNING]


class ShardQueue(Protocol):
    async def submit_shard(self, task_id: int, step_id: int, index: int) -> None: ...


class ShardedSteps:
    """The `StepSharding` of a worker's runner."""

    def __init__(self, settings: Settings, queue: ShardQueue) -> None:
        self.settings = settings
        self.queue = queue
        self.check_every = max(1.0, settings.worker_lease_seconds / 3)

    async def splits(self, step: TaskStep, pending: int) -> bool:
        return stored_layout(step.config) is not None or pending > self.settings.shard_hosts

    async def run_step(
        self,
        task: Task,
        step: TaskStep,
        recorder: TaskRecorder,
        cancel: asyncio.Event,
        handback: asyncio.Event | None,
    ) -> TaskStatus:
        layout = await self._layout(step)
        await recorder.step_status(step, TaskStatus.RUNNING)
        log.info("task %s step %s: %s shard(s) queued for the workers", task.id, step.position + 1, len(layout))
        next_check = 0.0
        queued: set[int] = set()
        while await TaskHostResult.filter(step_id=step.id, status__in=_OPEN).exists():
            if handback is not None and handback.is_set() and not cancel.is_set():
                raise HandedBack  # the shards run on; the next owner waits for them
            if time.monotonic() >= next_check:
                await self._queue_unowned(task, step, layout, queued, recorder)
                next_check = time.monotonic() + self.check_every
            await asyncio.sleep(_POLL_SECONDS)
        await recorder.drain()
        statuses = {r.status for r in await TaskHostResult.filter(step_id=step.id).only("id", "status")}
        outcome = step_outcome(statuses, cancelled=cancel.is_set())
        await recorder.step_status(step, outcome)
        return outcome

    async def _layout(self, step: TaskStep) -> Layout:
        """The stored layout (a resumed or retried step), else a new one, stored before any shard runs."""
        rows = await TaskHostResult.filter(step_id=step.id).order_by("id").values_list("id", flat=True)
        ids = [int(str(i)) for i in rows]
        layout = stored_layout(step.config)
        if layout is not None and covers(layout, ids):
            return layout
        layout = cut(ids, self.settings.shard_hosts)
        step.config = {**step.config, LAYOUT_KEY: [list(pair) for pair in layout]}
        await step.save(update_fields=["config"])
        return layout

    async def _queue_unowned(
        self, task: Task, step: TaskStep, layout: Layout, queued: set[int], recorder: TaskRecorder
    ) -> None:
        """Queue each shard with open hosts that no worker holds and no message is on its way for.

        Leases are read before hosts: a shard's worker commits its hosts before releasing its lease,
        so a shard seen free and then seen with open hosts truly has nobody running them."""
        every = range(len(layout))
        owner = task_lease(task.id)
        names = [shard_lease(step.id, i) for i in every] + [shard_queued_mark(step.id, i) for i in every]
        held = await leases.live_holders([owner, *names])
        if held.get(owner, leases.HOLDER) != leases.HOLDER:
            if recorder.fence is not None:
                recorder.fence.mark_lost("held by another worker, seen by the step barrier")
            raise OwnerLost  # our lease lapsed (a stalled process) and another worker carries the task on
        open_ids = await TaskHostResult.filter(step_id=step.id, status__in=_OPEN).values_list("id", flat=True)
        open_per_shard = Counter(shard_of(layout, int(str(rid))) for rid in open_ids)
        shards = sorted(i for i in open_per_shard if i is not None)
        for index in shards:
            if shard_lease(step.id, index) in held or shard_queued_mark(step.id, index) in held:
                continue
            if index in queued:
                log.warning(
                    "task %s: shard %s of step %s has open hosts and no worker: queued again",
                    task.id,
                    index,
                    step.position + 1,
                )
            queued.add(index)
            await self.queue.submit_shard(task.id, step.id, index)
