"""GraphQL documents for the event subscription tests."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from tests.support.server import GraphQLClient
from tests.support.topology import mutate_ok

ERRORS = "errors { code field message }"
SUBSCRIPTION_FIELDS = """
  id subscriptionId bkBizId name callbackUrl confirmMode confirmPattern timeout subscriptionForm
  statistics { total failure delivered givenUp pending lastError }
"""
SUBSCRIBE = f"""
mutation($input: SubscribeEventsInput!) {{
  subscribeEvents(input: $input) {{ subscription {{ {SUBSCRIPTION_FIELDS} }} signingSecret {ERRORS} }}
}}"""
UNSUBSCRIBE = f"""
mutation($id: ID!) {{ unsubscribeEvents(input: {{subscriptionId: $id}}) {{ deletedId {ERRORS} }} }}"""
SUBSCRIPTIONS = f"""
query($b: Int!) {{ eventSubscriptions(bkBizId: $b) {{ count items {{ {SUBSCRIPTION_FIELDS} }} }} }}"""
ALL_TYPES = [
    "bizcreate", "bizupdate", "bizdelete", "setcreate", "setupdate", "setdelete",
    "modulecreate", "moduleupdate", "moduledelete", "hostcreate", "hostupdate", "hostdelete", "moduletransfer",
]  # fmt: skip


def subscribe(gql: GraphQLClient, callback_url: str, form: list[str], **extra: Any) -> tuple[dict[str, Any], str]:
    variables = {"input": {"name": "test subscriber", "callbackUrl": callback_url, "subscriptionForm": form, **extra}}
    payload = mutate_ok(gql, SUBSCRIBE, variables)
    return payload["subscription"], payload["signingSecret"]


def statistics(gql: GraphQLClient, biz: int, subscription_id: int) -> dict[str, Any]:
    for item in gql.ok(SUBSCRIPTIONS, {"b": biz})["eventSubscriptions"]["items"]:
        if item["subscriptionId"] == subscription_id:
            found: dict[str, Any] = item["statistics"]
            return found
    raise AssertionError(f"subscription {subscription_id} is not listed")


def signature_ok(secret: str, headers: dict[str, str], raw: bytes) -> bool:
    timestamp = headers["x-opsgraph-timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-opsgraph-signature"])
