"""sms, weixin and voice through a site's webhook (a real HTTP receiver on loopback): one signed POST
per receiver, retried on 5xx until the receiver recovers, refused for good on 4xx."""

from __future__ import annotations

import hashlib
import hmac

from tests.messaging.conftest import WEBHOOK_SECRET, People
from tests.messaging.support import by_receiver, finished, send, wait_message
from tests.support.mail_sink import WebhookReceiver
from tests.support.server import GraphQLClient


def _signature_ok(call_headers: dict[str, str], raw: bytes) -> bool:
    headers = {k.lower(): v for k, v in call_headers.items()}
    expected = hmac.new(
        WEBHOOK_SECRET.encode(), headers["x-opsgraph-timestamp"].encode() + b"." + raw, hashlib.sha256
    ).hexdigest()
    return headers["x-opsgraph-signature"] == f"sha256={expected}"


def test_sms_posts_one_signed_delivery_per_receiver(
    gql: GraphQLClient, webhooks: WebhookReceiver, people: People, unique: str
) -> None:
    sent = send(
        gql,
        channel="SMS",
        content=f"disk full {unique}",
        receiverUsernames=[people.alice],
        receivers=["+8613900000002"],
    )
    assert [r["ok"] for r in sent["receivers"]] == [True, True]
    calls = {}
    for _ in range(2):
        call = webhooks.next_call()
        calls[call.body["receiver"]] = call
    assert set(calls) == {"13800000001", "+8613900000002"}
    alice = calls["13800000001"]
    assert alice.path == "/sms"
    assert alice.body["channel"] == "sms"
    assert alice.body["username"] == people.alice
    assert alice.body["content"] == f"disk full {unique}"
    assert alice.body["message_id"] == sent["messageId"]
    assert _signature_ok(alice.headers, alice.raw)
    keys = {call.headers.get("Idempotency-Key") for call in calls.values()}
    assert len(keys) == 2
    assert all(key and key.startswith("opsgraph-delivery-") for key in keys)
    assert wait_message(gql, sent["messageId"], finished)["status"] == "SENT"


def test_a_failing_webhook_is_retried_until_it_recovers(
    gql: GraphQLClient, webhooks: WebhookReceiver, people: People, unique: str
) -> None:
    webhooks.script.extend([503, 502])  # down twice, then fine
    sent = send(gql, channel="WEIXIN", title="alarm", content=f"cpu {unique}", receiverUsernames=[people.alice])
    calls = [webhooks.next_call() for _ in range(3)]
    assert len({call.headers.get("Idempotency-Key") for call in calls}) == 1, "one delivery, three tries"
    assert calls[-1].body["receiver"] == "wx-alice-" + people.alice.removeprefix("alice")
    assert calls[-1].body["title"] == "alarm"
    record = wait_message(gql, sent["messageId"], finished)
    assert record["status"] == "SENT"
    assert record["receivers"][0]["attempts"] == 3


def test_a_webhook_refusal_is_final(gql: GraphQLClient, webhooks: WebhookReceiver, unique: str) -> None:
    refused = "13700000009"
    webhooks.refuse_receivers.add(refused)
    sent = send(gql, channel="VOICE", content=f"call {unique}", receivers=[refused, "13700000008"])
    record = wait_message(gql, sent["messageId"], finished)
    assert record["status"] == "PARTIAL"
    receivers = by_receiver(record)
    assert (receivers[refused]["status"], receivers[refused]["attempts"]) == ("FAILED", 1)
    assert "HTTP 400" in receivers[refused]["lastError"]
    assert receivers["13700000008"]["status"] == "SENT"
