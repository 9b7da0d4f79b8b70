"""When an OpenC3 task ends, its tree node's notify subscribers hear about it
(resolvers/service_tree/task_notice.py, imported where used: resolvers sit above executors).
Registered wherever tasks run: the server and every `opsgraph worker`."""

from __future__ import annotations

from opsgraph.executors.task_end import register_task_end_listener


@register_task_end_listener
async def notify_tree_subscribers(task_id: int) -> None:
    from opsgraph.resolvers.service_tree.task_notice import notify_task_end

    await notify_task_end(task_id)


async def sweep_missed_tree_notices() -> int:
    """At start-up: the end notices a stopped process did not send."""
    from opsgraph.resolvers.service_tree.task_notice import sweep_missed_notices

    return await sweep_missed_notices()
