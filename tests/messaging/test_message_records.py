"""Every message is recorded and readable in GraphQL by those who may see it: the sender, the roles
of its business, superusers. Lists cost a fixed number of SQL statements however many messages and
receivers they hold. Channel secrets are stored encrypted and never returned."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from typing import Any

from tests.executors.support import login
from tests.messaging.conftest import People
from tests.messaging.support import MESSAGE, PASSWORD, configure_mail, finished, global_message_id, send, wait_message
from tests.support.mail_sink import SmtpSink
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business

LIST = """
query($f: MessageFilter, $first: Int!) {
  messages(first: $first, filter: $f) {
    totalCount
    nodes { messageId title status requestedBy business { name } receivers { receiver status address } }
  }
}"""


def _as(server: Server, name: str) -> GraphQLClient:
    return login(server.url, name, PASSWORD)


def test_messages_are_visible_to_their_sender_and_their_business_only(
    server: Server, gql: GraphQLClient, mail_channel: SmtpSink, people: People, unique: str
) -> None:
    business = create_business(gql, f"msgrec-{unique}")
    server.cli("admin", "grant-role", people.alice, "--biz", str(business.bk_biz_id), "--role", "operator")
    server.cli("admin", "grant-role", people.bob, "--biz", str(business.bk_biz_id), "--role", "viewer")
    sender, viewer, other = _as(server, people.alice), _as(server, people.bob), _as(server, people.carol)
    origin = f"records-{unique}"

    private = send(sender, channel="MAIL", title="mine", content="x", receiverUsernames=[people.bob], origin=origin)
    shared = send(
        sender,
        channel="MAIL",
        title="biz",
        content="y",
        receiverUsernames=[people.bob],
        businessId=business.id,
        origin=origin,
    )
    assert private["message"]["status"] in ("PENDING", "SENT")
    mail_channel.mails(2)

    def titles(client: GraphQLClient) -> set[str]:
        nodes = client.ok(LIST, {"f": {"origin": origin}, "first": 50})["messages"]["nodes"]
        return {node["title"] for node in nodes}

    assert titles(sender) == {"mine", "biz"}
    assert titles(viewer) == {"biz"}
    assert titles(other) == set()
    assert titles(gql) == {"mine", "biz"}
    # One missing and one hidden message read alike.
    assert other.ok(MESSAGE, {"id": global_message_id(private["messageId"])})["message"] is None
    assert other.ok(MESSAGE, {"id": global_message_id(2_000_000_000)})["message"] is None
    record = wait_message(viewer, shared["messageId"], finished)
    assert record["requestedBy"] == people.alice
    assert record["receivers"][0]["address"] == f"{people.bob}@example.com"


def test_listing_messages_costs_the_same_for_one_or_many(
    gql: GraphQLClient, mail_channel: SmtpSink, people: People, unique: str
) -> None:
    business = create_business(gql, f"msgcount-{unique}")
    origin = f"count-{unique}"

    def counted() -> tuple[int, int]:
        response = gql.execute(LIST, {"f": {"origin": origin}, "first": 100})
        data = response.ok()["messages"]
        assert response.sql_count is not None
        return len(data["nodes"]), response.sql_count

    def post(title: str, receivers: dict[str, list[str]]) -> None:
        send(gql, channel="MAIL", title=title, content="c", businessId=business.id, origin=origin, **receivers)

    post("1", {"receiverUsernames": [people.alice, people.bob]})
    one, statements_for_one = counted()
    for n in range(5):
        post(f"n{n}", {"receivers": [f"x{n}-{unique}@example.com"], "ccUsernames": [people.alice]})
    many, statements_for_many = counted()
    assert (one, many) == (1, 6)
    assert statements_for_many == statements_for_one
    assert statements_for_one <= 8
    mail_channel.mails(6)  # delivered before the next test looks at the inbox


def _stored_secret(server: Server) -> str:
    query = "SELECT secret_encrypted FROM message_channel WHERE kind = 'mail'"
    if server.database_url.startswith("sqlite://"):
        path = server.database_url[len("sqlite://") :].split("?", 1)[0]
        with closing(sqlite3.connect(path)) as db:
            (value,) = db.execute(query).fetchone()
        return str(value)

    async def read() -> str:
        import asyncpg

        connection = await asyncpg.connect(server.database_url, timeout=5)
        try:
            return str(await connection.fetchval(query))
        finally:
            await connection.close()

    return asyncio.run(read())


def test_the_smtp_password_is_encrypted_and_never_returned(
    server: Server, gql: GraphQLClient, smtp_sink: SmtpSink
) -> None:
    password = "smtp-password-never-shown"
    channel: dict[str, Any] = configure_mail(gql, smtp_sink.port, username="mailer", password=password)
    assert channel["hasSecret"] is True
    assert password not in str(channel)
    listed = gql.ok("{ messageChannels { kind settings hasSecret } }")["messageChannels"]
    assert password not in str(listed)
    stored = _stored_secret(server)
    assert stored
    assert password not in stored
    # Reconfiguring without a password keeps it; an empty one clears it.
    assert configure_mail(gql, smtp_sink.port, username="mailer")["hasSecret"] is True
    assert configure_mail(gql, smtp_sink.port, password="")["hasSecret"] is False
