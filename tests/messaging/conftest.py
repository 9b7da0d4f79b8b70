"""A real SMTP server and a real HTTP receiver on loopback; the session server's channels point at them."""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.messaging.support import configure_mail, configure_webhook, create_user
from tests.support.mail_sink import SmtpSink, WebhookReceiver, webhook_receiver
from tests.support.server import GraphQLClient, Server


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def mail_channel(gql: GraphQLClient, smtp_sink: SmtpSink) -> SmtpSink:
    """The mail channel of the session server, pointed at the session SMTP sink, its inbox empty."""
    configure_mail(gql, smtp_sink.port)
    while True:
        try:
            smtp_sink.inbox.get_nowait()
        except queue.Empty:
            return smtp_sink


WEBHOOK_SECRET = "webhook-signing-secret"


@pytest.fixture
def webhooks(gql: GraphQLClient) -> Iterator[WebhookReceiver]:
    """sms, weixin and voice all posting to one real HTTP receiver, signed with WEBHOOK_SECRET."""
    with webhook_receiver() as receiver:
        for channel in ("SMS", "WEIXIN", "VOICE"):
            configure_webhook(gql, channel, f"{receiver.url}/{channel.lower()}", secret=WEBHOOK_SECRET)
        yield receiver


@dataclass
class People:
    """Users with a profile; their password is support.PASSWORD."""

    alice: str  # every address
    bob: str  # email only
    carol: str  # no address at all


@pytest.fixture(scope="session")
def people(server: Server, gql: GraphQLClient) -> People:
    """Created once per backend (each CLI call is a process): tests may log in as them (PASSWORD)."""
    tag = uuid.uuid4().hex[:6]
    alice = create_user(
        server,
        gql,
        f"alice{tag}",
        displayName="Alice",
        email=f"alice{tag}@example.com",
        phone="13800000001",
        wxUserid=f"wx-alice-{tag}",
    )
    bob = create_user(server, gql, f"bob{tag}", email=f"bob{tag}@example.com")
    carol = create_user(server, gql, f"carol{tag}")
    return People(alice, bob, carol)
