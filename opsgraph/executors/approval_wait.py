"""A job template's approval step: the run opens an ITSM approval ticket and waits for it.

- The ticket id is stored in the step's config in the same transaction that creates the ticket,
  so a restart waits on the same ticket instead of opening another (recovery queues WAITING tasks
  again; `run` comes back here and finds the ticket).
- The decision wakes the run through the queue's `confirm` (the "JOB_STEP" approval listener);
  the run reads the decision from the database, so one taken while no runner waited is not lost.
- Approved: the step succeeds and the job carries on. Refused, terminated or withdrawn: the step
  fails with the ticket's reason ("refused by bob: not on a Friday"). Cancelling the task while it
  waits terminates the ticket.
- A server stopping while the run waits leaves it WAITING (not cancelled): it resumes on start-up.
- A retry of a job whose approval was refused opens a new ticket (the old one was acknowledged).
- `everyone` in the step's config: each approver must approve (the first refusal decides).
- `timeout` in the step's config (seconds, OpenC3's default 86400): the deadline is stored with the
  ticket id (`deadline`, epoch seconds), so a restart keeps the first one. An approval still open at
  its deadline is terminated and the step fails ("approval timed out after N s"), as upstream's
  plugin_approval ends `fail` on timeout.
- `verdict` in the step's config records why it failed, `refuse` or `timeout` (OpenC3 shows a
  refused approval subtask as `refuse`), written before the step's status.

Resolvers sit above executors, so the ticket actions are imported where they are used.
"""

from __future__ import annotations

import asyncio
import logging
import time

from tortoise.transactions import in_transaction

from opsgraph.executors.queue import task_queue
from opsgraph.executors.recorder import TaskRecorder
from opsgraph.models.tasks import Task, TaskStatus, TaskStep
from opsgraph.models.tickets import Ticket

log = logging.getLogger("opsgraph.approvals")
ORIGIN = "JOB_STEP"
RECHECK_SECONDS = 5.0  # a wake-up lost on the way (another process decided) delays the run this much, at most
REFUSE, TIMEOUT = "refuse", "timeout"


async def _wake_waiting_run(decision: object) -> None:
    """The JOB_STEP listener: the waiting run (if it runs in this process) reads the decision."""
    task_id = int(getattr(decision, "origin_task_id", 0))
    if task_id:
        try:
            await task_queue().confirm(task_id)
        except RuntimeError:  # no queue (e.g. a CLI process): the run reads it when it resumes
            log.info("approval of task %s decided while no queue runs here", task_id)


def register_job_approvals() -> None:
    from opsgraph.resolvers.tickets.approvals import register_approval_listener

    register_approval_listener(ORIGIN, _wake_waiting_run)


async def _ticket_for(task: Task, step: TaskStep) -> int:
    """The step's open ticket, or a new one (first run, or a retry after a decision), stored with
    its deadline."""
    from opsgraph.resolvers.tickets.approvals import open_approval_ticket

    known = step.config.get("ticket_id")
    if known:
        ticket = await Ticket.get_or_none(id=known)
        if ticket is not None and not ticket.decision_acknowledged:
            return int(known)
    async with in_transaction():
        ticket_id = await open_approval_ticket(
            business_id=int(task.business_id or 0),
            title=f"{task.name}: {step.name}"[:120],
            approvers=[str(a) for a in step.config.get("approvers") or []],
            requester=task.creator,
            origin_kind=ORIGIN,
            origin_task_id=task.id,
            origin_ref=str(step.id),
            comment=str(step.config.get("message") or ""),
            everyone=bool(step.config.get("everyone")),
        )
        timeout = int(step.config.get("timeout") or 0)
        deadline = {"deadline": time.time() + timeout} if timeout > 0 else {}
        step.config = {**{k: v for k, v in step.config.items() if k != "verdict"}, "ticket_id": ticket_id, **deadline}
        await TaskStep.filter(id=step.id).update(config=step.config)
    return ticket_id


async def wait_for_approval(
    task: Task, step: TaskStep, recorder: TaskRecorder, cancel: asyncio.Event, confirm: asyncio.Event
) -> tuple[TaskStatus, str]:
    from opsgraph.resolvers.tickets.approvals import acknowledge_decision, close_approval_ticket
    from opsgraph.resolvers.tickets.decisions import decision_of

    if step.status == TaskStatus.WAITING and step.config.get("verdict") == TIMEOUT:
        # Resumed after a crash between the timeout's verdict and the step's outcome: its ticket is
        # closed (again, if the crash came before), never replaced by a new one.
        if step.config.get("ticket_id"):
            await close_approval_ticket(int(step.config["ticket_id"]), _timed_out(step))
        await recorder.task_status(TaskStatus.RUNNING)
        return await _failed(step, recorder, TIMEOUT, _timed_out(step))
    ticket_id = await _ticket_for(task, step)
    await recorder.step_status(step, TaskStatus.WAITING)
    await recorder.task_status(TaskStatus.WAITING)
    deadline = step.config.get("deadline")
    while True:
        ticket = await Ticket.get(id=ticket_id)
        if ticket.decided_at is not None:
            break
        left = float(deadline) - time.time() if deadline is not None else RECHECK_SECONDS
        if left <= 0:
            reason = _timed_out(step)
            await _store_verdict(step, TIMEOUT)  # first: a crash after the close resumes as timed out
            await close_approval_ticket(ticket_id, reason)
            ticket = await Ticket.get(id=ticket_id)
            if ticket.end_reason != reason:
                break  # decided just before the deadline: that decision stands
            await recorder.task_status(TaskStatus.RUNNING)
            return await _failed(step, recorder, TIMEOUT, reason)
        waiters = [asyncio.ensure_future(cancel.wait()), asyncio.ensure_future(confirm.wait())]
        await asyncio.wait(waiters, timeout=min(left, RECHECK_SECONDS), return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        if cancel.is_set():
            if not await Task.filter(id=task.id, cancel_requested=True).exists():
                # The server is stopping (the queue drains), nobody cancelled the job: it stays
                # WAITING, with its ticket, and start-up queues it again.
                raise asyncio.CancelledError
            await close_approval_ticket(ticket_id, "the job was cancelled while waiting for this approval")
            await recorder.step_status(step, TaskStatus.CANCELLED)
            return TaskStatus.CANCELLED, ""
        confirm.clear()
    decision = decision_of(ticket)
    await recorder.task_status(TaskStatus.RUNNING)
    if not decision.approved:
        outcome = await _failed(step, recorder, REFUSE, decision.reason)
    else:
        await _store_verdict(step, None)
        await recorder.step_status(step, TaskStatus.SUCCESS)
        outcome = TaskStatus.SUCCESS, ""
    await acknowledge_decision(ticket_id)  # after the step's outcome is stored: a crash between replays it
    return outcome


def _timed_out(step: TaskStep) -> str:
    return f"approval timed out after {int(step.config.get('timeout') or 0)} s"


async def _store_verdict(step: TaskStep, verdict: str | None) -> None:
    config = {k: v for k, v in step.config.items() if k != "verdict"}
    step.config = {**config, "verdict": verdict} if verdict else config
    await TaskStep.filter(id=step.id).update(config=step.config)


async def _failed(step: TaskStep, recorder: TaskRecorder, verdict: str, reason: str) -> tuple[TaskStatus, str]:
    """The step fails, its verdict stored first (what OpenC3 shows the subtask as)."""
    await _store_verdict(step, verdict)
    await recorder.step_status(step, TaskStatus.FAILED)
    return TaskStatus.FAILED, reason


async def close_open_tickets(task_id: int, reason: str) -> None:
    """Terminate the approval tickets of a task's steps that will never run (a cancelled task)."""
    from opsgraph.resolvers.tickets.approvals import close_approval_ticket

    for row in await Ticket.filter(origin_kind=ORIGIN, origin_task_id=task_id, decided_at__isnull=True).values("id"):
        await close_approval_ticket(int(row["id"]), reason)
