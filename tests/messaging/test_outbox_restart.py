"""The outbox across restarts, on a server of its own (same backend as the session's): messages still
undelivered when the server stops are taken up again when it starts, and deliveries the server was
in the middle of sending when it was killed are sent once their lease runs out. Nothing is lost and
nothing is delivered twice."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from tests.executors.support import dedicated_server
from tests.messaging.support import finished, send, wait_message
from tests.support.mail_sink import SmtpSink
from tests.support.server import GraphQLClient, Server, free_port


def _environment(port: int) -> dict[str, str]:
    """The mail channel as an operator configures it without GraphQL, and a short lease."""
    return {
        "OPSGRAPH_SMTP_HOST": "127.0.0.1",
        "OPSGRAPH_SMTP_PORT": str(port),
        "OPSGRAPH_SMTP_SENDER": "outbox@example.com",
        "OPSGRAPH_SMTP_TIMEOUT": "60",
        "OPSGRAPH_MESSAGE_ATTEMPTS": "20",
        "OPSGRAPH_MESSAGE_RETRY_SECONDS": "0.2",
        "OPSGRAPH_MESSAGE_LEASE_SECONDS": "2",
    }


def test_undelivered_messages_survive_a_stop_and_a_crash(server: Server, unique: str, tmp_path: Path) -> None:
    port = free_port()  # nothing listens yet: every attempt is refused and retried
    receivers = [f"restart{n}-{unique}@example.com" for n in range(2)]
    with dedicated_server(server, tmp_path, _environment(port)) as (instance, gql):
        channels = gql.ok("{ messageChannels { kind active source settings } }")["messageChannels"]
        mail = next(channel for channel in channels if channel["kind"] == "MAIL")
        assert (mail["active"], mail["source"], mail["settings"]["port"]) == (True, "environment", port)
        ids = [
            send(gql, channel="MAIL", title=f"r{n}", content="x", receivers=[to])["messageId"]
            for n, to in enumerate(receivers)
        ]

        def tried(record: dict[str, Any]) -> bool:
            return record["receivers"][0]["attempts"] >= 1

        for message_id in ids:
            assert wait_message(gql, message_id, tried, what="tried")["status"] == "PENDING"

        # 1. A clean stop with the messages still in the outbox; then an SMTP server that accepts
        #    connections and never greets, so the restarted server's sends hang mid-way (SENDING).
        instance.stop()
        silent = socket.create_server(("127.0.0.1", port))
        try:
            instance.port = free_port()
            instance.start()
            gql = GraphQLClient(instance.url, gql.token)

            def sending(record: dict[str, Any]) -> bool:
                return bool(record["receivers"][0]["status"] == "SENDING")

            for message_id in ids:
                wait_message(gql, message_id, sending, what="being sent after the restart")

            # 2. A crash in the middle of those sends.
            assert instance.process is not None
            instance.process.kill()
            instance.process.wait(10)
        finally:
            silent.close()

        with SmtpSink(port=port) as sink:
            instance.port = free_port()
            instance.start()
            gql = GraphQLClient(instance.url, gql.token)
            mails = sink.mails(2)
            assert sorted(to for mail in mails for to in mail.envelope_to) == sorted(receivers)
            assert {mail.envelope_from for mail in mails} == {"outbox@example.com"}
            for message_id in ids:
                record = wait_message(gql, message_id, finished)
                assert record["status"] == "SENT"
                # The refused try counted; the one the crash cut short left no outcome behind.
                assert record["receivers"][0]["attempts"] == 2
            sink.assert_empty(wait=3)
