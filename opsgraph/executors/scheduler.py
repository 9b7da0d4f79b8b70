"""Cron: every `interval` seconds, launch the job templates whose schedule is due.

Claiming a run is a conditional update (`next_run_at` still equals what we read), so two server
processes never start the same run twice. A run is launched as the cron's creator, with that
user's current roles: a creator who lost access gets no run (logged), not an escalation.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from croniter import croniter

from opsgraph.core.errors import OpsGraphError
from opsgraph.executors.leases import run_exclusively
from opsgraph.executors.pipeline.periodic import launch_due_periodic_tasks
from opsgraph.models.identity import User
from opsgraph.models.jobs import Cron

log = logging.getLogger("opsgraph.scheduler")


def next_run(expression: str, after: datetime) -> datetime:
    value: datetime = croniter(expression, after).get_next(datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def launch_due_crons(now: datetime | None = None) -> list[int]:
    """Returns the ids of the tasks started."""
    from opsgraph.resolvers.identity import principal_for_user
    from opsgraph.resolvers.tasks.plans import run_job

    moment = now or datetime.now(tz=UTC)
    started: list[int] = []
    for cron in await Cron.filter(enabled=True, next_run_at__lte=moment).order_by("next_run_at"):
        following = next_run(cron.expression, moment)
        claimed = await Cron.filter(id=cron.id, next_run_at=cron.next_run_at).update(
            next_run_at=following, last_run_at=moment
        )
        if not claimed:
            continue
        user = await User.get_or_none(username=cron.created_by, is_active=True)
        if user is None:
            log.warning("cron %s skipped: its creator %r no longer exists", cron.id, cron.created_by)
            continue
        try:
            task = await run_job(
                await principal_for_user(user),
                cron.template_id,
                targets=None,
                variables=dict(cron.variables),
                start_way=3,
            )
        except OpsGraphError as exc:
            log.warning("cron %s could not start its job: %s", cron.id, exc.message)
            continue
        started.append(task.id)
    return started


async def scheduler_pass(interval: float) -> None:
    try:
        await launch_due_crons()
    except Exception:
        log.exception("cron scheduler pass failed; trying again in %s s", interval)
    try:
        await launch_due_periodic_tasks()  # sops periodic tasks (executors/pipeline/periodic.py)
    except Exception:
        log.exception("periodic task pass failed; trying again in %s s", interval)


async def run_scheduler(interval: float = 5.0) -> None:
    """Every `interval` s; with several servers, only in the one holding the `scheduler` lease
    (executors/leases.py): each due run is claimed once anyway, the others just skip the pass."""
    await run_exclusively("scheduler", interval, lambda: scheduler_pass(interval))
