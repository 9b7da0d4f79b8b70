"""The host-less step before an OpenC3 approval step: mail each approver its approval uuid
(resolvers/service_tree/approval_notice.py). A notice that cannot be sent does not hold the run:
the approval still waits for its ticket, which approvers also see with `GET /api/job/approval`."""

from __future__ import annotations

import logging

from opsgraph.core.errors import OpsGraphError
from opsgraph.executors.steps import HostOutcome, LocalRun, register_local_step
from opsgraph.models.tasks import TaskStatus

log = logging.getLogger("opsgraph.openc3.approvals")
STEP_KIND = "approval_notice"


@register_local_step(STEP_KIND)
async def notify_approvers(run: LocalRun) -> HostOutcome:
    # Resolvers sit above executors: imported where used.
    from opsgraph.resolvers.service_tree.approval_notice import notify_approvers as notify

    try:
        summary = await notify(run.task_id, run.step_id, run.settings)
    except OpsGraphError as exc:
        log.warning("task %s: approvers not notified: %s", run.task_id, exc.message)
        summary = f"approvers not notified: {exc.message}"
    log.info("task %s: %s", run.task_id, summary)
    return HostOutcome(TaskStatus.SUCCESS, error=summary)
