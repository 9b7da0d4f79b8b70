"""The pipeline engine: the runtimes of the runs that have work now, and the way in for operations.

Resolvers call `pipeline_engine()` to start a run (in the background: start_task returns before the
run starts, as bk-sops does), to operate on a run or a node, and to deliver callbacks and approval
decisions. Every such call goes through `operate`, which applies the change under the run's lock
(building the runtime from the database when the run has none in memory) and then lets it drive.

The engine is installed by the app at start-up; `recover()` resumes what a restart interrupted and
`drain()` stops everything on shutdown without touching the stored states (the next start resumes).
In the distributed deployment a run is driven by one process at a time (run_leases.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opsgraph.core.errors import NotFound
from opsgraph.core.events import EventBus
from opsgraph.core.settings import Settings
from opsgraph.executors import leases
from opsgraph.executors.callbacks import redeliver_pending_callbacks, schedule_callback
from opsgraph.executors.pipeline import states
from opsgraph.executors.pipeline.plugins import load_plugins
from opsgraph.executors.pipeline.run_leases import RunElsewhere, RunLeases
from opsgraph.executors.pipeline.runtime import RunRuntime
from opsgraph.models.pipelines import PipelineRun

log = logging.getLogger("opsgraph.pipeline")


@dataclass
class Applied:
    """What an operation did: its answer, and the commit it staged (awaited after the lock)."""

    value: Any = None
    future: asyncio.Future[None] | None = None


Action = Callable[[RunRuntime], Applied]


class PipelineEngine:
    def __init__(self, settings: Settings, bus: EventBus) -> None:
        self.settings = settings
        self.bus = bus
        self.runtimes: dict[int, RunRuntime] = {}
        self._loading: dict[int, asyncio.Lock] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self.leases = RunLeases(self, float(settings.worker_lease_seconds))
        load_plugins()
        from opsgraph.executors.pipeline import approval_bridge

        self.approvals = approval_bridge.install(self)

    async def runtime(self, task_id: int) -> RunRuntime:
        """The run's runtime, built from the database when it has none (after the old one is gone)."""
        async with self.loading_lock(task_id):
            current = self.runtimes.get(task_id)
            if current is not None and not current.closed:
                return current
            if current is not None and current.driver is not None:
                await asyncio.shield(current.driver)  # its last writes land before we read them back
            await self.leases.claim(task_id)  # refused while another process drives the run
            loaded = await RunRuntime.load(self, task_id)
            if loaded is None:
                raise NotFound(f"pipeline task {task_id} does not exist", code="TASK_NOT_FOUND")
            self.runtimes[task_id] = loaded
            return loaded

    def loading_lock(self, task_id: int) -> asyncio.Lock:
        return self._loading.setdefault(task_id, asyncio.Lock())

    async def operate(self, task_id: int, action: Action) -> Any:
        """Apply `action(runtime)` under the run's lock (it may raise our errors), then drive the run."""
        while True:
            runtime = await self.runtime(task_id)
            async with runtime.lock:
                if runtime.closed:
                    continue
                applied = action(runtime)
                runtime.wake.set()
            runtime.drive()
            if applied.future is not None:
                await applied.future
            return applied.value

    def in_background(self, task_id: int, action: Action) -> None:
        """`operate` without waiting (start_task answers before the run starts)."""

        async def apply() -> None:
            try:
                await self.operate(task_id, action)
            except Exception:
                log.exception("background operation on pipeline task %s failed", task_id)

        job = asyncio.create_task(apply(), name=f"opsgraph-pipeline-op-{task_id}")
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    def forget(self, runtime: RunRuntime) -> None:
        if self.runtimes.get(runtime.task.id) is runtime:
            del self.runtimes[runtime.task.id]

    async def resume(self, task_id: int) -> None:
        """Drive a run that may have work (a restart, a takeover); start it if it never started."""
        await self.operate(task_id, _start_if_created)

    async def park(self, task_id: int) -> None:
        """Stop driving one run without touching its stored state (another process has it now)."""
        runtime = self.runtimes.get(task_id)
        if runtime is None:
            return
        async with runtime.lock:
            runtime.closed = True  # operations waiting for the lock build a runtime anew
        jobs = list(runtime.active.values()) + ([runtime.driver] if runtime.driver is not None else [])
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.wait(jobs, timeout=10)
        await runtime.settle_commits()  # what was decided lands before another process reads it
        self.forget(runtime)

    def task_ended(self, task_id: int) -> None:
        """The run's end is committed: deliver the callback it owes (nothing when already settled)."""
        schedule_callback(task_id, self.settings, only_if_owed=True)

    async def recover(self) -> list[int]:
        """After a restart: every run that was started and has not ended gets a runtime again.

        RUNNING activities resume through their plugin (a sleep waits what is left, a pause node
        waits again, a job node follows its job), READY nodes start, and a run that was told to
        start but never did starts now."""
        rows = await PipelineRun.filter(
            is_started=True,
            root_state__in=[states.CREATED, states.RUNNING, states.SUSPENDED],
        ).values("task_id")
        resumed = []
        for row in rows:
            task_id = int(row["task_id"])
            try:
                await self.resume(task_id)
            except RunElsewhere:
                continue  # another live process drives it
            except Exception:
                log.exception("pipeline task %s could not be resumed after the restart", task_id)
                continue
            resumed.append(task_id)
        if leases.leases_enabled():
            # The distributed server's start-up: callbacks owed (pipelines' and jobs') go out from
            # the task-row outbox here, where every dialect's body renderer is loaded; the embedded
            # deployment's recovery (executors/recovery.py) already did this before resuming us.
            await redeliver_pending_callbacks(self.settings)
        from opsgraph.executors.pipeline import approval_bridge

        await approval_bridge.redeliver(self)
        self.leases.start()  # distributed: keep our runs, take over those of dead processes
        return resumed

    async def drain(self, timeout: float = 10) -> None:
        """Shutdown: stop every runtime without changing stored states; the next start resumes them."""
        jobs: list[asyncio.Task[Any]] = list(self._background)
        for runtime in list(self.runtimes.values()):
            jobs += list(runtime.active.values())
            if runtime.driver is not None:
                jobs.append(runtime.driver)
        for job in jobs:
            job.cancel()
        if jobs:
            await asyncio.wait(jobs, timeout=timeout)
        await self.leases.stop()


def _start_if_created(runtime: RunRuntime) -> Applied:
    """Start a run that was told to start (is_started) but whose start never happened."""
    if runtime.run.root_state != states.CREATED:
        return Applied()
    steps = runtime.start_run()
    return Applied(future=runtime.stage(steps, root_state=states.RUNNING))


_engine: PipelineEngine | None = None


def install_pipeline_engine(engine: PipelineEngine | None) -> None:
    global _engine
    _engine = engine


def installed_pipeline_engine() -> PipelineEngine | None:
    return _engine


def pipeline_engine() -> PipelineEngine:
    if _engine is None:
        raise RuntimeError("the pipeline engine is not running (the server starts it)")
    return _engine
