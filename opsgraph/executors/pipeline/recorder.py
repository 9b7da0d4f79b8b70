"""Persist a pipeline's node and root states, then announce them on the task's event stream.

A node's engine state lives in its TaskStep (`status` canonical, `config` the bk-sops details).
Changes that belong together — a node finishing and its successors becoming READY, a gateway and
its branches — are committed in ONE transaction with their events, so a crash leaves either the
whole step of the flow or none of it, and a restart resumes from a consistent picture.

The transaction that ends a run also marks its task-end callback as owed (callback_status "").

Events are the task's usual ones: STEP_STATUS per node (payload adds nodeId, state, loop, retry,
skip) and TASK_STATUS for the root (payload adds the bk-sops root `state`).
"""

from __future__ import annotations

from typing import Any

from opsgraph.executors.pipeline import states
from opsgraph.executors.recorder import TaskRecorder, now
from opsgraph.models.pipelines import PipelineRun
from opsgraph.models.tasks import EventKind, Task, TaskStatus, TaskStep

_ROOT_STATUS = {
    states.CREATED: TaskStatus.PENDING,
    states.RUNNING: TaskStatus.RUNNING,
    states.SUSPENDED: TaskStatus.WAITING,
    states.FINISHED: TaskStatus.SUCCESS,
    states.REVOKED: TaskStatus.CANCELLED,
}
_ENDED = frozenset({TaskStatus.SUCCESS, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.ABNORMAL})


def node_payload(step: TaskStep) -> dict[str, Any]:
    config = step.config
    return {
        "stepId": step.id,
        "position": step.position,
        "status": str(step.status),
        "nodeId": config.get("node_id"),
        "parentId": config.get("parent") or None,
        "state": config.get("state"),
        "loop": config.get("loop", 0),
        "retry": config.get("retry", 0),
        "skip": bool(config.get("skip")),
    }


class PipelineRecorder(TaskRecorder):
    def __init__(self, task: Task, run: PipelineRun, bus: Any, *, max_log_bytes: int = 1 << 20) -> None:
        super().__init__(task, bus, max_log_bytes=max_log_bytes)
        self.run = run
        self._owes_callback = False

    def touch(self, step: TaskStep, state: str | None = None, **changes: Any) -> TaskStep:
        """Change a node in memory (commit with `commit`): its state, times and canonical status."""
        config = step.config
        if state is not None and state != config.get("state"):
            config["state"] = state
            if state == states.RUNNING:
                step.started_at = now()
                step.finished_at = None
            elif state in states.ARCHIVED:
                step.finished_at = now()
        config.update(changes)
        step.status = states.node_status(
            str(config.get("state")), skipped=bool(config.get("skip")), waiting=bool(config.get("waiting"))
        )
        return step

    async def commit(
        self,
        steps: list[TaskStep],
        *,
        root_state: str | None = None,
        task_status: TaskStatus | None = None,
        error: str | None = None,
    ) -> None:
        """Write the touched nodes and (optionally) the root in one transaction, then announce them."""
        rows: list[tuple[EventKind, dict[str, Any]]] = [(EventKind.STEP_STATUS, node_payload(s)) for s in steps]
        root_changed = self._apply_root(root_state, task_status, error)
        if root_changed:
            payload = {"status": str(self.task.status), "error": self.task.error, "state": self.run.root_state}
            rows.append((EventKind.TASK_STATUS, payload))
        if not rows:
            return
        chosen = list(steps)
        task, run = self.task, self.run
        callback = ["callback_status", "callback_attempts", "callback_error"] if self._owes_callback else []
        self._owes_callback = False

        async def apply() -> None:
            for step in chosen:
                await step.save(update_fields=["status", "config", "started_at", "finished_at"])
            if root_changed:
                await task.save(update_fields=["status", "started_at", "finished_at", "error", *callback])
                await run.save(update_fields=["root_state", "is_started", "is_finished"])

        await self._write(rows, apply)

    def _apply_root(self, root_state: str | None, task_status: TaskStatus | None, error: str | None) -> bool:
        task, run = self.task, self.run
        before = (run.root_state, task.status, task.error)
        if root_state is not None:
            run.root_state = root_state
            run.is_started = run.is_started or root_state != states.CREATED
            run.is_finished = root_state in (states.FINISHED, states.REVOKED)
        status = task_status or (_ROOT_STATUS.get(root_state) if root_state is not None else None)
        if status is not None:
            task.status = status
            if status == TaskStatus.RUNNING:
                task.started_at = task.started_at or now()
                task.finished_at = None
                task.error = ""
            elif status in _ENDED and before[1] not in _ENDED:
                # A new ending: its time (the callback's delivery id) and, written with it, the
                # callback it owes — the outbox row is the task row (executors/callbacks.py).
                task.finished_at = now()
                if task.callback_url:
                    task.callback_status, task.callback_attempts, task.callback_error = "", 0, ""
                    self._owes_callback = True
        if error is not None:
            task.error = error[:1024]
        return (run.root_state, task.status, task.error) != before
