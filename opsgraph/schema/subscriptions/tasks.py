"""`taskEvents(taskId, afterSeq)`: stored events after `afterSeq`, then live ones, until the task ends.

The subscriber joins the bus *before* reading the database, so an event written between the
replay and going live is seen either way; duplicates are dropped by `seq`, and a gap (a slow
subscriber whose queue overflowed) is filled from the database. A client that reconnects with the
last `seq` it saw misses nothing.

Live events may come from another process (a worker, over the Redis relay), which can drop a
message: after `RESYNC_SECONDS` without a live event the subscriber reads the database again, so
a lost last event delays the end of the stream instead of hanging it.

Subscribers attaching together (a dashboard opened by many, a CLI fleet) share their reads of the
task, its stored events and its status (`core.shared_reads`): a read is reused only while the bus has
delivered nothing for the task since it began (and for at most a second), so whatever it lacks is on
its way to the subscriber's live queue — sharing never weakens the guarantee above. A re-read after
silence is shared only with reads begun after the silence.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.types import Info

from opsgraph.core.events import event_bus
from opsgraph.core.shared_reads import SharedReads, mark
from opsgraph.models.tasks import FINISHED_STATUSES, EventKind, Task, TaskEvent, TaskStatus
from opsgraph.resolvers.tasks.control import check_task_access
from opsgraph.schema.inputs import pk
from opsgraph.schema.subscriptions.shared_events import shared_event
from opsgraph.schema.types.tasks import TaskEventType

_REPLAY_BATCH = 1000
RESYNC_SECONDS = 5.0
_ENDING = {str(s) for s in FINISHED_STATUSES if s != TaskStatus.SKIPPED}
_FINISHED = {str(s) for s in FINISHED_STATUSES}


def _event(row: dict[str, Any]) -> TaskEventType:
    return _shared(row["task_id"], row["seq"], str(row["kind"]), row["payload"], row.get("created_at"))


def _shared(task_id: int, seq: int, kind: str, payload: Any, at: Any) -> TaskEventType:
    """The same object for every subscriber of the task (see shared_events, event_executor)."""
    return shared_event(("task", task_id, seq), lambda: TaskEventType(seq=seq, kind=kind, payload=payload, at=at))


def _ends_task(kind: str, payload: dict[str, Any]) -> bool:
    return kind == EventKind.TASK_STATUS and str(payload.get("status")) in _ENDING


async def _next_live(live: asyncio.Queue[dict[str, Any]]) -> dict[str, Any]:
    """The next live event, or TimeoutError after RESYNC_SECONDS of silence. Events come in batches,
    so the next one is often queued already; only an empty queue costs a timer (`wait_for` cost a
    task and a timer per event and subscriber)."""
    try:
        return live.get_nowait()
    except asyncio.QueueEmpty:
        async with asyncio.timeout(RESYNC_SECONDS):
            return await live.get()


_SHARED_FOR = 1.0  # seconds a finished read stays reusable (while nothing is delivered for its task)
_tasks: SharedReads[int, Task | None] = SharedReads(keep_for=_SHARED_FOR)
_replays: SharedReads[tuple[int, int], list[dict[str, Any]]] = SharedReads(keep_for=_SHARED_FOR)
_ends: SharedReads[int, tuple[str, int] | None] = SharedReads(keep_for=_SHARED_FOR)


async def _stored_after(task_id: int, seq: int, since: int = 0) -> list[dict[str, Any]]:
    """Up to _REPLAY_BATCH stored events after `seq`, for a subscriber of the task (shared: read-only)."""

    async def query() -> list[dict[str, Any]]:
        rows = TaskEvent.filter(task_id=task_id, seq__gt=seq).order_by("seq").limit(_REPLAY_BATCH)
        return list(await rows.values())

    return await _replays.read((task_id, seq), query, token=event_bus.generation(task_id), since=since)


async def _status_and_last_seq(task_id: int) -> tuple[str, int] | None:
    async def query() -> tuple[str, int] | None:
        rows = await Task.filter(id=task_id).values_list("status", "last_seq")
        return (str(rows[0][0]), int(rows[0][1])) if rows else None

    return await _ends.read(task_id, query, token=event_bus.generation(task_id))


@strawberry.type
class TaskSubscription:
    @strawberry.subscription(description="Progress of one task: replays events after afterSeq, then live.")
    async def task_events(
        self, info: Info, task_id: strawberry.ID, after_seq: int | None = None
    ) -> AsyncGenerator[TaskEventType, None]:
        task_pk = pk(task_id, "Task")
        # Who may see a task never changes (its business is fixed), so any read under way will do.
        task = await _tasks.read(task_pk, lambda: Task.get_or_none(id=task_pk))
        if task is None:  # a shared "no such task" may predate its creation: ask again
            task = await Task.get_or_none(id=task_pk)
        check_task_access(info.context.caller, task_pk, task)
        last = max(after_seq or 0, 0)
        async with event_bus.subscribe(task_pk) as live:
            while True:
                rows = await _stored_after(task_pk, last)
                for row in rows:
                    yield _event(row)
                    last = row["seq"]
                    if _ends_task(str(row["kind"]), row["payload"]):
                        return
                if len(rows) < _REPLAY_BATCH:
                    break
            state = await _status_and_last_seq(task_pk)
            if state is None or (state[0] in _FINISHED and last >= state[1]):
                return
            while True:
                try:
                    event = await _next_live(live)
                except TimeoutError:
                    # A relay message may have been dropped without changing the generation: only
                    # a read begun after the silence will do.
                    for row in await _stored_after(task_pk, last, since=mark()):
                        yield _event(row)
                        last = row["seq"]
                        if _ends_task(str(row["kind"]), row["payload"]):
                            return
                    continue
                if event["seq"] <= last:
                    continue
                if event["seq"] > last + 1:
                    # The missing events were stored before this one was delivered, which changed
                    # the generation: a read shared now began after that, and has them.
                    for row in await _stored_after(task_pk, last):
                        if row["seq"] >= event["seq"]:
                            break
                        yield _event(row)
                        last = row["seq"]
                yield _shared(task_pk, event["seq"], event["kind"], event["payload"], event.get("at"))
                last = event["seq"]
                if _ends_task(event["kind"], event["payload"]):
                    return
