"""Telling an OpenC3 approval step's approvers, through the messaging channels, that it waits for
them: each gets a mail with their own approval uuid, which decides it without a login
(`POST /api/job/approval/control`). The mail goes through the messaging outbox (retried, kept
across restarts); an approver the mail channel cannot reach is recorded as such, not an error.

It runs as a host-less step placed right before the approval step (executors/approval_notice.py),
so the uuid names that step, whose ticket opens next.
"""

from __future__ import annotations

from opsgraph.core.settings import Settings
from opsgraph.models.service_tree import TreeTask
from opsgraph.models.tasks import Task, TaskStep
from opsgraph.resolvers.messaging.send import send_message
from opsgraph.resolvers.service_tree.approval_links import LIFETIME, issue

NOTICE_KIND = "approval_notice"


async def notify_approvers(task_id: int, notice_step_id: int, settings: Settings) -> str:
    """Queue one mail per approver; returns a summary for the step's log."""
    notice = await TaskStep.get(id=notice_step_id)
    approval = await TaskStep.get_or_none(task_id=task_id, position=notice.position + 1, kind="approval")
    task = await Task.get(id=task_id)
    record = await TreeTask.get_or_none(task_id=task_id)
    if approval is None:
        return "no approval step follows"
    approvers = [str(a) for a in approval.config.get("approvers") or []]
    accepted = 0
    # Counted from when this notice ran, so `GET /approval` later shows the very uuid mailed now.
    base = notice.started_at.timestamp() if notice.started_at else None
    for approver in approvers:
        uuid = issue(settings.secret_key, step_id=approval.id, approver=approver, now=base)
        content = (
            f"{task.name} waits for your approval: {approval.config.get('message', '')}\n\n"
            f"Task {record.uuid if record else task.id}, step {approval.name!r}, started by {task.creator}.\n"
            f"Approve or refuse without logging in, within {LIFETIME // 3600} hours:\n"
            f'  POST /api/job/approval/control {{"uuid": "{uuid}", "opinion": "agree"}}  (or "refuse")\n'
            f"uuid: {uuid}\n"
        )
        outcomes = await send_message(
            channel="mail",
            receivers=[approver],
            title=f"Approval needed: {task.name} / {approval.name}"[:200],
            content=content,
            business_id=task.business_id,
            origin="openc3.approval",
            body_format="text",
            requested_by=task.creator,
        )
        accepted += sum(1 for outcome in outcomes if outcome.ok)
    return f"{accepted} of {len(approvers)} approvers notified"
