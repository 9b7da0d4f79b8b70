"""Listeners told that a task has ended, after its final status is committed (e.g. OpenC3's
notifications to a tree's subscribers). A listener's failure is logged, never the run's: what a
listener sends must be recoverable from the stored state (each keeps its own outbox or sweep).

Example:
    @register_task_end_listener
    async def tell_someone(task_id: int) -> None: ...
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("opsgraph.task_end")

TaskEndListener = Callable[[int], Awaitable[None]]
_LISTENERS: list[TaskEndListener] = []


def register_task_end_listener(listener: TaskEndListener) -> TaskEndListener:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


async def announce_task_end(task_id: int) -> None:
    for listener in list(_LISTENERS):
        try:
            await listener(task_id)
        except Exception:
            log.exception("task %s: the end listener %s failed", task_id, getattr(listener, "__name__", listener))
