"""Pushing CMDB events to subscribers: fan-out from the outbox, then ordered delivery with retries.

1. Fan-out: events not yet dispatched become one `EventDelivery` row per matching subscription
   (its form names the event type; a business subscription only gets its business's events; an
   event older than the subscription is not owed to it). Claiming the events and writing the
   rows is one transaction, so a crash leaves either both or neither.
2. Delivery: each subscriber gets its events in event order, one JSON POST each, in bk-cmdb's body
   (`DistInst`: event_id, event_type, action, action_time, obj_type, data[{cur_data, pre_data}],
   bk_supplier_account, cursor, update_fields, deleted_fields, distribution_id, subscription_id;
   v3.2's request_id / request_time / txn_id too). A push is confirmed by the subscription's rule
   (status equal to the pattern, or the RE2 pattern found in the body); otherwise it is retried
   with exponential backoff, and the subscriber's later events wait behind it, so order holds. An
   event still unconfirmed after `event_max_age_seconds` is given up (counted, not lost silently).
3. Headers: X-OpsGraph-Event-Id, X-OpsGraph-Delivery-Id, X-OpsGraph-Timestamp and
   X-OpsGraph-Signature = sha256=HMAC(secret, timestamp + "." + body), the secret being the
   subscription's own or, for one an app made without one, that app's secret.

A delivery is marked done only after its subscriber confirmed it: a crash in between means the
event is pushed again after the restart (at least once; receivers deduplicate on event_id).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import re2
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from opsgraph.core.crypto import SecretBox
from opsgraph.core.settings import Settings
from opsgraph.executors.callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from opsgraph.executors.leases import run_as_leader
from opsgraph.models.cmdb_events import CmdbEvent, DeliveryStatus, EventDelivery, EventSubscription
from opsgraph.models.identity import App
from opsgraph.resolvers.cmdb_events.emit import SUPPLIER_ACCOUNT, event_name
from opsgraph.resolvers.cmdb_events.subscriptions import SECRET_PURPOSE

log = logging.getLogger("opsgraph.events")

EVENT_ID_HEADER = "X-OpsGraph-Event-Id"
DELIVERY_ID_HEADER = "X-OpsGraph-Delivery-Id"
FAN_OUT_BATCH = 2000
DELIVERY_BATCH = 500
FLUSH_EVERY = 50  # deliveries confirmed between two writes of their state
MAX_RESPONSE_BYTES = 64 * 1024
PRUNE_EVERY_SECONDS = 600.0
MAX_CLIENTS = 256  # keep-alive clients kept, one per callback URL


def _now() -> datetime:
    return datetime.now(tz=UTC)


def backoff_seconds(attempts: int, settings: Settings) -> float:
    """1 s, 2 s, 4 s … (from event_retry_first_ms), capped at event_retry_max_seconds."""
    first = settings.event_retry_first_ms / 1000
    return float(min(first * 2 ** max(attempts - 1, 0), settings.event_retry_max_seconds))


async def fan_out(limit: int = FAN_OUT_BATCH) -> int:
    """Turn undispatched events into deliveries; returns how many events were dispatched."""
    events = (
        await CmdbEvent.filter(dispatched=False)
        .order_by("id")
        .limit(limit)
        .values("id", "event_type", "obj_type", "action", "business_id")
    )
    if not events:
        return 0
    subscriptions = await EventSubscription.all().values("id", "business_id", "subscription_form", "since_event_id")
    forms = {sub["id"]: frozenset(sub["subscription_form"].split(",")) for sub in subscriptions}
    now = _now()
    deliveries: list[EventDelivery] = []
    for event in events:
        name = event_name(event["event_type"], event["obj_type"], event["action"])
        for sub in subscriptions:
            if event["id"] <= sub["since_event_id"] or name not in forms[sub["id"]]:
                continue
            if sub["business_id"] and sub["business_id"] != event["business_id"]:
                continue
            deliveries.append(EventDelivery(subscription_id=sub["id"], event_id=event["id"], next_attempt_at=now))
    ids = [event["id"] for event in events]
    async with in_transaction():
        claimed = await CmdbEvent.filter(id__in=ids, dispatched=False).update(dispatched=True)
        if claimed != len(ids):
            # Another dispatcher took some of them meanwhile: undo ours, read again next round.
            raise _Raced
        await EventDelivery.bulk_create(deliveries, batch_size=1000)
    return len(ids)


class _Raced(Exception):
    pass


def body_of(event: dict[str, Any], delivery_id: int, subscription_id: int) -> bytes:
    moment = event["action_time"]
    stamp = moment.isoformat() if isinstance(moment, datetime) else str(moment)
    body = {
        "event_id": event["id"],
        "event_type": event["event_type"],
        "action": event["action"],
        "action_time": stamp,
        "obj_type": event["obj_type"],
        "data": [{"cur_data": event["cur_data"], "pre_data": event["pre_data"]}],
        "bk_supplier_account": SUPPLIER_ACCOUNT,
        "cursor": str(event["id"]),
        "update_fields": event["update_fields"],
        "deleted_fields": event["deleted_fields"],
        "request_id": "",
        "request_time": stamp,
        "txn_id": "",
        "distribution_id": delivery_id,
        "subscription_id": subscription_id,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def confirmed(mode: str, pattern: str, status: int, body: str) -> bool:
    if mode == "httpstatus":
        return str(status) == pattern.strip()
    return bool(re2.search(pattern, body))


class _Subscribers:
    """One keep-alive HTTP client per callback URL, and the URL parsed once. A single shared client
    made every push scan every subscriber's pooled connection (httpx checks each for expiry) and
    parse the URL again. The least recently used are closed beyond MAX_CLIENTS (URLs change)."""

    def __init__(self, concurrency: int) -> None:
        self._clients: dict[str, tuple[httpx.AsyncClient, httpx.URL]] = {}
        # Several subscriptions may share a URL and push at once: never fewer connections than
        # pushes in flight (a push waiting for a pooled connection could time out).
        self._limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=2)

    async def client(self, callback_url: str) -> tuple[httpx.AsyncClient, httpx.URL]:
        found = self._clients.pop(callback_url, None)
        if found is None:
            found = (httpx.AsyncClient(follow_redirects=False, limits=self._limits), httpx.URL(callback_url))
        self._clients[callback_url] = found  # most recently used last
        while len(self._clients) > MAX_CLIENTS:
            stale, _ = self._clients.pop(next(iter(self._clients)))
            await stale.aclose()
        return found

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for client, _ in clients.values():
            await client.aclose()


class EventDispatcher:
    """One per server process; `run` loops until cancelled."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._subscribers = _Subscribers(settings.event_push_concurrency)
        self._limit = asyncio.Semaphore(settings.event_push_concurrency)
        self._last_prune = 0.0

    async def run(self) -> None:
        interval = self.settings.event_poll_ms / 1000
        try:
            while True:
                try:
                    if await self.once():
                        continue  # busy: go on at once; only an idle or failed pass waits
                except _Raced:
                    continue
                except Exception:
                    log.exception("event dispatch pass failed; trying again in %s s", interval)
                await asyncio.sleep(interval)
        finally:
            await self._subscribers.aclose()

    async def once(self) -> int:
        """One pass: fan out what is new, push what is due. Returns the pushes confirmed."""
        while await fan_out() == FAN_OUT_BATCH:
            pass
        # The subscribers with something due, not every pending row: a backlog of 50,000 deliveries
        # made each pass read them all before pushing the next 500.
        due = (
            await EventDelivery.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=_now())
            .distinct()
            .values_list("subscription_id", flat=True)
        )
        subscription_ids = {int(str(sub_id)) for sub_id in due}
        results = await asyncio.gather(*(self._push_guarded(sub_id) for sub_id in subscription_ids))
        if time.monotonic() - self._last_prune > PRUNE_EVERY_SECONDS:
            await self.prune()
        return sum(results)

    async def _push_guarded(self, subscription_id: int) -> int:
        async with self._limit:
            try:
                return await self.push_subscription(subscription_id)
            except Exception:
                log.exception("pushing to subscription %s failed", subscription_id)
                return 0

    async def _secret(self, sub: EventSubscription) -> str:
        if sub.secret_encrypted:
            return SecretBox(self.settings.secret_key, purpose=SECRET_PURPOSE).decrypt(sub.secret_encrypted)
        app = await App.get_or_none(code=sub.app_code) if sub.app_code else None
        if app is not None and app.secret_encrypted:
            return SecretBox(self.settings.secret_key).decrypt(app.secret_encrypted)
        return ""

    async def push_subscription(self, subscription_id: int) -> int:
        """Push this subscriber's due events in order until one fails or none is left in the batch."""
        sub = await EventSubscription.get_or_none(id=subscription_id)
        if sub is None:
            return 0
        batch = (
            await EventDelivery.filter(subscription_id=subscription_id, status=DeliveryStatus.PENDING)
            .order_by("event_id")
            .limit(DELIVERY_BATCH)
            .values("id", "event_id", "attempts", "next_attempt_at")
        )
        if not batch:
            return 0
        events = {e["id"]: e for e in await CmdbEvent.filter(id__in=[d["event_id"] for d in batch]).values()}
        secret = await self._secret(sub)
        state = _Progress(subscription_id)
        try:
            for delivery in batch:
                now = _now()
                if delivery["next_attempt_at"] > now:
                    break  # the head of the queue waits for its retry; the rest wait behind it
                event = events[delivery["event_id"]]
                if now - event["action_time"] > timedelta(seconds=self.settings.event_max_age_seconds):
                    state.given_up.append(delivery["id"])
                    continue
                error = await self._post(sub, event, delivery["id"], secret)
                state.total += 1
                if error is None:
                    state.delivered.append(delivery["id"])
                    if len(state.delivered) >= FLUSH_EVERY:
                        await state.flush()
                    continue
                attempts = delivery["attempts"] + 1
                state.failure += 1
                state.last_error = error
                retry_at = now + timedelta(seconds=backoff_seconds(attempts, self.settings))
                await EventDelivery.filter(id=delivery["id"]).update(
                    attempts=attempts, next_attempt_at=retry_at, last_error=error[:1024]
                )
                break
        finally:
            await state.flush()
        return state.confirmed

    async def _post(self, sub: EventSubscription, event: dict[str, Any], delivery_id: int, secret: str) -> str | None:
        """None when the subscriber confirmed the push, else why not."""
        body = body_of(event, delivery_id, sub.id)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            EVENT_ID_HEADER: str(event["id"]),
            DELIVERY_ID_HEADER: str(delivery_id),
            TIMESTAMP_HEADER: timestamp,
        }
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
        try:
            client, url = await self._subscribers.client(sub.callback_url)
            async with client.stream(
                "POST", url, content=body, headers=headers, timeout=sub.timeout_seconds
            ) as response:
                received = b""
                async for chunk in response.aiter_bytes():
                    received += chunk
                    if len(received) >= MAX_RESPONSE_BYTES:
                        break
                text = received[:MAX_RESPONSE_BYTES].decode("utf-8", "replace")
                if confirmed(sub.confirm_mode, sub.confirm_pattern, response.status_code, text):
                    return None
                return f"not confirmed: HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"

    async def prune(self) -> None:
        """Events (and their deliveries) older than the retention of undelivered ones."""
        self._last_prune = time.monotonic()
        cutoff = _now() - timedelta(seconds=self.settings.event_max_age_seconds)
        await CmdbEvent.filter(dispatched=True, action_time__lt=cutoff).delete()


class _Progress:
    """What one pass did to one subscription, written in few statements."""

    def __init__(self, subscription_id: int) -> None:
        self.subscription_id = subscription_id
        self.delivered: list[int] = []
        self.given_up: list[int] = []
        self.total = 0
        self.failure = 0
        self.confirmed = 0
        self.last_error = ""

    async def flush(self) -> None:
        if not (self.delivered or self.given_up or self.total):
            return
        now = _now()
        async with in_transaction():
            if self.delivered:
                await EventDelivery.filter(id__in=self.delivered).update(
                    status=DeliveryStatus.DELIVERED, delivered_at=now, last_error=""
                )
            if self.given_up:
                await EventDelivery.filter(id__in=self.given_up).update(status=DeliveryStatus.FAILED)
            changes: dict[str, Any] = {
                "total": F("total") + self.total,
                "failure": F("failure") + self.failure,
                "delivered": F("delivered") + len(self.delivered),
                "given_up": F("given_up") + len(self.given_up),
            }
            if self.delivered:
                changes["last_delivered_at"] = now
            if self.last_error:
                changes["last_error"] = self.last_error[:1024]
            await EventSubscription.filter(id=self.subscription_id).update(**changes)
        self.confirmed += len(self.delivered)
        self.delivered, self.given_up = [], []
        self.total = self.failure = 0
        self.last_error = ""


async def run_event_dispatcher(settings: Settings) -> None:
    # One dispatcher across servers (the `cmdb-event-dispatch` lease): each subscriber's order holds.
    await run_as_leader("cmdb-event-dispatch", lambda: EventDispatcher(settings).run())
