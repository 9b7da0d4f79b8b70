"""sms / weixin / voice through a site's HTTP webhook: one signed JSON POST per receiver.

The real providers (SMS gateways, WeCom, voice calls) are out of reach here; the webhook is where a
site plugs one in. The body is the delivery (see `webhook_body`); with a channel secret the request
carries `X-OpsGraph-Timestamp` and `X-OpsGraph-Signature: sha256=HMAC(secret, timestamp + "." + body)`,
the scheme task callbacks use. `Idempotency-Key` is stable across retries of one delivery.
2xx is delivered; 4xx (but 408 and 429) is a refusal for good; anything else is retried.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from opsgraph.executors.callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from opsgraph.executors.message_channels import WebhookSettings
from opsgraph.executors.message_outcomes import SENT, AttemptResult, refused, retry

IDEMPOTENCY_HEADER = "Idempotency-Key"
_RETRIED_CLIENT_ERRORS = frozenset({408, 425, 429})
_BODY_EXCERPT = 200


def webhook_body(
    *, channel: str, message: dict[str, Any], delivery: dict[str, Any], extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        "channel": channel,
        "message_id": message["id"],
        "delivery_id": delivery["id"],
        "receiver": delivery["address"],
        "username": delivery["username"],
        "title": message["title"],
        "content": message["content"],
        "business_id": message["business_id"],
        "extra": extra,
    }


async def post_delivery(client: httpx.AsyncClient, settings: WebhookSettings, body: dict[str, Any]) -> AttemptResult:
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        IDEMPOTENCY_HEADER: f"opsgraph-delivery-{body['delivery_id']}",
    }
    if settings.secret:
        headers[SIGNATURE_HEADER] = sign(settings.secret, timestamp, payload)
    try:
        response = await client.post(settings.url, content=payload, headers=headers, timeout=settings.timeout)
    except httpx.HTTPError as exc:
        return retry(f"webhook unreachable: {type(exc).__name__}: {exc}")
    if 200 <= response.status_code < 300:
        return SENT
    detail = f"webhook answered HTTP {response.status_code}: {response.text[:_BODY_EXCERPT]}".strip()
    if 400 <= response.status_code < 500 and response.status_code not in _RETRIED_CLIENT_ERRORS:
        return refused(detail)
    return retry(detail)
