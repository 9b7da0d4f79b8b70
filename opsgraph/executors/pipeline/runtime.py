"""One pipeline run in memory: its nodes, what runs now, and how the flow moves on.

Every node's state is persisted (recorder.py) before the flow relies on it, so a runtime can be
rebuilt from the database at any moment: READY nodes start, RUNNING activities resume through their
plugin, FAILED nodes wait for an operator. A runtime lives while some node of its run is active and
goes away when the run is idle; the engine builds a new one when an operation, a callback or a
restart needs it.

State changes are decided under `lock` in memory (no awaits in between), staged with the recorder
in that order, and awaited outside the lock, so parallel branches do not queue behind each other's
commits while the order of writes stays the order of decisions.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opsgraph.executors.pipeline import states
from opsgraph.executors.pipeline.context import level_scope, system_variables
from opsgraph.executors.pipeline.converge import converge_of
from opsgraph.executors.pipeline.recorder import PipelineRecorder
from opsgraph.executors.pipeline.tree import (
    ACTIVITY,
    CONVERGE,
    SUBPROCESS,
    Graph,
    Node,
    read_graph,
    walk_trees,
)
from opsgraph.executors.pipeline.variables import Scope
from opsgraph.models.pipelines import PipelineRun
from opsgraph.models.tasks import Task, TaskStatus, TaskStep
from opsgraph.models.topology import Business

if TYPE_CHECKING:
    from opsgraph.executors.pipeline.engine import PipelineEngine

log = logging.getLogger("opsgraph.pipeline")
RERUN_LIMIT = 100  # bamboo BAMBOO_DJANGO_ERI_NODE_RERUN_LIMIT
MAX_HISTORIES = 50
RERUN_MESSAGE = "node execution exceed rerun limit"


@dataclass
class Level:
    """One pipeline level: the run's top tree, or an unfolded subprocess (`parent` = its node id)."""

    parent: str
    graph: Graph
    converge: dict[str, str]
    scope: Scope


@dataclass
class NodeRef:
    step: TaskStep
    level: Level
    node: Node

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def config(self) -> dict[str, Any]:
        return self.step.config

    @property
    def state(self) -> str:
        return str(self.step.config.get("state", states.CREATED))


class RunRuntime:
    def __init__(self, engine: PipelineEngine, task: Task, run: PipelineRun, steps: list[TaskStep], biz_name: str):
        self.engine = engine
        self.settings = engine.settings
        self.task = task
        self.run = run
        self.recorder = PipelineRecorder(task, run, engine.bus, max_log_bytes=engine.settings.max_log_bytes_per_host)
        self.system = system_variables(task, run, biz_name, engine.settings.public_url)
        self.levels: dict[str, Level] = {}
        self.refs: dict[str, NodeRef] = {}
        self.active: dict[str, asyncio.Task[None]] = {}
        self.stops: dict[str, asyncio.Event] = {}
        self.stop_reasons: dict[str, str] = {}
        self.callbacks: dict[str, asyncio.Queue[Any]] = {}
        self.lock = asyncio.Lock()
        self.wake = asyncio.Event()
        self.closed = False
        self.driver: asyncio.Task[None] | None = None
        self._pending: list[asyncio.Future[None]] = []
        steps_by_node = {str(s.config.get("node_id")): s for s in steps}
        for parent, tree in walk_trees(run.tree):
            graph = read_graph(tree)
            parent_level = self.refs[parent].level if parent else None
            passed = self.refs[parent].node.raw.get("constants") if parent else None
            scope = level_scope(
                graph,
                self.system,
                self.outputs_of,
                parent=parent_level.scope if parent_level else None,
                passed=passed if isinstance(passed, dict) else None,
            )
            level = Level(parent, graph, converge_of(graph), scope)
            self.levels[parent] = level
            for node in graph.nodes.values():
                self.refs[node.id] = NodeRef(steps_by_node[node.id], level, node)

    @classmethod
    async def load(cls, engine: PipelineEngine, task_id: int) -> RunRuntime | None:
        task = await Task.get_or_none(id=task_id)
        run = await PipelineRun.get_or_none(task_id=task_id)
        if task is None or run is None:
            return None
        steps = await TaskStep.filter(task_id=task_id).order_by("position")
        name = ""
        if task.business_id is not None:
            row = await Business.filter(id=task.business_id).values("name")
            name = str(row[0]["name"]) if row else ""
        return cls(engine, task, run, list(steps), name)

    # --- lookups ----------------------------------------------------------------------------------------

    def outputs_of(self, node_id: str) -> dict[str, Any] | None:
        ref = self.refs.get(node_id)
        if ref is None or ref.state not in (states.FINISHED, states.FAILED):
            return None
        outputs = ref.config.get("outputs")
        return outputs if isinstance(outputs, dict) else None

    def ref(self, node_id: str) -> NodeRef | None:
        return self.refs.get(node_id)

    def subprocess_suspended(self, ref: NodeRef) -> bool:
        parent = ref.level.parent
        while parent:
            holder = self.refs[parent]
            if holder.config.get("suspended"):
                return True
            parent = holder.level.parent
        return False

    # --- staging writes ---------------------------------------------------------------------------------

    def stage(
        self,
        steps: list[TaskStep],
        *,
        root_state: str | None = None,
        task_status: TaskStatus | None = None,
        error: str | None = None,
    ) -> asyncio.Future[None]:
        """Queue a commit now (in decision order); await the returned future outside the lock."""
        unique = list({id(s): s for s in steps}.values())
        future = asyncio.ensure_future(
            self.recorder.commit(unique, root_state=root_state, task_status=task_status, error=error)
        )
        self._pending.append(future)
        future.add_done_callback(lambda done: self._pending.remove(done) if done in self._pending else None)
        return future

    async def settle_commits(self) -> None:
        """Wait for the commits already staged (when the run is stopped from outside)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self.recorder.stop()

    def stage_end(self, steps: list[TaskStep], **root: Any) -> asyncio.Future[None]:
        """Stage the commit that ends the run (for now), then tell its callback URL once committed."""
        future = self.stage(steps, **root)
        task_id = self.task.id
        future.add_done_callback(lambda done: self.engine.task_ended(task_id) if not done.exception() else None)
        return future

    # --- driving ----------------------------------------------------------------------------------------

    def drive(self) -> None:
        """Start driving the run (idempotent). A runtime is built from the database, so RUNNING
        activities and pending auto-retries it finds were interrupted: they resume now."""
        from opsgraph.executors.pipeline.activities import resume_auto_retry, run_activity

        if self.driver is not None:
            return
        for ref in self.refs.values():
            if ref.node.type != ACTIVITY or ref.id in self.active:
                continue
            if ref.state == states.RUNNING:
                self._spawn(ref, run_activity(self, ref, resumed=True))
            elif ref.state == states.FAILED and ref.config.get("auto_retry_at"):
                self._spawn(ref, resume_auto_retry(self, ref))
        self.recorder.start()
        self.driver = asyncio.create_task(self._drive(), name=f"opsgraph-pipeline-{self.task.id}")

    def _spawn(self, ref: NodeRef, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug must not leave the node RUNNING forever
                log.exception("pipeline task %s node %s failed unexpectedly", self.task.id, ref.id)
                async with self.lock:
                    future = self.stage([self.fail(ref, f"internal error: {type(exc).__name__}: {exc}")])
                await future
            finally:
                self.active.pop(ref.id, None)
                self.stops.pop(ref.id, None)
                self.callbacks.pop(ref.id, None)
                self.wake.set()

        self.active[ref.id] = asyncio.create_task(guarded(), name=f"opsgraph-node-{ref.id}")

    async def _drive(self) -> None:
        settle: asyncio.Future[None] | None = None
        try:
            while True:
                async with self.lock:
                    if self.run.root_state == states.RUNNING:
                        for ref in self._startable():
                            self._spawn(ref, self._execute(ref))
                    if not self.active:
                        settle = self._settle_idle()
                        self.closed = True
                        break
                    self.wake.clear()
                await self.wake.wait()
            if settle is not None:
                await settle
            if self._pending:
                await asyncio.gather(*self._pending, return_exceptions=True)
        finally:
            await self.recorder.stop()
            self.engine.forget(self)

    def _startable(self) -> list[NodeRef]:
        return [
            ref
            for ref in self.refs.values()
            if ref.state == states.READY and ref.id not in self.active and not self.subprocess_suspended(ref)
        ]

    def _settle_idle(self) -> asyncio.Future[None] | None:
        """Nothing runs: say why in the task's canonical status (and tell the callback URL)."""
        root = self.run.root_state
        if root in (states.FINISHED, states.REVOKED, states.CREATED):
            return None
        if root == states.SUSPENDED:
            return self.stage([], task_status=TaskStatus.WAITING)
        failed = [ref for ref in self.refs.values() if ref.state == states.FAILED]
        held = [ref for ref in self.refs.values() if ref.state in (states.SUSPENDED, states.READY)]
        if failed:
            first = failed[0]
            reason = f"node {first.node.label} failed: {first.config.get('ex_data') or 'no reason given'}"
            return self.stage_end([], task_status=TaskStatus.FAILED, error=reason)
        if held:
            return self.stage([], task_status=TaskStatus.WAITING)
        reason = "the run stopped before its end event: no node can run any more"
        return self.stage_end([], task_status=TaskStatus.FAILED, error=reason)

    async def _execute(self, ref: NodeRef) -> None:
        from opsgraph.executors.pipeline.activities import run_activity
        from opsgraph.executors.pipeline.flow_nodes import run_flow_node

        if ref.node.type == ACTIVITY:
            await run_activity(self, ref, resumed=False)
            return
        async with self.lock:
            if ref.state != states.READY or self.run.root_state != states.RUNNING:
                return
            steps = run_flow_node(self, ref)
            ended = self.root_finished()
            future = self.stage_end(steps, root_state=states.FINISHED) if ended else self.stage(steps)
        await future

    # --- transitions (call under the lock; they only touch memory) -------------------------------------

    def start_run(self) -> list[TaskStep]:
        return self.ready(self.refs[self.levels[""].graph.start.id])

    def ready(self, ref: NodeRef) -> list[TaskStep]:
        """A node is reached: READY (or SUSPENDED if a pause was appointed); a re-entry counts a loop."""
        config = ref.config
        touched: list[TaskStep] = []
        if ref.state in (states.READY, states.RUNNING, states.SUSPENDED):
            return []  # already reached by another token: nothing more to do
        loop = int(config.get("loop", 0))
        if ref.state != states.CREATED:
            self.remember(ref)
            loop += 1
            if ref.node.type == SUBPROCESS:
                touched += self._reset_children(ref)
        else:
            loop = max(loop, 0) + 1
        if loop > RERUN_LIMIT:
            self.recorder.touch(ref.step, states.FAILED, loop=loop, ex_data=RERUN_MESSAGE)
            return [*touched, ref.step]
        state = states.SUSPENDED if config.get("pause_before") else states.READY
        self.recorder.touch(
            ref.step,
            state,
            loop=loop,
            retry=0,
            skip=False,
            error_ignored=False,
            ex_data="",
            outputs={},
            schedule={},
            waiting=False,
            auto_retries=0,
            auto_retry_at=None,
        )
        return [*touched, ref.step]

    def remember(self, ref: NodeRef) -> None:
        """Keep the node's last execution in its histories (retries and loops)."""
        config = ref.config
        step = ref.step
        if step.started_at is None:
            return
        finished = step.finished_at
        entry = {
            "start_time": step.started_at.isoformat(),
            "finish_time": finished.isoformat() if finished else None,
            "elapsed_time": int((finished - step.started_at).total_seconds()) if finished else 0,
            "state": config.get("state"),
            "skip": bool(config.get("skip")),
            "retry": config.get("retry", 0),
            "loop": config.get("loop", 1),
            "version": config.get("version", ""),
            "inputs": config.get("inputs") or {},
            "outputs": config.get("outputs") or {},
            "ex_data": config.get("ex_data") or "",
        }
        config["histories"] = [*(config.get("histories") or []), entry][-MAX_HISTORIES:]

    def _reset_children(self, subprocess: NodeRef) -> list[TaskStep]:
        touched = []
        for ref in self.refs.values():
            if self._inside(ref, subprocess.id) and ref.state != states.CREATED:
                self.remember(ref)
                self.recorder.touch(ref.step, states.CREATED, outputs={}, ex_data="", arrivals=None)
                touched.append(ref.step)
        return touched

    def _inside(self, ref: NodeRef, subprocess_id: str) -> bool:
        parent = ref.level.parent
        while parent:
            if parent == subprocess_id:
                return True
            parent = self.refs[parent].level.parent
        return False

    def fail(self, ref: NodeRef, message: str, *, outputs: dict[str, Any] | None = None, **changes: Any) -> TaskStep:
        produced = outputs if outputs is not None else (ref.config.get("outputs") or {})
        merged = {**produced, "_result": False, "_loop": ref.config.get("loop", 1)}
        return self.recorder.touch(ref.step, states.FAILED, ex_data=message[:4000], outputs=merged, **changes)

    def running(self, ref: NodeRef, **changes: Any) -> TaskStep:
        return self.recorder.touch(ref.step, states.RUNNING, version=uuid.uuid4().hex, **changes)

    def advance(self, ref: NodeRef, flow_ids: list[str]) -> list[TaskStep]:
        """The node finished and the flow takes `flow_ids`: their targets are reached."""
        touched: list[TaskStep] = []
        graph = ref.level.graph
        for flow_id in flow_ids:
            target = self.refs[graph.flows[flow_id].target]
            touched += self._arrive(target) if target.node.type == CONVERGE else self.ready(target)
        return touched

    def _arrive(self, converge: NodeRef) -> list[TaskStep]:
        waiting = converge.config.get("arrivals")
        if isinstance(waiting, dict) and int(waiting.get("expected", 0)) > 0:
            waiting["arrived"] = int(waiting.get("arrived", 0)) + 1
            if waiting["arrived"] < int(waiting["expected"]):
                self.recorder.touch(converge.step)
                return [converge.step]
            converge.config["arrivals"] = None
        return self.ready(converge)  # every branch is in (or an exclusive gateway's converge: pass on)

    def fork(self, gateway: NodeRef, flow_ids: list[str]) -> list[TaskStep]:
        converge = self.refs[gateway.level.converge[gateway.id]]
        converge.config["arrivals"] = {"expected": len(flow_ids), "arrived": 0}
        self.recorder.touch(converge.step)
        return [converge.step, *self.advance(gateway, flow_ids)]

    def root_finished(self) -> bool:
        return self.refs[self.levels[""].graph.end.id].state == states.FINISHED
