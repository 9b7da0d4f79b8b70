"""Delivering ticket `approval_result` callbacks from the outbox (`TicketCallback` rows).

A row is written in the transaction that ends the ticket, so a decision and its callback are
never separated; this loop POSTs due rows, signed like job callbacks (executors.callbacks.sign:
HMAC-SHA256 of timestamp + body with the creating app's secret), and retries with exponential
backoff up to `callback_attempts` times. Claiming a row pushes its next attempt past the request
timeout first, so a process that dies mid-delivery leaves the row to be tried again after a
restart (at least once), and two processes never post the same attempt. Every attempt of a row
carries the same `X-OpsGraph-Delivery-Id` (as task callbacks do), so a receiver can drop the
duplicate that at-least-once delivery allows.

Success is what bk-itsm's receiver contract says: HTTP 2xx, and no JSON `code` other than 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from opsgraph.core.crypto import SecretBox
from opsgraph.core.settings import Settings
from opsgraph.executors.callbacks import DELIVERY_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from opsgraph.models.identity import App
from opsgraph.models.tickets import CallbackStatus, TicketCallback

log = logging.getLogger("opsgraph.ticket_callbacks")
_BATCH = 50
_PARALLEL = 8
_wake: asyncio.Event | None = None


def wake_deliveries() -> None:
    """Deliver now rather than at the next poll (called after a ticket ends)."""
    if _wake is not None:
        _wake.set()


def delivery_id(row: TicketCallback) -> str:
    """One per outbox row (one per ending of the ticket), the same for all its attempts."""
    return f"ticket-{row.ticket_id}-{row.id}"


def backoff(attempt: int) -> float:
    return float(min(2 ** (attempt - 1), 30))


async def deliver_due(settings: Settings) -> int:
    """Try every due row once; returns how many were attempted."""
    moment = datetime.now(tz=UTC)
    due = (
        await TicketCallback.filter(status=CallbackStatus.PENDING, next_attempt_at__lte=moment)
        .order_by("id")
        .limit(_BATCH)
    )
    slots = asyncio.Semaphore(_PARALLEL)

    async def one(row: TicketCallback) -> bool:
        async with slots:
            return await _attempt(row, settings)

    results = await asyncio.gather(*(one(row) for row in due))
    return sum(1 for attempted in results if attempted)


async def _attempt(row: TicketCallback, settings: Settings) -> bool:
    lease = datetime.now(tz=UTC) + timedelta(seconds=settings.callback_timeout + 5)
    claimed = await TicketCallback.filter(id=row.id, attempts=row.attempts, status=CallbackStatus.PENDING).update(
        attempts=row.attempts + 1, next_attempt_at=lease
    )
    if not claimed:
        return False  # another process has it
    attempt = row.attempts + 1
    error = await _post(row, settings)
    if not error:
        await TicketCallback.filter(id=row.id).update(
            status=CallbackStatus.DELIVERED, delivered_at=datetime.now(tz=UTC), last_error=""
        )
        return True
    if attempt >= settings.callback_attempts:
        log.warning("ticket callback %s gave up after %s attempts: %s", row.id, attempt, error)
        await TicketCallback.filter(id=row.id).update(status=CallbackStatus.FAILED, last_error=error[:1024])
    else:
        retry_at = datetime.now(tz=UTC) + timedelta(seconds=backoff(attempt))
        await TicketCallback.filter(id=row.id).update(next_attempt_at=retry_at, last_error=error[:1024])
    return True


async def _post(row: TicketCallback, settings: Settings) -> str:
    """ "" when delivered, else why not."""
    body = json.dumps(row.body, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(int(datetime.now(tz=UTC).timestamp())),
        DELIVERY_ID_HEADER: delivery_id(row),
    }
    app = await App.get_or_none(code=row.app_code) if row.app_code else None
    if app is not None and app.secret_encrypted:
        secret = SecretBox(settings.secret_key).decrypt(app.secret_encrypted)
        headers[SIGNATURE_HEADER] = sign(secret, headers[TIMESTAMP_HEADER], body)
    try:
        async with httpx.AsyncClient(timeout=settings.callback_timeout, follow_redirects=False) as client:
            response = await client.post(row.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if not 200 <= response.status_code < 300:
        return f"HTTP {response.status_code}"
    return _refused_in_body(response)


def _refused_in_body(response: httpx.Response) -> str:
    try:
        answer: Any = response.json()
    except ValueError:
        return ""
    if isinstance(answer, dict) and "code" in answer and answer["code"] not in (0, "0"):
        return f"receiver answered code {answer['code']!r}: {str(answer.get('message', ''))[:200]}"
    return ""


async def run_ticket_callbacks(settings: Settings, interval: float = 2.0) -> None:
    """The delivery loop the server runs: due rows now, then whenever woken or every `interval` s."""
    global _wake
    _wake = asyncio.Event()
    while True:
        _wake.clear()
        try:
            await deliver_due(settings)
        except Exception:
            log.exception("ticket callback pass failed; trying again in %s s", interval)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_wake.wait(), timeout=interval)
