"""Periodic tasks firing: every scheduler pass creates and starts a run for each one that is due.

As for job crons (executors/scheduler.py): a run is claimed with a conditional update on
`next_run_at`, so two passes (or two processes) never start the same run twice, and it runs as the
periodic task's creator with that user's current roles. `total_run_count` and `last_run_at` count
the runs started.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from tortoise.expressions import F

from opsgraph.core.errors import OpsGraphError
from opsgraph.models.identity import User
from opsgraph.models.pipelines import PeriodicTask

log = logging.getLogger("opsgraph.scheduler")


async def launch_due_periodic_tasks(now: datetime | None = None) -> list[int]:
    """Returns the ids of the pipeline tasks started."""
    from opsgraph.resolvers.identity import principal_for_user
    from opsgraph.resolvers.pipelines.periodic import next_run
    from opsgraph.resolvers.pipelines.runs import RunRequest, create_run, start_run

    moment = now or datetime.now(tz=UTC)
    started: list[int] = []
    for periodic in await PeriodicTask.filter(enabled=True, next_run_at__lte=moment).order_by("next_run_at"):
        claimed = await PeriodicTask.filter(id=periodic.id, next_run_at=periodic.next_run_at).update(
            next_run_at=next_run(periodic.expression, moment),
            last_run_at=moment,
            total_run_count=F("total_run_count") + 1,
        )
        if not claimed:
            continue
        user = await User.get_or_none(username=periodic.created_by, is_active=True)
        if user is None:
            log.warning("periodic task %s skipped: its creator %r no longer exists", periodic.id, periodic.created_by)
            continue
        try:
            principal = await principal_for_user(user)
            request = RunRequest(
                business_id=periodic.business_id,
                template_id=periodic.template_id,
                template_source="common" if await _is_common(periodic) else "business",
                name=periodic.name,
                create_method="periodic",
                periodic_task_id=periodic.id,
                tree=dict(periodic.tree),
            )
            task = await create_run(principal, request)
            await start_run(principal, task.id)
        except OpsGraphError as exc:
            log.warning("periodic task %s could not start its run: %s", periodic.id, exc.message)
            continue
        started.append(task.id)
    return started


async def _is_common(periodic: PeriodicTask) -> bool:
    from opsgraph.models.pipelines import PipelineTemplate

    return await PipelineTemplate.filter(id=periodic.template_id, is_common=True).exists()
