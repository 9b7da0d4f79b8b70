"""Waiting for agents' first heartbeats: one poller per step, however many hosts are waiting.

The heartbeat arrives over HTTP (maybe in another process), so the install notices it in the
database. One query per tick for all the waiting hosts keeps a 1,000-host install from polling
1,000 times per tick.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from opsgraph.models.agents import AgentState

TICK = 0.25


class HeartbeatWatch:
    def __init__(self, tick: float = TICK) -> None:
        self.tick = tick
        self._waiting: dict[int, tuple[datetime, asyncio.Future[datetime]]] = {}
        self._poller: asyncio.Task[None] | None = None

    async def wait(self, host_id: int, since: datetime, timeout: float, cancel: asyncio.Event) -> datetime | None:
        """The time of the host's first heartbeat at or after `since`; None after `timeout` s or on cancel."""
        future: asyncio.Future[datetime] = asyncio.get_running_loop().create_future()
        self._waiting[host_id] = (since, future)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="opsgraph-heartbeat-watch")
        cancelled: asyncio.Future[Any] = asyncio.ensure_future(cancel.wait())
        try:
            await asyncio.wait({future, cancelled}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            return future.result() if future.done() else None
        finally:
            cancelled.cancel()
            entry = self._waiting.get(host_id)
            if entry is not None and entry[1] is future:
                del self._waiting[host_id]
            future.cancel()

    async def _poll(self) -> None:
        while self._waiting:
            try:
                rows = await AgentState.filter(host_id__in=list(self._waiting)).values("host_id", "last_heartbeat_at")
            except Exception as exc:  # the database is gone: every waiter learns why, nobody waits forever
                for _, future in self._waiting.values():
                    if not future.done():
                        future.set_exception(exc)
                return
            for row in rows:
                entry = self._waiting.get(row["host_id"])
                beat = row["last_heartbeat_at"]
                if entry is not None and beat is not None and beat >= entry[0]:
                    with contextlib.suppress(asyncio.InvalidStateError):  # already cancelled by its waiter
                        entry[1].set_result(beat)
            await asyncio.sleep(self.tick)
