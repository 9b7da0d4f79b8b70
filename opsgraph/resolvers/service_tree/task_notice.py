"""Telling a tree node's notify subscribers (`/notify/:treeid`) about its tasks, as OpenC3's
code/notify does: when a task ends `success` or `fail`, and each time it starts to wait (a failed
step waiting for a decision, a paused step). A refused task is not announced (upstream announces
success, fail and waiting only); a cancelled or interrupted one reads `fail` and is.

- Who: every subscriber of the task's node; the subscriber `_` stands for whoever started the task.
- Which channels: the environment switches `is<Calltype><Status><Channel>` (calltype page, api or
  crontab; channel Email → the mail channel, Sms → the sms channel), as upstream.
- What: the environment's `notifyTemplateEmailTitle` / `notifyTemplateEmailContent` /
  `notifyTemplateSmsContent`, upstream's defaults when empty, with `${name}` replaced by the
  task's fields (projectid, uuid, name, user, calltype, status, starttime, finishtime, id,
  projectname); unknown names stay as written. Substitution only, nothing is evaluated.
- How: through the messaging outbox (`send_message`: persisted, then delivered with retries). The
  message's `origin` names the task, the event and the channel, so one event is sent once: a
  repeat (a resumed run, the start-up sweep) finds the message and stops.
- Crash-safety: the task's state is committed before any notice; a process that dies in between
  leaves no message, and `sweep_missed_notices` (run at start-up) sends what is missing.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from opsgraph.core.errors import OpsGraphError
from opsgraph.models.messaging import Message
from opsgraph.models.service_tree import TreeNotifySubscriber, TreeTask
from opsgraph.models.tasks import FINISHED_STATUSES, Task
from opsgraph.resolvers.messaging.send import send_message
from opsgraph.resolvers.service_tree.platform_settings import stored_settings
from opsgraph.resolvers.service_tree.tasks import task_status

log = logging.getLogger("opsgraph.openc3.notify")
ANNOUNCED = ("success", "fail", "waiting")
CHANNELS = (("Email", "mail"), ("Sms", "sms"))
STARTER = "_"
DEFAULT_TEMPLATES = {
    "notifyTemplateEmailTitle": "projectid: ${projectid} job ${status}",
    "notifyTemplateEmailContent": "task ${uuid} :${status}",
    "notifyTemplateSmsContent": "projectid=${projectid} taskuuid=${uuid}: ${status}",
}
SWEEP_WINDOW = timedelta(hours=24)
SWEEP_LIMIT = 500
_PLACEHOLDER = re.compile(r"\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


def render(template: str, facts: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda match: facts.get(match.group(1), match.group(0)), template)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _facts(record: TreeTask, task: Task, status: str) -> dict[str, str]:
    return {
        "id": str(record.id),
        "projectid": str(record.tree_id),
        "projectname": str(record.tree_id),
        "uuid": record.uuid,
        "name": record.name,
        "user": record.user,
        "calltype": record.calltype,
        "status": status,
        "starttime": _when(task.started_at),
        "finishtime": _when(task.finished_at),
    }


async def _receivers(record: TreeTask) -> list[str]:
    users = await TreeNotifySubscriber.filter(tree_id=record.tree_id).order_by("id").values_list("user", flat=True)
    return list(dict.fromkeys(record.user if str(user) == STARTER else str(user) for user in users))


async def notify_task(task_id: int, status: str, event: str = "") -> int:
    """Queue the notices of one event of an OpenC3 task (`event` tells apart the waits of one
    task). Returns how many messages were queued now (0: none due, or already sent)."""
    if status not in ANNOUNCED:
        return 0
    record = await TreeTask.get_or_none(task_id=task_id)
    task = await Task.get_or_none(id=task_id)
    if record is None or task is None:
        return 0
    receivers = await _receivers(record)
    if not receivers:
        return 0
    environment = await stored_settings("environment")
    facts = _facts(record, task, status)
    switch = f"is{record.calltype.capitalize()}{status.capitalize()}"
    queued = 0
    for suffix, channel in CHANNELS:
        if environment.get(f"{switch}{suffix}") is not True:
            continue
        origin = f"openc3.task:{record.uuid}:{status}{':' + event if event else ''}:{channel}"[:64]
        if await Message.exists(origin=origin):
            continue

        def template(key: str) -> str:
            return render(str(environment.get(key) or DEFAULT_TEMPLATES[key]), facts)

        title = template("notifyTemplateEmailTitle").split("\n")[0] if channel == "mail" else ""
        content = template("notifyTemplateEmailContent" if channel == "mail" else "notifyTemplateSmsContent")
        try:
            await send_message(
                channel=channel,
                receivers=receivers,
                title=title[:200],
                content=content,
                business_id=record.business_id,
                origin=origin,
                body_format="text",
                requested_by=record.user,
            )
        except OpsGraphError as exc:  # e.g. a template rendered empty: recorded here, the run goes on
            log.warning("task %s: %s notice not queued: %s", record.uuid, channel, exc.message)
            continue
        queued += 1
    return queued


async def notify_task_end(task_id: int) -> int:
    """The notices of an ended task (success or fail)."""
    task = await Task.get_or_none(id=task_id)
    if task is None or task.status not in FINISHED_STATUSES:
        return 0
    return await notify_task(task_id, task_status(task.status, task.error))


async def sweep_missed_notices(window: timedelta = SWEEP_WINDOW, *, older_than: float = 0.0) -> int:
    """Send the end notices a stopped process did not (tasks of subscribed nodes that ended within
    `window`, at least `older_than` seconds ago); each is sent once, so running this again sends
    nothing twice."""
    trees = await TreeNotifySubscriber.all().distinct().values_list("tree_id", flat=True)
    if not trees:
        return 0
    now = datetime.now(tz=UTC)
    rows: list[Any] = await (
        TreeTask.filter(
            tree_id__in=list(trees),
            task__finished_at__gte=now - window,
            task__finished_at__lte=now - timedelta(seconds=older_than),
            task_id__isnull=False,
        )
        .order_by("-id")
        .limit(SWEEP_LIMIT)
        .values_list("task_id", flat=True)
    )
    sent = 0
    for task_id in rows:
        sent += await notify_task_end(int(task_id))
    return sent
