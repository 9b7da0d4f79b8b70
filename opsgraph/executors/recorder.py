"""Persist every state change, then announce it.

One `TaskRecorder` per running task allocates the per-task event numbers (`seq`) and hands each
change to ONE writer task, which commits whatever has queued up in a single transaction and only
then publishes the events. Host-level changes (status, phase, log lines) do not wait for their
commit, so a host frees its concurrency slot at once instead of queueing for SQLite's single
connection four times; task and step changes wait, and `drain()` waits for everything queued.
Log lines are buffered per host and flushed every `flush_interval` or `flush_lines`.

In the distributed deployment several processes write one task's events (its owner, and the
workers running its shards, executors/sharding): the writer then takes the numbers from the task
row inside its transaction (`last_seq = last_seq + n`), so they are unique, and since that row stays
locked until the commit, numbers are committed in order. A subscriber that sees a later number
first fills the gap from the database (schema/subscriptions/tasks.py).

Host rows are written as data, not one UPDATE each: a batch's host changes are merged per row (its
latest state, the union of the fields changed) and saved with one `executemany` per set of fields
(recorder_rows.py; events are inserted the same way). With 100 hosts in flight a batch held ~100
single-row UPDATEs, each a round trip to SQLite's one connection while the transaction holds it (and
hosts wait for that connection for their host key and process records on their way to running);
`bulk_update` then cost most of the recorder's CPU, rendering its CASE expressions on every batch.

With a `fence` (the lease the run holds, executors/fencing.py) each batch commits only if that
lease is still ours at the epoch the run took it with, checked at the end of the batch's own
transaction. Once the fence is broken every queued and later change is dropped: a waiter gets
`OwnerLost`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import F
from tortoise.models import Model

from opsgraph.core.events import EventBus
from opsgraph.executors.fencing import Fence, OwnerLost, fenced
from opsgraph.executors.leases import leases_enabled
from opsgraph.executors.recorder_rows import EventRow, insert_rows, update_rows
from opsgraph.models.tasks import EventKind, Task, TaskEvent, TaskHostResult, TaskStatus, TaskStep

log = logging.getLogger("opsgraph.recorder")
Apply = Callable[[], Awaitable[None]]


def now() -> datetime:
    return datetime.now(tz=UTC)


# The host-row fields each kind of change writes.
_STATUS_FIELDS = ("status", "exit_code", "failure", "error", "started_at", "finished_at")
_PHASE_FIELDS = ("phase",)
_LOG_FIELDS = ("log", "log_size", "log_truncated")
_EVENT_FIELDS = ("task_id", "seq", "kind", "payload", "created_at")


_Insert = tuple[type[Model], tuple[str, ...], Any]  # (model, fields, an object with an attribute per field)


@dataclass
class _Write:
    events: list[EventRow]
    apply: Apply | None
    done: asyncio.Future[None]
    results: tuple[tuple[TaskHostResult, tuple[str, ...]], ...] = ()  # host rows to save, which fields
    inserts: tuple[_Insert, ...] = ()  # other rows to insert in the same transaction (a host's process record)


@dataclass
class _LogBuffer:
    lines: list[tuple[str, str]] = field(default_factory=list)  # (stream, line)
    size: int = 0


class TaskRecorder:
    def __init__(
        self,
        task: Task,
        bus: EventBus,
        *,
        max_log_bytes: int,
        flush_interval: float = 0.2,
        flush_lines: int = 500,
        shared_seq: bool | None = None,
        fence: Fence | None = None,
    ) -> None:
        self.task = task
        self.fence = fence
        # Numbers from the database (several writers per task) in the distributed deployment only.
        self.shared_seq = leases_enabled() if shared_seq is None else shared_seq
        self.bus = bus
        self.max_log_bytes = max_log_bytes
        self.flush_interval = flush_interval
        self.flush_lines = flush_lines
        self._seq = task.last_seq
        self._lock = asyncio.Lock()
        self._logs: dict[int, _LogBuffer] = {}
        self._results: dict[int, TaskHostResult] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._queue: list[_Write] = []
        self._queued = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None

    # -- events ---------------------------------------------------------------------------------------------

    async def _write(
        self,
        rows: list[tuple[EventKind, dict[str, Any]]],
        apply: Apply | None = None,
        *,
        wait: bool = True,
        results: tuple[tuple[TaskHostResult, tuple[str, ...]], ...] = (),
        inserts: tuple[_Insert, ...] = (),
    ) -> asyncio.Future[None]:
        """Queue row updates and their events for the writer; with `wait`, return once committed.
        Returns the change's commit, which a caller that did not wait may await later."""
        if self.fence is not None and self.fence.lost.is_set():
            if wait:
                raise OwnerLost(self.fence.name)
            return _failed(OwnerLost(self.fence.name))  # the run lost its lease: nothing more is written
        stamp = now()
        first = 0 if self.shared_seq else self._seq + 1  # shared: numbered by the writer, in its transaction
        if not self.shared_seq:
            self._seq += len(rows)
        events = [EventRow(self.task.id, first + i, kind, payload, stamp) for i, (kind, payload) in enumerate(rows)]
        write = _Write(events, apply, asyncio.get_running_loop().create_future(), results, inserts)
        write.done.add_done_callback(_log_failure)
        self._queue.append(write)
        self._queued.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name=f"opsgraph-recorder-{self.task.id}")
        if wait:
            await asyncio.shield(write.done)
        return write.done

    async def _write_batches(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            self._queued.clear()
            try:
                async with fenced(self.fence):
                    for write in batch:
                        if write.apply is not None:
                            await write.apply()
                    await _save_results([change for write in batch for change in write.results])
                    await _insert_all([row for write in batch for row in write.inserts])
                    events = [e for w in batch for e in w.events]
                    if events and self.shared_seq:
                        await _number(self.task.id, events)  # last: the task row stays locked until the commit
                    await insert_rows(TaskEvent, _EVENT_FIELDS, events)
                    if events and not self.shared_seq:
                        await Task.filter(id=self.task.id).update(last_seq=events[-1].seq)
            except OwnerLost as lost:  # dropped, and so is whatever is queued behind it
                batch, self._queue = batch + self._queue, []
                for write in batch:
                    write.done.set_exception(lost)
                continue
            except Exception as exc:  # handed to every waiter (logged when nobody waits)
                for write in batch:
                    write.done.set_exception(exc)
                continue
            for write in batch:
                for event in write.events:
                    self.bus.publish(
                        self.task.id,
                        {"seq": event.seq, "kind": str(event.kind), "payload": event.payload, "at": event.created_at},
                    )
                write.done.set_result(None)

    async def drain(self) -> None:
        """Wait until every queued change is committed (e.g. before reading statuses back)."""
        while self._queue or (self._writer is not None and not self._writer.done()):
            if self._writer is not None:
                await asyncio.shield(self._writer)

    async def task_status(self, status: TaskStatus, *, error: str = "") -> None:
        task = self.task
        task.status = status
        if status == TaskStatus.RUNNING:
            task.started_at = task.started_at or now()
            task.finished_at = None
        if status in {TaskStatus.SUCCESS, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.ABNORMAL}:
            task.finished_at = now()
        if error:
            task.error = error[:1024]

        async def apply() -> None:
            await task.save(update_fields=["status", "started_at", "finished_at", "error"])

        await self._write([(EventKind.TASK_STATUS, {"status": str(status), "error": task.error})], apply)

    async def step_status(self, step: TaskStep, status: TaskStatus) -> None:
        step.status = status
        if status == TaskStatus.RUNNING:
            step.started_at = now()
            step.finished_at = None
        elif status != TaskStatus.PENDING:
            step.finished_at = now()

        async def apply() -> None:
            await step.save(update_fields=["status", "started_at", "finished_at"])

        payload = {"stepId": step.id, "position": step.position, "status": str(status)}
        await self._write([(EventKind.STEP_STATUS, payload)], apply)

    async def host_status(
        self,
        result: TaskHostResult,
        status: TaskStatus,
        *,
        exit_code: int | None = None,
        failure: str = "",
        error: str = "",
        wait: bool = False,
        inserts: tuple[_Insert, ...] = (),
    ) -> asyncio.Future[None]:
        """`wait`: return once committed. Returns the commit: a host's RUNNING state is awaited
        through it before the host's work starts, after connecting, which the commit overlaps.
        `inserts`: rows committed in the same transaction (the host's process record with RUNNING)."""
        await self.flush_logs(result.id)
        result.status = status
        if status == TaskStatus.RUNNING:
            result.started_at = now()
            result.finished_at = None
            result.exit_code = None
            result.failure = ""
            result.error = ""
        else:
            result.finished_at = now()
            result.exit_code = exit_code
            result.failure = failure
            result.error = error[:1024]

        payload = {
            "stepId": result.step_id,
            "hostId": result.host_id,
            "ip": result.ip,
            "status": str(status),
            "exitCode": exit_code,
            "failure": failure,
            "error": result.error,
        }
        return await self._write(
            [(EventKind.HOST_STATUS, payload)], wait=wait, results=((result, _STATUS_FIELDS),), inserts=inserts
        )

    async def host_phase(self, result: TaskHostResult, phase: str) -> None:
        result.phase = phase[:64]
        payload = {"stepId": result.step_id, "hostId": result.host_id, "ip": result.ip, "phase": result.phase}
        await self._write([(EventKind.HOST_PHASE, payload)], wait=False, results=((result, _PHASE_FIELDS),))

    # -- logs -----------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._flusher = asyncio.create_task(self._flush_periodically())

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
            self._flusher = None
        await self.flush_logs()
        await self.drain()

    async def log(self, result: TaskHostResult, stream: str, line: str) -> None:
        buffer = self._logs.setdefault(result.id, _LogBuffer())
        self._results[result.id] = result
        buffer.lines.append((stream, line))
        buffer.size += 1
        if buffer.size >= self.flush_lines:
            await self.flush_logs(result.id)

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            await self.flush_logs()

    async def flush_logs(self, result_id: int | None = None) -> None:
        ids = [result_id] if result_id is not None else list(self._logs)
        pending = [(rid, self._logs.pop(rid)) for rid in ids if rid in self._logs and self._logs[rid].lines]
        if not pending:
            return
        rows: list[tuple[EventKind, dict[str, Any]]] = []
        updates: list[TaskHostResult] = []
        for rid, buffer in pending:
            result = self._results[rid]
            text = "".join(f"{line}\n" for _, line in buffer.lines)
            room = self.max_log_bytes - result.log_size
            encoded = text.encode()
            if room <= 0:
                if result.log_truncated:
                    continue  # already said so; lines past the cap are neither stored nor streamed
                result.log_truncated = True
                buffer.lines = []
            elif len(encoded) > room:
                result.log += encoded[:room].decode(errors="ignore")
                result.log_size = self.max_log_bytes
                result.log_truncated = True
            else:
                result.log += text
                result.log_size += len(encoded)
            updates.append(result)
            rows.append(
                (
                    EventKind.LOG,
                    {
                        "stepId": result.step_id,
                        "hostId": result.host_id,
                        "ip": result.ip,
                        "lines": [{"stream": s, "text": t} for s, t in buffer.lines],
                        "truncated": result.log_truncated,
                    },
                )
            )

        if not rows:
            return
        await self._write(rows, wait=False, results=tuple((result, _LOG_FIELDS) for result in updates))


async def _number(task_id: int, events: list[EventRow]) -> None:
    """Take the next numbers of the task's stream for `events` (inside the writer's transaction)."""
    await Task.filter(id=task_id).update(last_seq=F("last_seq") + len(events))
    last = await Task.filter(id=task_id).values_list("last_seq", flat=True)
    first = int(str(last[0])) - len(events) + 1
    for offset, event in enumerate(events):
        event.seq = first + offset


async def _save_results(changes: list[tuple[TaskHostResult, tuple[str, ...]]]) -> None:
    """Each changed host row once, in its latest state: one statement per set of changed fields."""
    merged: dict[int, tuple[TaskHostResult, set[str]]] = {}
    for result, fields in changes:
        _, known = merged.setdefault(result.id, (result, set()))
        merged[result.id] = (result, known | set(fields))  # the object queued last holds the latest state
    groups: dict[tuple[str, ...], list[TaskHostResult]] = {}
    for result, changed in merged.values():
        groups.setdefault(tuple(sorted(changed)), []).append(result)
    for columns, results in groups.items():
        await update_rows(TaskHostResult, columns, results)


async def _insert_all(inserts: list[_Insert]) -> None:
    """One INSERT statement per model and set of fields."""
    groups: dict[tuple[type[Model], tuple[str, ...]], list[Any]] = {}
    for model, fields, row in inserts:
        groups.setdefault((model, fields), []).append(row)
    for (model, fields), rows in groups.items():
        await insert_rows(model, fields, rows)


def _failed(exc: BaseException) -> asyncio.Future[None]:
    """A commit that will never happen: awaiting it raises `exc`."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_exception(exc)
    done.add_done_callback(_log_failure)  # retrieves it: no "never retrieved" warning when nobody awaits
    return done


def _log_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None and not isinstance(done.exception(), OwnerLost):
        log.error("recording task progress failed", exc_info=done.exception())
