"""The delivery worker keeps its SMTP connections open between passes: many messages sent one after
another reach a real SMTP server (aiosmtpd) over one or two connections, not one each; and a kept
connection the server dropped meanwhile (the server restarted) is replaced on the spot, so the next
message is still delivered on its first attempt."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.messaging.support import configure_mail, finished, send, wait_message
from tests.support.mail_sink import SmtpSink, _Handler
from tests.support.server import GraphQLClient


class _CountingHandler(_Handler):
    def __init__(self, sink: CountingSink) -> None:
        super().__init__(sink.inbox)
        self.sink = sink

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.sink.lock:
            self.sink.greetings += 1
        session.host_name = hostname
        return responses


class CountingSink(SmtpSink):
    """An SMTP sink that counts the sessions (EHLO greetings) it served."""

    def __init__(self) -> None:
        super().__init__()
        self.greetings = 0
        self.lock = threading.Lock()

    def start(self) -> None:
        self._controller = Controller(_CountingHandler(self), hostname="127.0.0.1", port=self.port, **self._options)
        self._controller.start()


@pytest.fixture
def counting_sink(gql: GraphQLClient, smtp_sink: SmtpSink) -> Iterator[CountingSink]:
    """The session server's mail channel pointed at a counting sink, then back at the session sink."""
    sink = CountingSink()
    sink.start()
    configure_mail(gql, sink.port)
    try:
        yield sink
    finally:
        configure_mail(gql, smtp_sink.port)
        sink.stop()


def _sent_once(record: dict[str, Any]) -> bool:
    return finished(record) and all(r["status"] == "SENT" and r["attempts"] == 1 for r in record["receivers"])


def test_connections_are_kept_between_passes(gql: GraphQLClient, counting_sink: CountingSink, unique: str) -> None:
    receivers = [f"kept{n}-{unique}@example.com" for n in range(12)]
    ids = []
    for n, receiver in enumerate(receivers):
        ids.append(send(gql, channel="MAIL", title=f"kept {n}", content="x", receivers=[receiver])["messageId"])
        counting_sink.next_mail(timeout=30)  # one at a time: each message is a pass of its own
    for message_id in ids:
        assert _sent_once(wait_message(gql, message_id, finished)), message_id
    assert counting_sink.greetings <= 2, f"{counting_sink.greetings} SMTP sessions for {len(receivers)} passes"

    # The server restarts: the kept connection is dead; the next message still goes on its first try.
    counting_sink.stop()
    counting_sink.start()
    after = send(gql, channel="MAIL", title="after restart", content="x", receivers=[f"after-{unique}@example.com"])
    mail = counting_sink.next_mail(timeout=30)
    assert mail.envelope_to == [f"after-{unique}@example.com"]
    record = wait_message(gql, after["messageId"], finished)
    assert _sent_once(record), record
