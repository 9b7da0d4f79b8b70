"""Holding a run between steps, as OpenC3 does (its code/plugin_cmd and code/pause).

Two settings on a step's config (written by resolvers/service_tree/runs.py for the steps of an
OpenC3 job; ad-hoc `plugin_*` tasks have neither, as upstream):

- `on_failure: "decide"`: when hosts fail, the task goes WAITING and the failed step waits for an
  operator's `decision` (stored in the step's config by the subtask control): `running` re-runs
  the failed hosts (and decides again if they fail again), `ignore` marks the step SKIPPED and the
  run carries on, `fail` ends the task failed. Upstream waits with no time limit, so do we: the
  wait ends with a decision or a kill. `stop_reason` instead fails at once with that reason
  (upstream's `_exit_` variable: "stop by sys._exit_").
- `pause` (non-empty text): once the step has ended, the task goes WAITING until
  `pause_released` is set (`next`). A cmd / scp step holds whatever its end (a failed one too, after
  its decision `fail` or its `_exit_` stop: the task ends failed after `next`), an approval only when
  approved, as upstream's plugin_cmd / plugin_scp / plugin_approval call code/pause. A `next` sent
  while the step still runs releases it in advance, as upstream clears the pause flag whenever it is set.

Decisions and releases are stored first and then wake the run through the queue's `confirm`; the
run reads them from the database (and looks again every `RECHECK_SECONDS`, in case a wake-up was
lost), so one made while no runner waited (a restart) is not lost:
start-up queues WAITING tasks again and the run comes back here. Each hold tells the tree's
subscribers the task waits (resolvers/service_tree/task_notice.py), imported where used since
resolvers sit above executors: each wait once, so a step that fails again after `running` is
announced again (`decision_round`, counted with the retry), as upstream sets the task's notify flag
back each time it waits.
"""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum

from tortoise.transactions import in_transaction

from opsgraph.executors.recorder import TaskRecorder
from opsgraph.models.tasks import Task, TaskHostResult, TaskStatus, TaskStep

log = logging.getLogger("opsgraph.holds")
DECIDE = "decide"
RETRY, IGNORE, FAIL = "running", "ignore", "fail"
DECISIONS = (RETRY, IGNORE, FAIL)
_RETRYABLE_HOSTS = [TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.ABNORMAL]
RECHECK_SECONDS = 5.0  # a wake-up lost on the way (a broker restart) delays a hold by this much, at most


class Held(StrEnum):
    """How a hold ended."""

    RETRY = "retry"
    IGNORED = "ignored"
    FAILED = "failed"
    RELEASED = "released"
    CANCELLED = "cancelled"


def decides(step: TaskStep) -> bool:
    return step.config.get("on_failure") == DECIDE


def stop_reason(step: TaskStep) -> str:
    return str(step.config.get("stop_reason") or "")


def pauses(step: TaskStep) -> bool:
    return bool(step.config.get("pause")) and not step.config.get("pause_released")


async def _announce_waiting(task: Task, step: TaskStep, why: str) -> None:
    from opsgraph.resolvers.service_tree.task_notice import notify_task

    try:
        await notify_task(task.id, "waiting", f"{step.position}{why}")
    except Exception:  # a notice must never hold the run; the sweep at start-up retries
        log.exception("task %s: the waiting notice could not be queued", task.id)


async def _wait(task: Task, step: TaskStep, cancel: asyncio.Event, confirm: asyncio.Event, key: str) -> bool:
    """Until `key` is set in the step's stored config (True) or the task is cancelled (False)."""
    while True:
        stored = await TaskStep.get(id=step.id)
        if stored.config.get(key):
            step.config = stored.config
            return True
        waiters = [asyncio.ensure_future(cancel.wait()), asyncio.ensure_future(confirm.wait())]
        await asyncio.wait(waiters, timeout=RECHECK_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        if cancel.is_set():
            if not await Task.filter(id=task.id, cancel_requested=True).exists():
                # The server is stopping, nobody killed the task: it stays WAITING and start-up
                # queues it again (it comes back to this hold).
                raise asyncio.CancelledError
            return False
        confirm.clear()


async def wait_for_decision(
    task: Task,
    step: TaskStep,
    recorder: TaskRecorder,
    cancel: asyncio.Event,
    confirm: asyncio.Event,
) -> Held:
    """The failed step waits (task WAITING) for running / ignore / fail, then acts on it."""
    await recorder.drain()
    await recorder.task_status(TaskStatus.WAITING)
    if not step.config.get("decision"):
        round_ = int(step.config.get("decision_round") or 0)
        await _announce_waiting(task, step, f"d{round_}" if round_ else "d")
    if not await _wait(task, step, cancel, confirm, "decision"):
        return Held.CANCELLED
    decision = str(step.config["decision"])
    remaining = {k: v for k, v in step.config.items() if k != "decision"}
    await recorder.task_status(TaskStatus.RUNNING)
    if decision == RETRY:
        remaining["decision_round"] = int(step.config.get("decision_round") or 0) + 1
        # One transaction: a crash after it resumes a RUNNING step with PENDING hosts (it re-runs
        # them), never a FAILED step with its decision consumed.
        async with in_transaction():
            await TaskHostResult.filter(step_id=step.id, status__in=_RETRYABLE_HOSTS).update(
                status=TaskStatus.PENDING, failure="", error="", exit_code=None, log="", log_size=0, log_truncated=False
            )
            await TaskStep.filter(id=step.id).update(config=remaining, status=TaskStatus.RUNNING)
        step.config = remaining
        return Held.RETRY
    if decision == IGNORE:
        await recorder.step_status(step, TaskStatus.SKIPPED)
        return Held.IGNORED
    return Held.FAILED


async def wait_for_release(
    task: Task,
    step: TaskStep,
    recorder: TaskRecorder,
    cancel: asyncio.Event,
    confirm: asyncio.Event,
) -> Held:
    """A paused step holds the task WAITING until `next` releases it."""
    await recorder.drain()
    await recorder.task_status(TaskStatus.WAITING)
    await _announce_waiting(task, step, "p")
    if not await _wait(task, step, cancel, confirm, "pause_released"):
        return Held.CANCELLED
    await recorder.task_status(TaskStatus.RUNNING)
    return Held.RELEASED
