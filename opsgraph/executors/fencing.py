"""Fencing: a runner writes for a task (or a shard) only while it still holds that lease's epoch.

A worker that stalls longer than its lease (SIGSTOP, a long GC pause, a frozen VM) is taken for
dead: another worker takes the lease (its epoch goes up, executors/leases.py `take`), kills the
commands left on the hosts and reports them INTERRUPTED, or carries the task on. When the stalled
worker wakes, nothing it still has queued may land on top of that. So every write of a run —
host statuses, logs, events, step and task statuses, remote process records — ends its own
transaction by checking that the lease row still names this holder with the epoch the run started
with, and rolls back if not. The check is an UPDATE of that row, so a takeover's `take` cannot slip
in between the check and the commit (it waits for the commit, then the next write fails). It comes
last so that the row is locked only for that instant: a write stuck on a busy table must not hold
up the renewals of the lease (which would then expire under a live worker).

A run that finds its fence broken (here, or when its lease renewal reports the lease gone) stops:
`Fence.mark_lost` logs one line, wakes whoever waits on `lost` (the runner closes its SSH channels)
and every later write of the run is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from opsgraph.models.leases import Lease

log = logging.getLogger("opsgraph.fencing")


class OwnerLost(Exception):
    """Another process owns the task (or shard) now: this run stops writing at once."""


@dataclass
class Fence:
    """The lease a run writes under: its name, holder and the epoch it was taken with."""

    name: str
    holder: str
    epoch: int
    lost: asyncio.Event = field(default_factory=asyncio.Event)

    def mark_lost(self, why: str) -> None:
        if self.lost.is_set():
            return
        self.lost.set()
        log.error(
            "lost the lease %s (epoch %s, %s): another worker has taken over; this run stops and writes nothing more",
            self.name,
            self.epoch,
            why,
        )

    async def check(self) -> None:
        """Inside a transaction: raise OwnerLost unless the lease is still ours at our epoch (and
        keep its row locked until the transaction ends)."""
        if self.lost.is_set():
            raise OwnerLost(self.name)
        held = await Lease.filter(name=self.name, holder=self.holder, epoch=self.epoch).update(epoch=self.epoch)
        if not held:
            self.mark_lost("found at a write")
            raise OwnerLost(self.name)


@asynccontextmanager
async def fenced(fence: Fence | None) -> AsyncIterator[None]:
    """A transaction whose writes commit only if `fence` still holds (a plain one without a fence)."""
    if fence is not None and fence.lost.is_set():
        raise OwnerLost(fence.name)
    async with in_transaction():
        yield
        if fence is not None:
            await fence.check()  # last: see the module's docstring
