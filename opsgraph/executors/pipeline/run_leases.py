"""Exactly one process drives a pipeline run: the lease `pipeline:<task id>` (executors/leases.py).

Only in the distributed deployment (several `opsgraph serve` processes on one database); the
embedded one has nobody to share with and takes no lease.

- A process takes the run's lease before it builds the run's runtime (to start it, operate on it,
  deliver a callback or a decision, or resume it at start-up). While another live process holds
  it, the process asks the holder to hand the run over (a message on the `pipeline-control` bus,
  relayed over Redis): the holder stops driving it without touching its stored state (as a
  graceful shutdown does: sleeps, pause nodes, approvals and jobs in workers resume where they
  were) and gives the lease back; the asking process takes it and applies the operation. A holder
  that does not answer within `HAND_OVER_SECONDS` leaves the operation refused (`RunElsewhere`),
  nothing changed. The lease is renewed while the runtime lives and given back when the run goes
  idle (nothing active: ended, suspended, or waiting for an operator).
- A process that dies stops renewing; once its leases expire (`worker_lease_seconds`), a pass of
  another process takes over every run that still has work (task RUNNING / PENDING) and nobody
  holds: it resumes it exactly as a restart does (runtime.py: RUNNING activities resume through
  their plugin, READY nodes start).
- A process that loses a lease it held (the database was away longer than the lease) stops driving
  that run at once, without touching its stored state, for the process that took it over.
- Approval decisions made on another process's request are handed to the run by the pass too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from opsgraph.core.errors import Conflict
from opsgraph.core.events import EventBus
from opsgraph.executors import leases
from opsgraph.executors.pipeline import states
from opsgraph.models.leases import Lease
from opsgraph.models.pipelines import PipelineRun
from opsgraph.models.tasks import TaskStatus

if TYPE_CHECKING:
    from opsgraph.executors.pipeline.engine import PipelineEngine

log = logging.getLogger("opsgraph.pipeline")
_BATCH = 500
HAND_OVER_SECONDS = 10.0
CONTROL_KEY = 0  # every server follows this key of the bus
pipeline_control = EventBus("pipeline-control")


class RunElsewhere(Conflict):
    code = "RUN_ELSEWHERE"

    def __init__(self, task_id: int) -> None:
        super().__init__(
            f"pipeline task {task_id} is being run by another OpsGraph server process that did not hand "
            "it over; send the operation again later",
            field="taskId",
        )


def run_lease(task_id: int) -> str:
    return f"pipeline:{task_id}"


class RunLeases:
    def __init__(self, engine: PipelineEngine, seconds: float, holder: str = leases.HOLDER) -> None:
        self.engine = engine
        self.seconds = seconds
        self.holder = holder
        self.held: set[int] = set()
        self._loops: list[asyncio.Task[None]] = []

    @staticmethod
    def enabled() -> bool:
        return leases.leases_enabled()

    async def claim(self, task_id: int) -> None:
        """Before a runtime is built: take the run's lease (or renew ours), else refuse."""
        if not self.enabled():
            return
        name = run_lease(task_id)
        if not await leases.acquire(name, self.seconds, self.holder):
            pipeline_control.publish(CONTROL_KEY, {"op": "hand_over", "task": task_id, "to": self.holder})
            deadline = asyncio.get_running_loop().time() + HAND_OVER_SECONDS
            while not await leases.acquire(name, self.seconds, self.holder):
                if asyncio.get_running_loop().time() >= deadline:
                    raise RunElsewhere(task_id)
                await asyncio.sleep(0.2)
            log.info("pipeline task %s handed over to this process", task_id)
        self.held.add(task_id)

    def start(self) -> None:
        if self.enabled() and not self._loops:
            self._loops = [
                asyncio.create_task(self._maintain(), name="opsgraph-pipeline-leases"),
                asyncio.create_task(self._follow_control(), name="opsgraph-pipeline-control"),
            ]

    async def stop(self) -> None:
        """Shutdown (after the runtimes stopped): give the runs back for another process at once."""
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops = []
        if self.enabled() and self.held:
            with contextlib.suppress(Exception):
                await leases.release([run_lease(t) for t in self.held], self.holder)
            self.held.clear()

    async def _follow_control(self) -> None:
        async with pipeline_control.subscribe(CONTROL_KEY) as messages:
            while True:
                message = await messages.get()
                task_id = int(message.get("task") or 0)
                to = str(message.get("to") or "")
                if message.get("op") != "hand_over" or not to or to == self.holder or task_id not in self.held:
                    continue
                try:
                    await self.hand_over(task_id, to)
                except Exception:
                    log.exception("pipeline task %s could not be handed over", task_id)

    async def hand_over(self, task_id: int, to: str) -> None:
        """Stop driving the run (stored state untouched) and pass its lease to `to` — straight to
        the asking process, so no other one's takeover pass can slip in between."""
        async with self.engine.loading_lock(task_id):  # no runtime is built meanwhile
            await self.engine.park(task_id)
            await Lease.filter(name=run_lease(task_id), holder=self.holder).update(
                holder=to, expires_at=time.time() + self.seconds
            )
            self.held.discard(task_id)
        log.info("pipeline task %s handed over to another process", task_id)

    async def _maintain(self) -> None:
        interval = max(1.0, self.seconds / 3)
        while True:
            try:
                await self.pass_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pipeline lease pass failed; trying again in %s s", interval)
            await asyncio.sleep(interval)

    async def pass_once(self) -> list[int]:
        """Renew, give back and take over; returns the runs taken over."""
        await self._give_back_idle()
        driving = [t for t in self.held if t in self.engine.runtimes]
        lost = await leases.renew([run_lease(t) for t in driving], self.seconds, self.holder)
        for name in lost:
            task_id = int(name.partition(":")[2])
            log.warning("lost the lease of pipeline task %s: another process drives it now; stopping here", task_id)
            self.held.discard(task_id)
            async with self.engine.loading_lock(task_id):
                await self.engine.park(task_id)
        taken = await self._take_over()
        from opsgraph.executors.pipeline import approval_bridge

        await approval_bridge.redeliver(self.engine)
        return taken

    async def _give_back_idle(self) -> None:
        for task_id in list(self.held):
            if task_id in self.engine.runtimes:
                continue
            async with self.engine.loading_lock(task_id):  # no runtime is being built meanwhile
                if task_id in self.engine.runtimes:
                    continue
                await leases.release(run_lease(task_id), self.holder)
                self.held.discard(task_id)

    async def _take_over(self) -> list[int]:
        rows = await (
            PipelineRun.filter(
                is_started=True,
                root_state__in=[states.CREATED, states.RUNNING, states.SUSPENDED],
                task__status__in=[TaskStatus.RUNNING, TaskStatus.PENDING],
            )
            .order_by("task_id")
            .limit(_BATCH)
            .values_list("task_id", flat=True)
        )
        candidates = [int(str(t)) for t in rows if int(str(t)) not in self.engine.runtimes]
        busy = await leases.live_holders(run_lease(t) for t in candidates)
        taken = []
        for task_id in candidates:
            if run_lease(task_id) in busy:
                continue
            try:
                await self.engine.resume(task_id)
            except RunElsewhere:
                continue  # another process was quicker
            except Exception:
                log.exception("pipeline task %s could not be taken over", task_id)
                continue
            log.warning("pipeline task %s had no live process driving it: taken over", task_id)
            taken.append(task_id)
        return taken
