"""The in-process API other parts of OpsGraph call (alarm notifications): `send_message` persists the
message in the outbox before it returns, with one outcome per receiver; the server's delivery worker
(another process, polling the same database) then sends it."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.messaging.conftest import People
from tests.messaging.support import by_receiver, finished, wait_message
from tests.support.mail_sink import SmtpSink
from tests.support.server import GraphQLClient, Server


def _send(server: Server, **arguments: Any) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "tests.messaging.contract_caller", server.database_url],
        input=json.dumps(arguments),
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_send_message_accepts_usernames_and_addresses(
    server: Server, gql: GraphQLClient, mail_channel: SmtpSink, people: People, unique: str
) -> None:
    direct, ghost = f"direct-{unique}@example.com", f"ghost{unique}"
    outcomes = _send(
        server,
        channel="mail",
        receivers=[people.alice, direct, ghost, people.carol],
        title="contract",
        content="from the monitor",
        origin=f"monitor.{unique}",
    )
    assert [(o["receiver"], o["ok"], o["reason"]) for o in outcomes] == [
        (people.alice, True, ""),
        (direct, True, ""),
        (ghost, False, "neither a user nor a valid email address"),
        (people.carol, False, "the user has no email address"),
    ]
    assert (outcomes[0]["username"], outcomes[0]["role"]) == (people.alice, "to")
    assert _send(server, channel="pigeon", receivers=[direct], title="t", content="c") == {"error": "INVALID"}

    mail = mail_channel.next_mail()
    assert sorted(mail.envelope_to) == sorted([f"{people.alice}@example.com", direct])
    query = "query($o: String) { messages(first: 5, filter: {origin: $o}) { nodes { messageId requestedBy } } }"
    (listed,) = gql.ok(query, {"o": f"monitor.{unique}"})["messages"]["nodes"]
    assert listed["requestedBy"] == "system"
    record = wait_message(gql, listed["messageId"], finished)
    assert record["status"] == "PARTIAL"
    assert by_receiver(record)[ghost]["status"] == "REJECTED"
