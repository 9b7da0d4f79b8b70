"""Exactly one process at a time: leases in the database (`opsgraph.models.leases.Lease`).

Two uses, one mechanism:

- **A periodic duty that must run once across N processes** (crons, the task supervisor, outbox
  retries): wrap the loop body in `run_exclusively(name, interval, work)`. Each pass, the process
  that holds (or takes) the lease `name` runs `work()`; the others skip the pass. While `work()`
  runs, the lease is renewed in the background, so a long pass is not taken over under its feet.
  A holder that dies stops renewing; the lease expires after `lease_seconds` and the next process
  that tries takes it, so the duty keeps firing. A holder that stops cleanly releases it at once.
- **A continuous loop that must run in one process** (the CMDB event dispatcher pushes each
  subscriber's events in order): `run_as_leader(name, loop)` waits until it holds `name`, runs
  `loop()` while renewing, and stops it (then waits again) if the lease is ever lost.
- **One owner for one thing** (a task run by one worker: `task:<id>`): `acquire` (or `take`, which
  also returns the lease's epoch, its fencing token: executors/fencing.py) / `renew` / `release`,
  and `live_holders` to ask who holds what.

Renewals go through a connection of their own (`open_renewal_connection`), not the pool the work
uses: a worker whose pool is saturated by its own writes (five connections, each waiting on a busy
database) must still renew in time, or it is taken for dead while it is only busy.

In the embedded deployment (one process, `OPSGRAPH_BROKER_URL` unset) there is nobody to share
with: `run_exclusively` runs every pass without touching the table (`enable_leases(False)`, the
default), so that deployment behaves exactly as before.

Adopting it in another loop (e.g. an outbox poller):

    async def run_my_outbox(settings: Settings) -> None:
        await run_exclusively("my-outbox", interval=2.0, work=lambda: deliver_due(settings))

Loops whose rows are already claimed one by one with a conditional UPDATE stay correct without it;
the lease then only saves the other processes a useless pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from opsgraph.models.leases import Lease

log = logging.getLogger("opsgraph.leases")

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
DEFAULT_LEASE_SECONDS = 30.0
_enabled = False
_renewal_db: BaseDBAsyncClient | None = None


def enable_leases(on: bool) -> None:
    """On in the distributed deployment (set once at start-up by `serve` / `worker`)."""
    global _enabled
    _enabled = on


def leases_enabled() -> bool:
    return _enabled


async def acquire(name: str, seconds: float, holder: str = HOLDER) -> bool:
    """Take `name` for `seconds` if it is free, expired or already ours (then it is renewed)."""
    return await take(name, seconds, holder) is not None


async def take(name: str, seconds: float, holder: str = HOLDER) -> int | None:
    """`acquire`, returning the lease's epoch (None: someone else holds it). The epoch goes up when
    the lease changes hands and stays the same when its holder renews it."""
    now = time.time()
    with contextlib.suppress(IntegrityError):  # another process created the row at the same moment
        await Lease.get_or_create(name=name, defaults={"holder": "", "expires_at": 0.0})
    renewed = await Lease.filter(name=name, holder=holder).update(expires_at=now + seconds)
    if not renewed:
        taken = (
            await Lease.filter(name=name, expires_at__lt=now)
            .exclude(holder=holder)
            .update(holder=holder, expires_at=now + seconds, epoch=F("epoch") + 1)
        )
        if not taken:
            return None
    epochs = await Lease.filter(name=name, holder=holder).values_list("epoch", flat=True)
    return int(str(epochs[0])) if epochs else None


async def renew(names: Iterable[str], seconds: float, holder: str = HOLDER) -> set[str]:
    """Extend the leases of `names` that we still hold; returns the names we no longer hold.

    On the renewal connection when one is open (see the module's docstring)."""
    wanted = set(names)
    if not wanted:
        return set()
    held = Lease.filter(name__in=list(wanted), holder=holder)
    if _renewal_db is not None:
        held = held.using_db(_renewal_db)
    await held.update(expires_at=time.time() + seconds)
    still = await held.values_list("name", flat=True)
    return wanted - {str(name) for name in still}


async def open_renewal_connection(database_url: str) -> None:
    """A one-connection client of the same database for `renew` (distributed deployment)."""
    global _renewal_db
    from tortoise.backends.base.config_generator import expand_db_url

    from opsgraph.core.db import normalise_database_url

    config = expand_db_url(normalise_database_url(database_url))
    client_class = importlib.import_module(config["engine"]).client_class
    credentials = dict(config["credentials"])
    if "minsize" in credentials or config["engine"].endswith("asyncpg"):
        credentials.update(minsize=1, maxsize=1)
    client: BaseDBAsyncClient = client_class(connection_name="lease-renewals", **credentials)
    await client.create_connection(with_db=True)
    _renewal_db = client


async def close_renewal_connection() -> None:
    global _renewal_db
    client, _renewal_db = _renewal_db, None
    if client is not None:
        with contextlib.suppress(Exception):
            await client.close()


async def release(names: str | Iterable[str], holder: str = HOLDER) -> None:
    listed = [names] if isinstance(names, str) else list(names)
    if listed:
        await Lease.filter(name__in=listed, holder=holder).update(holder="", expires_at=0.0)


async def live_holders(names: Iterable[str]) -> dict[str, str]:
    """Which of `names` are held now, and by whom."""
    listed = list(names)
    if not listed:
        return {}
    rows = await Lease.filter(name__in=listed, expires_at__gte=time.time()).exclude(holder="").values("name", "holder")
    return {str(row["name"]): str(row["holder"]) for row in rows}


async def live_count(prefix: str) -> int:
    return await Lease.filter(name__startswith=prefix, expires_at__gte=time.time()).exclude(holder="").count()


async def _keep_renewed(name: str, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds / 3)
        try:
            if await renew([name], seconds):
                log.warning("lost the lease %r while working; another process may take the duty over", name)
                return
        except Exception as exc:  # the database is away: the pass finds out on its own
            log.warning("cannot renew the lease %r: %s", name, exc)


async def run_exclusively(
    name: str,
    interval: float,
    work: Callable[[], Awaitable[object]],
    *,
    lease_seconds: float | None = None,
) -> None:
    """Run `work()` every `interval` s in the one process holding the lease `name`; until cancelled."""
    seconds = max(lease_seconds or DEFAULT_LEASE_SECONDS, interval * 2)
    holding = False
    try:
        while True:
            started = time.monotonic()
            try:
                holding = not _enabled or await acquire(name, seconds)
                if holding:
                    renewer = asyncio.create_task(_keep_renewed(name, seconds)) if _enabled else None
                    try:
                        await work()
                    finally:
                        if renewer is not None:
                            renewer.cancel()
                            await asyncio.gather(renewer, return_exceptions=True)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s pass failed; trying again in %s s", name, interval)
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
    finally:
        if _enabled and holding:
            with contextlib.suppress(Exception):
                await asyncio.shield(release(name))


async def run_as_leader(
    name: str, loop: Callable[[], Awaitable[object]], *, lease_seconds: float | None = None
) -> None:
    """Run `loop()` (which runs until cancelled) only while this process holds `name`."""
    if not _enabled:
        await loop()
        return
    seconds = lease_seconds or DEFAULT_LEASE_SECONDS
    while True:
        try:
            taken = await acquire(name, seconds)
        except Exception as exc:
            log.warning("cannot take the lease %r: %s", name, exc)
            taken = False
        if not taken:
            await asyncio.sleep(seconds / 3)
            continue
        log.info("this process now runs %s", name)
        job = asyncio.ensure_future(loop())
        try:
            while not job.done():
                await asyncio.wait({job}, timeout=seconds / 3)
                if not job.done() and await _lost(name, seconds):
                    log.warning("lost the lease %r: stopping %s here", name, name)
                    break
        finally:
            job.cancel()
            await asyncio.gather(job, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.shield(release(name))


async def _lost(name: str, seconds: float) -> bool:
    try:
        return bool(await renew([name], seconds))
    except Exception as exc:  # the database is away: keep going, the loop meets the same outage
        log.warning("cannot renew the lease %r: %s", name, exc)
        return False
