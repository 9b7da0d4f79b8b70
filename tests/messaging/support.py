"""GraphQL helpers for the messaging tests: configuring channels, sending, reading the records."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tests.support.server import GraphQLClient, Server

CONFIGURE = """
mutation($input: ConfigureMessageChannelInput!) {
  configureMessageChannel(input: $input) {
    channel { kind enabled configured active source settings hasSecret }
    errors { code field message }
  }
}"""

SEND = """
mutation($input: SendMessageInput!) {
  sendMessage(input: $input) {
    messageId
    message { id messageId status }
    receivers { receiver username ok reason role problem }
    errors { code field message }
  }
}"""

MESSAGE = """
query($id: ID!) {
  message(id: $id) {
    id messageId channel status title content bodyFormat fromAddress requestedBy appCode origin extra
    attachments { filename mimeType disposition contentId size }
    receivers { receiver username address role status attempts lastError sentAt }
    createdAt finishedAt
  }
}"""

PROFILE = """
mutation($input: UpdateUserProfileInput!) {
  updateUserProfile(input: $input) {
    user { username displayName email phone wxUserid language timeZone bkRole }
    errors { code field message }
  }
}"""

RETRY_SECONDS = 0.2
PASSWORD = "messaging-password-1"


def configure_mail(gql: GraphQLClient, port: int, *, max_attempts: int = 6, **extra: Any) -> dict[str, Any]:
    smtp = {"host": "127.0.0.1", "port": port, "security": "none", "sender": "opsgraph@example.com", **extra}
    variables = {"channel": "MAIL", "smtp": smtp, "maxAttempts": max_attempts, "retrySeconds": RETRY_SECONDS}
    payload = gql.ok(CONFIGURE, {"input": variables})["configureMessageChannel"]
    assert payload["errors"] == [], payload
    return dict(payload["channel"])


def configure_webhook(gql: GraphQLClient, channel: str, url: str, secret: str | None = None) -> dict[str, Any]:
    webhook: dict[str, Any] = {"url": url}
    if secret is not None:
        webhook["secret"] = secret
    variables = {"input": {"channel": channel, "webhook": webhook, "maxAttempts": 4, "retrySeconds": RETRY_SECONDS}}
    payload = gql.ok(CONFIGURE, variables)["configureMessageChannel"]
    assert payload["errors"] == [], payload
    return dict(payload["channel"])


def send(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = gql.ok(SEND, {"input": input})["sendMessage"]
    return payload


def message(gql: GraphQLClient, global_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = gql.ok(MESSAGE, {"id": global_id})["message"]
    return found


def global_message_id(message_id: int) -> str:
    import base64

    return base64.urlsafe_b64encode(f"Message:{message_id}".encode()).decode().rstrip("=")


def wait_message(
    gql: GraphQLClient, message_id: int, done: Callable[[dict[str, Any]], bool], *, timeout: float = 30, what: str = ""
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        last = message(gql, global_message_id(message_id))
        if last is not None and done(last):
            return last
        time.sleep(0.1)
    raise AssertionError(f"message {message_id} never became {what or 'ready'}: {last}")


def finished(record: dict[str, Any]) -> bool:
    return record["status"] != "PENDING"


def by_receiver(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["receiver"]: item for item in record["receivers"]}


def create_user(server: Server, gql: GraphQLClient, name: str, **profile: Any) -> str:
    server.cli("admin", "create-user", name, "--password", PASSWORD)
    if profile:
        payload = gql.ok(PROFILE, {"input": {"username": name, **profile}})["updateUserProfile"]
        assert payload["errors"] == [], payload
    return name


def message_count(gql: GraphQLClient) -> int:
    count: int = gql.ok("{ messages(first: 1) { totalCount } }")["messages"]["totalCount"]
    return count
