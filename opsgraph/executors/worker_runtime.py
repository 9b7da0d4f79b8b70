"""What an `opsgraph worker` does with the tasks it takes from the queue.

- **Ownership**: a task runs where its lease `task:<id>` is held. A message for a task whose lease
  someone else holds is dropped (duplicates are harmless); one for a finished task too. The lease
  is renewed every `lease / 3` s; on each renewal the worker also reads `cancel_requested` and the
  approval decisions of the tasks it holds, so a lost control message only delays them.
- **Takeover**: a message for a task that is RUNNING with a free lease means its worker died: the
  task is resolved here (its remote commands are killed, unfinished hosts INTERRUPTED) — unless it
  is in the middle of a sharded step, whose hosts run on other workers: then this worker becomes
  its owner and carries it on (executors/sharding).
- **Shards**: a shard message runs a range of a big step's hosts here (sharding/shard_runs.py),
  under a lease renewed, cancelled and handed back like a task's.
- **Control**: cancel / confirm messages from any server reach the worker running the task.
- **Graceful stop** (SIGTERM): no new messages are taken; running tasks are handed back — the
  hosts already running finish, the others stay PENDING and the task is queued again for another
  worker — and tasks waiting for an approval go back to the queue to wait elsewhere. What is still
  running after `worker_shutdown_seconds` is left to the supervisor (its commands are killed and
  its hosts INTERRUPTED), never silently abandoned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from opsgraph.core.events import event_bus
from opsgraph.core.log_context import bind_request_id, reset_request_id
from opsgraph.core.settings import Settings
from opsgraph.executors import leases
from opsgraph.executors.fencing import Fence
from opsgraph.executors.queue import TaskQueue
from opsgraph.executors.recovery import resolve_interrupted_task
from opsgraph.executors.runner import HandedBack, TaskRunner
from opsgraph.executors.sharding.layout import sharded_step_open
from opsgraph.executors.sharding.shard_runs import ShardRuns
from opsgraph.executors.taskiq_queue import CONTROL_KEY, control_bus, queued_mark, task_lease, worker_presence
from opsgraph.models.tasks import FINISHED_STATUSES, Task, TaskKind, TaskStatus, TaskStep
from opsgraph.models.tickets import Ticket

log = logging.getLogger("opsgraph.worker")
TAKEN_OVER = "the worker running this task stopped"


@dataclass
class _Run:
    fence: Fence
    job: asyncio.Task[None] | None = None
    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    confirm: asyncio.Event = field(default_factory=asyncio.Event)
    handback: asyncio.Event = field(default_factory=asyncio.Event)
    stopping: bool = False  # we set `cancel` to stop an approval wait for the shutdown


class WorkerRuntime:
    def __init__(self, settings: Settings, runner: TaskRunner, queue: TaskQueue, shards: ShardRuns) -> None:
        self.settings = settings
        self.shards = shards
        self.runner = runner
        self.runner.holder = leases.HOLDER
        self.queue = queue
        self.lease_seconds = float(settings.worker_lease_seconds)
        self.running: dict[int, _Run] = {}
        self.claimed: set[int] = set()  # tasks a message of which is being handled here
        self.stopping = False

    # -- the taskiq task ------------------------------------------------------------------------------------

    async def run_task(self, task_id: int, request_id: str = "") -> None:
        token = bind_request_id(request_id)
        try:
            await self._run_task(int(task_id))
        finally:
            reset_request_id(token)

    async def run_shard(self, task_id: int, step_id: int, index: int, request_id: str = "") -> None:
        token = bind_request_id(request_id)
        try:
            await self.shards.run(int(task_id), int(step_id), int(index))
        finally:
            reset_request_id(token)

    async def _run_task(self, task_id: int) -> None:
        if self.stopping:
            await self.queue.submit(task_id)  # taken just before the stop: for another worker
            return
        if task_id in self.claimed:
            return  # a duplicate message while we run it (`acquire` would renew our own lease)
        self.claimed.add(task_id)
        try:
            await self._claimed_task(task_id)
        finally:
            self.claimed.discard(task_id)

    async def _claimed_task(self, task_id: int) -> None:
        name = task_lease(task_id)
        epoch = await leases.take(name, self.lease_seconds)
        if epoch is None:
            return  # another worker owns it
        # The message is ours now: the supervisor need not queue the task again (executors/taskiq_queue.py).
        await leases.release(queued_mark(task_id), holder="queue")
        fence = Fence(name, leases.HOLDER, epoch)
        handed_back = False
        try:
            task = await Task.get_or_none(id=task_id)
            if task is None or task.status in FINISHED_STATUSES or task.kind == TaskKind.PIPELINE:
                return  # pipelines are driven by the servers' pipeline engine
            if task.status in {TaskStatus.RUNNING, TaskStatus.CANCELLING} and await sharded_step_open(task_id):
                log.warning("task %s lost its owner in a sharded step: carrying it on here", task_id)
                handed_back = await self._run_owned(task, fence)
                return
            if task.status in {TaskStatus.RUNNING, TaskStatus.CANCELLING}:
                log.warning("task %s was RUNNING without an owner: resolving what its worker left", task_id)
                await resolve_interrupted_task(task, self.settings, event_bus, TAKEN_OVER, fence)
                return
            handed_back = await self._run_owned(task, fence)
        finally:
            self.running.pop(task_id, None)
            with contextlib.suppress(Exception):
                await leases.release(name)
        if handed_back:
            await self.queue.submit(task_id)

    async def _run_owned(self, task: Task, fence: Fence) -> bool:
        """Run the task; True when it was handed back (to be queued again)."""
        run = _Run(fence)
        if task.cancel_requested:
            run.cancel.set()
        run.job = asyncio.current_task()
        self.running[task.id] = run
        log.info("task %s taken by worker %s", task.id, leases.HOLDER)
        try:
            await self.runner.run(task.id, run.cancel, run.confirm, run.handback, fence)
            log.info("task %s run ended", task.id)
        except HandedBack:
            log.info("task %s handed back for another worker", task.id)
            return True
        except asyncio.CancelledError:
            if not run.stopping:
                raise
            log.info("task %s waits for its approval on another worker", task.id)  # see approval_wait
            return True
        return False

    # -- control and leases ---------------------------------------------------------------------------------

    async def follow_control(self) -> None:
        async with control_bus.subscribe(CONTROL_KEY) as messages:
            while True:
                message = await messages.get()
                task_id = int(message.get("task") or 0)
                if message.get("op") == "cancel":
                    self.shards.cancel(task_id)
                run = self.running.get(task_id)
                if run is None:
                    continue
                if message.get("op") == "cancel":
                    run.cancel.set()
                elif message.get("op") == "confirm":
                    run.confirm.set()

    async def keep_leases(self) -> None:
        """Renew this worker's presence (`worker:<holder>`, counted by /metrics, and the sign that the
        messages it took are still in hand: executors/taskiq_queue.py) and its task and shard leases.

        Only lease renewals run in this loop, on the renewal connection (executors/leases.py): reading
        cancels and approvals goes through the shared pool in `poll_requests`, so a pool saturated by
        this worker's own writes delays those reads but never the renewals."""
        presence = worker_presence(leases.HOLDER)
        try:
            while True:
                started = time.monotonic()
                try:
                    if self.running or self.shards.runs:
                        await self._renew()  # first: the leases others would take over
                    if await leases.renew([presence], self.lease_seconds):
                        await leases.acquire(presence, self.lease_seconds)
                except Exception as exc:  # the database is away: try again next time
                    log.warning("cannot renew task leases: %s", exc)
                # At a fixed rate: a slow pass (a busy database) must not stretch the renewal period.
                await asyncio.sleep(max(0.0, self.lease_seconds / 3 - (time.monotonic() - started)))
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(leases.release(presence))

    async def _renew(self) -> None:
        names = [task_lease(i) for i in self.running] + self.shards.lease_names()
        lost = await leases.renew(names, self.lease_seconds)
        still_running = {task_lease(i) for i in self.running} | set(self.shards.lease_names())
        fences = {run.fence.name: run.fence for run in self.running.values()}
        for name in lost & still_running:  # not the ones that ended (and were released) meanwhile
            if name in fences:
                fences[name].mark_lost("its renewal found it gone")
            self.shards.lost(name)

    async def poll_requests(self) -> None:
        """Every `lease / 3` s, read the cancels and approval decisions of what runs here (a lost
        control message only delays them)."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not (self.running or self.shards.runs):
                continue
            try:
                await self._poll()
            except Exception as exc:  # the database is away: try again next time
                log.warning("cannot read cancel requests: %s", exc)

    async def _poll(self) -> None:
        ids = list(self.running)
        polled = set(ids) | self.shards.task_ids()
        for task_id in await Task.filter(id__in=list(polled), cancel_requested=True).values_list("id", flat=True):
            self.shards.cancel(int(str(task_id)))
            run = self.running.get(int(str(task_id)))
            if run is not None:
                run.cancel.set()
        waiting = await Task.filter(id__in=ids, status=TaskStatus.WAITING).values_list("id", flat=True)
        if waiting:
            steps = await TaskStep.filter(task_id__in=list(waiting), status=TaskStatus.WAITING).values(
                "task_id", "config"
            )
            tickets = {int(s["config"]["ticket_id"]): int(s["task_id"]) for s in steps if s["config"].get("ticket_id")}
            if tickets:
                decided = await Ticket.filter(id__in=list(tickets), decided_at__isnull=False).values_list(
                    "id", flat=True
                )
                for ticket_id in decided:
                    run = self.running.get(tickets[int(str(ticket_id))])
                    if run is not None:
                        run.confirm.set()

    # -- shutdown -------------------------------------------------------------------------------------------

    async def hand_back_all(self, timeout: float) -> list[int]:
        """Stop taking work and hand back what runs; returns the tasks still running after `timeout`."""
        self.stopping = True
        shard_jobs = self.shards.hand_back()
        if not self.running:
            if shard_jobs:
                await asyncio.wait(shard_jobs, timeout=timeout)
            return []
        waiting = set(
            int(str(i))
            for i in await Task.filter(id__in=list(self.running), status=TaskStatus.WAITING).values_list(
                "id", flat=True
            )
        )
        for task_id, run in self.running.items():
            if task_id in waiting:
                run.stopping = True
                run.cancel.set()  # approval_wait: a cancel nobody requested means "the process stops"
            else:
                run.handback.set()
        jobs = [run.job for run in self.running.values() if run.job is not None] + shard_jobs
        if jobs:
            await asyncio.wait(jobs, timeout=timeout)
        return list(self.running)
