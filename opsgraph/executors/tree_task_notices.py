"""When an OpenC3 task ends, its tree node's notify subscribers hear about it
(resolvers/service_tree/task_notice.py, imported where used: resolvers sit above executors).
Registered wherever tasks run: the server and every `opsgraph worker`."""

from __future__ import annotations

import logging
from datetime import timedelta

from opsgraph.executors.task_end import register_task_end_listener

log = logging.getLogger("opsgraph.openc3.notify")


@register_task_end_listener
async def notify_tree_subscribers(task_id: int) -> None:
    from opsgraph.resolvers.service_tree.task_notice import notify_task_end

    await notify_task_end(task_id)


async def sweep_missed_tree_notices(window: timedelta | None = None, older_than: float = 0.0) -> int:
    """The end notices a stopped process did not send (at start-up; and in the distributed
    deployment from the task supervisor, for tasks ended at least `older_than` seconds ago, whose
    worker has had its chance). Never raises: notices must not hold a start-up or a pass."""
    from opsgraph.resolvers.service_tree.task_notice import SWEEP_WINDOW, sweep_missed_notices

    try:
        return await sweep_missed_notices(window or SWEEP_WINDOW, older_than=older_than)
    except Exception:
        log.exception("the sweep of missed OpenC3 task notices failed")
        return 0
