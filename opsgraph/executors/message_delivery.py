"""The message outbox worker: claims due deliveries, sends them, records each outcome.

Each pass (at most `batch_size` deliveries):
1. gives back deliveries whose lease ran out (their worker died mid-send): they are due again;
2. claims due PENDING rows with one conditional UPDATE (status still PENDING), so several server
   processes never send the same delivery at once;
3. sends mail over a few SMTP connections (one transaction per message; one connection per
   `MAILS_PER_CONNECTION` messages, at most `SMTP_CONNECTIONS`), kept open between passes in an
   SmtpPool, and webhook deliveries concurrently (bounded);
4. records every outcome in one transaction: SENT, retried later with exponential backoff, or
   FAILED (refused for good, or out of attempts); a message whose deliveries are all final gets
   SENT / PARTIAL / FAILED.

Delivery is at least once: a crash between the server's "accepted" and step 4 sends that delivery
again after the lease. Senders wake the worker (`wake_delivery`); a woken worker waits
`gather_seconds` so that messages sent together are claimed, sent and recorded together, instead of
one pass each. It also polls, which picks up rows other processes queued and retries that fall due.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

import httpx
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from opsgraph.core.errors import ConfigurationError
from opsgraph.executors.mail_transport import Envelope, build_mail, send_mails
from opsgraph.executors.message_channels import (
    ChannelConfig,
    channel_box,
    check_environment,
    load_channel_configs,
)
from opsgraph.executors.message_outcomes import AttemptResult, retry
from opsgraph.executors.smtp_pool import SmtpPool
from opsgraph.executors.webhook_transport import post_delivery, webhook_body
from opsgraph.models.messaging import (
    ChannelKind,
    DeliveryStatus,
    Message,
    MessageDelivery,
    MessageStatus,
    ReceiverRole,
)

log = logging.getLogger("opsgraph.messages")

LEASE_SECONDS = 120.0
SMTP_CONNECTIONS = 4
MAILS_PER_CONNECTION = 16  # a pass with fewer messages than this uses one connection
GATHER_SECONDS = 0.05
WEBHOOK_CONCURRENCY = 20
Row = dict[str, Any]

_active: MessageDeliveryWorker | None = None


def wake_delivery() -> None:
    """Tell this process's worker that new deliveries are due (no-op without one, e.g. in the CLI)."""
    if _active is not None:
        _active.wake()


def lease_from_environment() -> float:
    raw = os.environ.get("OPSGRAPH_MESSAGE_LEASE_SECONDS", "").strip()
    try:
        lease = float(raw) if raw else LEASE_SECONDS
    except ValueError as exc:
        raise ConfigurationError(f"OPSGRAPH_MESSAGE_LEASE_SECONDS must be a number, got {raw!r}") from exc
    if lease < 1:
        raise ConfigurationError("OPSGRAPH_MESSAGE_LEASE_SECONDS must be at least 1")
    return lease


def _now() -> datetime:
    return datetime.now(tz=UTC)


class MessageDeliveryWorker:
    def __init__(
        self,
        secret_key: str,
        *,
        poll_seconds: float = 1.0,
        batch_size: int = 500,
        lease_seconds: float | None = None,
        gather_seconds: float = GATHER_SECONDS,
    ) -> None:
        self.secret_key = secret_key
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.gather_seconds = gather_seconds
        self.smtp = SmtpPool()
        # How long a claim protects a delivery: after a crash, its deliveries are due again this much later.
        self.lease_seconds = lease_seconds if lease_seconds is not None else lease_from_environment()
        self.worker_id = uuid.uuid4().hex
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        global _active
        check_environment()
        self._task = asyncio.create_task(self._run(), name="opsgraph-message-delivery")
        _active = self

    def wake(self) -> None:
        self._wake.set()

    async def stop(self, timeout: float = 5.0) -> None:
        """Let the current pass finish (up to `timeout`), then hand unfinished claims back."""
        global _active
        if _active is self:
            _active = None
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=timeout)
            if not done:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        await MessageDelivery.filter(claimed_by=self.worker_id, status=DeliveryStatus.SENDING).update(
            status=DeliveryStatus.PENDING, claimed_by="", lease_until=None
        )
        await self.smtp.close()

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                handled = await self.run_pass()
            except Exception:
                log.exception("message delivery pass failed; trying again in %s s", self.poll_seconds)
                handled = 0
            if handled >= self.batch_size:
                continue  # more may be due right now
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                continue
            if self.gather_seconds and not self._stopping:
                await asyncio.sleep(self.gather_seconds)  # let the senders of this moment join the pass

    async def run_pass(self) -> int:
        """Deliver what is due now; returns how many deliveries were claimed."""
        now = _now()
        await MessageDelivery.filter(status=DeliveryStatus.SENDING, lease_until__lt=now).update(
            status=DeliveryStatus.PENDING, claimed_by="", lease_until=None
        )
        due = await (
            MessageDelivery.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .limit(self.batch_size)
            .values_list("id", flat=True)
        )
        if not due:
            return 0
        # Read before claiming: a configuration that cannot be read (a secret key that changed) must
        # not leave claimed rows behind until their lease runs out.
        configs = await load_channel_configs(self.secret_key)
        mail_server = configs[ChannelKind.MAIL].mail
        await self.smtp.forget_others({mail_server} if mail_server is not None else set())
        lease_until = now + timedelta(seconds=self.lease_seconds)
        await MessageDelivery.filter(id__in=due, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENDING, claimed_by=self.worker_id, lease_until=lease_until
        )
        rows = await MessageDelivery.filter(
            id__in=due, claimed_by=self.worker_id, status=DeliveryStatus.SENDING
        ).values()
        if not rows:
            return 0
        messages = {m["id"]: m for m in await Message.filter(id__in={r["message_id"] for r in rows}).values()}
        by_channel: dict[ChannelKind, list[Row]] = defaultdict(list)
        for row in rows:
            by_channel[ChannelKind(messages[row["message_id"]]["channel"])].append(row)
        results: dict[int, AttemptResult] = {}
        for kind, channel_rows in by_channel.items():
            config = configs[kind]
            if not config.active:
                reason = "disabled" if config.configured else "not configured"
                results.update(dict.fromkeys((r["id"] for r in channel_rows), retry(f"the {kind} channel is {reason}")))
            elif kind is ChannelKind.MAIL:
                results.update(await self._deliver_mail(config, messages, channel_rows))
            else:
                results.update(await self._deliver_webhooks(config, messages, channel_rows))
        await self._record(rows, results, configs, messages)
        return len(due)

    async def _deliver_mail(
        self, config: ChannelConfig, messages: dict[int, Row], rows: list[Row]
    ) -> dict[int, AttemptResult]:
        assert config.mail is not None
        settings = config.mail
        headers = await _mail_headers({row["message_id"] for row in rows})
        by_message: dict[int, list[Row]] = defaultdict(list)
        for row in rows:
            by_message[row["message_id"]].append(row)
        envelopes: list[Envelope] = []
        owners: list[dict[str, int]] = []  # per envelope: address → delivery id
        for message_id, claimed in by_message.items():
            message = messages[message_id]
            sender = message["from_address"] or settings.sender
            to, cc = headers.get(message_id, ([], []))
            mail = build_mail(
                title=message["title"],
                content=message["content"],
                html=message["body_format"] == "html",
                from_address=sender,
                to=to,
                cc=cc,
                attachments=message["attachments"] or [],
                message_id=_message_id(message, sender),
            )
            envelopes.append((mail, sender, [row["address"] for row in claimed]))
            owners.append({row["address"]: row["id"] for row in claimed})
        connections = max(1, min(SMTP_CONNECTIONS, -(-len(envelopes) // MAILS_PER_CONNECTION)))
        parts = [envelopes[i::connections] for i in range(connections)]
        owner_parts = [owners[i::connections] for i in range(connections)]
        answers = await asyncio.gather(*(send_mails(settings, part, self.smtp) for part in parts if part))
        results: dict[int, AttemptResult] = {}
        for part_owners, part_answers in zip(owner_parts, answers, strict=False):
            for owner, answer in zip(part_owners, part_answers, strict=True):
                for address, delivery_id in owner.items():
                    results[delivery_id] = answer.get(address, retry("no answer from the SMTP server"))
        return results

    async def _deliver_webhooks(
        self, config: ChannelConfig, messages: dict[int, Row], rows: list[Row]
    ) -> dict[int, AttemptResult]:
        assert config.webhook is not None
        settings = config.webhook
        limit = asyncio.Semaphore(WEBHOOK_CONCURRENCY)
        results: dict[int, AttemptResult] = {}
        async with httpx.AsyncClient(follow_redirects=False) as client:

            async def one(row: Row) -> None:
                message = messages[row["message_id"]]
                body = webhook_body(
                    channel=message["channel"], message=message, delivery=row, extra=self._extra(message)
                )
                async with limit:
                    results[row["id"]] = await post_delivery(client, settings, body)

            await asyncio.gather(*(one(row) for row in rows))
        return results

    def _extra(self, message: Row) -> dict[str, Any]:
        """The channel details for the provider, with the caller's WeCom secret decrypted."""
        extra = dict(message["extra"] or {})
        sealed = extra.pop("wx_qy_corpsecret_encrypted", "")
        if sealed:
            extra["wx_qy_corpsecret"] = channel_box(self.secret_key).decrypt(sealed)
        return extra

    async def _record(
        self,
        rows: list[Row],
        results: dict[int, AttemptResult],
        configs: dict[ChannelKind, ChannelConfig],
        messages: dict[int, Row],
    ) -> None:
        now = _now()
        sent: list[int] = []
        failed: dict[str, list[int]] = defaultdict(list)
        again: dict[tuple[ChannelKind, int, str], list[int]] = defaultdict(list)
        for row in rows:
            result = results.get(row["id"]) or retry("not attempted")
            attempts = row["attempts"] + 1
            channel = ChannelKind(messages[row["message_id"]]["channel"])
            policy = configs[channel].retry
            if result.ok:
                sent.append(row["id"])
            elif result.permanent or attempts >= policy.max_attempts:
                failed[result.error or "failed"].append(row["id"])
            else:
                again[(channel, attempts, result.error)].append(row["id"])
                if attempts == 1:
                    log.info("message delivery %s will be retried: %s", row["id"], result.error)
        mine = {"claimed_by": self.worker_id, "status": DeliveryStatus.SENDING}
        released = {"claimed_by": "", "lease_until": None, "attempts": F("attempts") + 1}
        async with in_transaction():
            if sent:
                await MessageDelivery.filter(id__in=sent, **mine).update(
                    status=DeliveryStatus.SENT, sent_at=now, last_error="", **released
                )
            for error, ids in failed.items():
                await MessageDelivery.filter(id__in=ids, **mine).update(
                    status=DeliveryStatus.FAILED, last_error=error, **released
                )
            for (channel, attempts, error), ids in again.items():
                due = now + timedelta(seconds=configs[channel].retry.delay(attempts))
                await MessageDelivery.filter(id__in=ids, **mine).update(
                    status=DeliveryStatus.PENDING, next_attempt_at=due, last_error=error, **released
                )
            await finish_messages({row["message_id"] for row in rows}, now)


def _message_id(message: Row, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "opsgraph.invalid"
    return f"<opsgraph.message.{message['id']}.{int(message['created_at'].timestamp())}@{domain}>"


async def _mail_headers(message_ids: set[int]) -> dict[int, tuple[list[str], list[str]]]:
    """Every message's To and Cc addresses (all its receivers, not only those sent in this pass)."""
    headers: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    rows = (
        await MessageDelivery.filter(message_id__in=message_ids)
        .exclude(status=DeliveryStatus.REJECTED)
        .order_by("id")
        .values("message_id", "address", "role")
    )
    for row in rows:
        to, cc = headers[row["message_id"]]
        (cc if row["role"] == ReceiverRole.CC else to).append(row["address"])
    return headers


async def finish_messages(message_ids: set[int], now: datetime) -> None:
    """Messages whose deliveries are all final become SENT, PARTIAL or FAILED."""
    if not message_ids:
        return
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in await MessageDelivery.filter(message_id__in=message_ids).values("message_id", "status"):
        counts[row["message_id"]][str(row["status"])] += 1
    outcome: dict[MessageStatus, list[int]] = defaultdict(list)
    for message_id, by_status in counts.items():
        if by_status.get(DeliveryStatus.PENDING, 0) or by_status.get(DeliveryStatus.SENDING, 0):
            continue
        sent, total = by_status.get(DeliveryStatus.SENT, 0), sum(by_status.values())
        status = MessageStatus.SENT if sent == total else MessageStatus.FAILED if sent == 0 else MessageStatus.PARTIAL
        outcome[status].append(message_id)
    for status, ids in outcome.items():
        await Message.filter(id__in=ids, status=MessageStatus.PENDING).update(status=status, finished_at=now)
