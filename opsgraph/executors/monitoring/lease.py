"""A lease row per duty ("detector", "maintenance"): the server that holds it does the duty.

Taking or renewing it is one conditional UPDATE (free, expired, or already ours), so with several
servers on one database exactly one holds a duty at a time; a server that dies stops renewing and
another takes over once the lease expires."""

from __future__ import annotations

import contextlib
import os
import socket
import time
import uuid

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from opsgraph.models.monitoring_metrics import MonitorState

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def hold_lease(name: str, seconds: float, holder: str = HOLDER) -> bool:
    now = time.time()
    with contextlib.suppress(IntegrityError):  # another server created it at the same moment
        await MonitorState.get_or_create(name=name, defaults={"holder": "", "expires_at": 0.0})
    taken = await MonitorState.filter(Q(name=name) & (Q(expires_at__lt=now) | Q(holder=holder))).update(
        holder=holder, expires_at=now + seconds
    )
    return bool(taken)


async def release_lease(name: str, holder: str = HOLDER) -> None:
    await MonitorState.filter(name=name, holder=holder).update(expires_at=0.0)
