"""A worker's side of sharded steps: run one shard (a range of a step's hosts) under its lease.

A shard message names (task, step, shard index). The worker takes the lease `shard:<step>:<index>`
(someone else holding it means the message is a duplicate), checks that the task still runs and
the step is still RUNNING, and then:

1. **takes over** what a previous holder left: hosts of the shard still RUNNING belong to a worker
   that died (its lease expired). Their recorded remote process groups are killed first
   (executors/remote_processes.py), then they are reported ABNORMAL / INTERRUPTED, saying so;
2. runs the shard's PENDING hosts with the runner's own host machinery (slots, connect, cancel,
   RUNNING committed before the command starts, outcome recorded), writing events through a
   recorder of its own — the task's event numbers come from the database (executors/recorder.py).

Cancel reaches a shard as it reaches a task: the control message, or `cancel_requested` read on
each lease renewal. A stopping worker hands its shards back: hosts already running finish, the
others stay PENDING and the shard is queued again for another worker.

Hosts of one task run on one worker at most `runner_task_concurrency` at a time, shards included,
and a worker runs at most that many hosts' worth of one task's shards (and `runner_global_concurrency`
hosts' worth in all): a shard message beyond that goes back to the queue after a short pause, so an
idle worker takes it instead of it waiting behind a busy one (taskiq hands a worker as many
messages as it has async slots, which would otherwise let the first listener take every shard).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from opsgraph.core.events import event_bus
from opsgraph.core.settings import Settings
from opsgraph.executors import leases
from opsgraph.executors.fencing import Fence, OwnerLost
from opsgraph.executors.recorder import TaskRecorder
from opsgraph.executors.remote_processes import stop_interrupted_commands
from opsgraph.executors.runner import TaskRunner
from opsgraph.executors.sessions import SessionPool
from opsgraph.executors.sharding.barrier import ShardQueue
from opsgraph.executors.sharding.layout import shard_lease, shard_queued_mark, stored_layout
from opsgraph.models.tasks import FINISHED_STATUSES, HostFailure, Task, TaskHostResult, TaskStatus, TaskStep

log = logging.getLogger("opsgraph.shards")
_BUSY_PAUSE = 0.5  # before giving back a shard this worker has no room for
TAKEN_OVER = "the worker running this host's shard stopped"


@dataclass
class _ShardRun:
    task_id: int
    fence: Fence
    job: asyncio.Task[None] | None = None
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    handback: asyncio.Event = field(default_factory=asyncio.Event)


class ShardRuns:
    """The shards running in this worker, by lease name."""

    def __init__(self, settings: Settings, runner: TaskRunner, queue: ShardQueue) -> None:
        self.settings = settings
        self.runner = runner
        self.queue = queue
        self.runs: dict[str, _ShardRun] = {}
        self.claimed: dict[str, int] = {}  # shard lease → task: a message being handled here
        hosts = max(1, settings.shard_hosts)
        self.per_task = max(1, settings.runner_task_concurrency // hosts)
        self.per_worker = max(self.per_task, settings.runner_global_concurrency // hosts)
        self.stopping = False
        self._slots: dict[int, asyncio.Semaphore] = {}

    def lease_names(self) -> list[str]:
        return list(self.runs)

    def task_ids(self) -> set[int]:
        return {run.task_id for run in self.runs.values()}

    def cancel(self, task_id: int) -> None:
        for run in self.runs.values():
            if run.task_id == task_id:
                run.cancel.set()

    def lost(self, name: str) -> None:
        """Our lease on shard `name` is held by another worker (we stalled): the shard's run stops
        (its SSH channels closed) and writes nothing more."""
        run = self.runs.get(name)
        if run is not None:
            run.fence.mark_lost("its renewal found it gone")

    def hand_back(self) -> list[asyncio.Task[None]]:
        """Stop taking shards and hand back the running ones; returns their jobs to wait for."""
        self.stopping = True
        for run in self.runs.values():
            run.handback.set()
        return [run.job for run in self.runs.values() if run.job is not None]

    async def run(self, task_id: int, step_id: int, index: int) -> None:
        if self.stopping:
            await self.queue.submit_shard(task_id, step_id, index)  # taken just before the stop
            return
        name = shard_lease(step_id, index)
        if name in self.claimed:
            return  # a duplicate message while we run it (`acquire` would renew our own lease)
        if not self._room_for(task_id):
            await asyncio.sleep(_BUSY_PAUSE)
            await self.queue.submit_shard(task_id, step_id, index)
            return
        self.claimed[name] = task_id
        try:
            await self._claimed_shard(name, task_id, step_id, index)
        finally:
            self.claimed.pop(name, None)

    def _room_for(self, task_id: int) -> bool:
        same_task = sum(1 for claimed in self.claimed.values() if claimed == task_id)
        return same_task < self.per_task and len(self.claimed) < self.per_worker

    async def _claimed_shard(self, name: str, task_id: int, step_id: int, index: int) -> None:
        epoch = await leases.take(name, float(self.settings.worker_lease_seconds))
        if epoch is None:
            return  # another worker runs it
        await leases.release(shard_queued_mark(step_id, index), holder="queue")
        run = _ShardRun(task_id, Fence(name, leases.HOLDER, epoch), job=asyncio.current_task())
        self.runs[name] = run
        handed_back = False
        try:
            handed_back = await self._run(run, task_id, step_id, index)
        finally:
            self.runs.pop(name, None)
            if not any(r.task_id == task_id for r in self.runs.values()):
                self._slots.pop(task_id, None)
            with contextlib.suppress(Exception):
                await leases.release(name)
        if handed_back:
            await self.queue.submit_shard(task_id, step_id, index)

    async def _run(self, run: _ShardRun, task_id: int, step_id: int, index: int) -> bool:
        """Run the shard; True when it was handed back with hosts left PENDING."""
        task = await Task.get_or_none(id=task_id)
        step = await TaskStep.get_or_none(id=step_id, task_id=task_id)
        if task is None or step is None or task.status in FINISHED_STATUSES or step.status != TaskStatus.RUNNING:
            return False  # a late duplicate: the step or the task has ended
        layout = stored_layout(step.config)
        if layout is None or not 0 <= index < len(layout):
            log.error("task %s step %s has no shard %s: message dropped", task_id, step_id, index)
            return False
        first, last = layout[index]
        if task.cancel_requested:
            run.cancel.set()
        recorder = TaskRecorder(task, event_bus, max_log_bytes=self.settings.max_log_bytes_per_host, fence=run.fence)
        pool = SessionPool(self.runner.keys, connect_timeout=self.settings.ssh_connect_timeout)
        recorder.start()
        watch = self.runner.close_on_loss(run.fence, pool)
        try:
            in_shard = TaskHostResult.filter(step_id=step_id, id__gte=first, id__lte=last)
            await self._take_over(task, await in_shard.filter(status=TaskStatus.RUNNING), recorder)
            results = await in_shard.filter(status=TaskStatus.PENDING).order_by("id")
            slots = self._slots.setdefault(task_id, asyncio.Semaphore(self.settings.runner_task_concurrency))
            await self.runner.run_hosts(task, step, recorder, pool, results, run.cancel, run.handback, slots)
        except OwnerLost:
            return False  # another worker has the shard now (the fence logged it)
        finally:
            if watch is not None:
                watch.cancel()
            await pool.close()
            await recorder.stop()
        ran = sum(1 for r in results if r.status != TaskStatus.PENDING)
        log.info(
            "task %s shard %s of step %s: ran %s host(s) on worker %s",
            task_id,
            index,
            step.position + 1,
            ran,
            leases.HOLDER,
        )
        return ran < len(results) and run.handback.is_set() and not run.cancel.is_set()

    async def _take_over(self, task: Task, running: list[TaskHostResult], recorder: TaskRecorder) -> None:
        """Hosts left RUNNING by a dead holder: kill their commands, then say they were interrupted."""
        if not running:
            return
        log.warning("task %s: %s host(s) left running by a stopped worker: stopping them", task.id, len(running))
        notes = await stop_interrupted_commands(task.id, self.settings, result_ids=[r.id for r in running])
        for result in running:
            note = notes.get(result.id)
            error = f"{TAKEN_OVER}; {note}" if note else TAKEN_OVER
            await recorder.host_status(result, TaskStatus.ABNORMAL, failure=HostFailure.INTERRUPTED, error=error)
