"""Bad input of every kind gets a clear error and records nothing: malformed addresses, a mail
without a subject or with a line break in it (header injection), empty content, no receivers, broken
attachments, a business the caller may not use, an unusable channel, bad channel settings."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.executors.support import login
from tests.messaging.conftest import People
from tests.messaging.support import CONFIGURE, PASSWORD, SEND, configure_webhook, message_count
from tests.support.mail_sink import SmtpSink
from tests.support.server import GraphQLClient, Server
from tests.support.topology import create_business

GOOD = {"channel": "MAIL", "title": "t", "content": "c", "receivers": ["ok@example.com"]}

REFUSED: dict[str, tuple[dict[str, Any], str, str]] = {
    "malformed address": ({"receivers": ["not-an-address"]}, "INVALID", "receivers"),
    "address with a display name": ({"receivers": ["Eve <eve@example.com>"]}, "INVALID", "receivers"),
    "malformed cc": ({"cc": ["a@@example.com"]}, "INVALID", "cc"),
    "mail without a subject": ({"title": "  "}, "INVALID", "title"),
    "header injection in the subject": ({"title": "hi\r\nBcc: victim@example.com"}, "INVALID", "title"),
    "empty content": ({"content": " "}, "INVALID", "content"),
    "no receivers": ({"receivers": []}, "INVALID", "receivers"),
    "sender that is not an address": ({"sender": "ops\r\nBcc: x@example.com"}, "INVALID", "sender"),
    "attachment not base64": (
        {"attachments": [{"filename": "a.txt", "contentBase64": "!!!"}]},
        "INVALID",
        "attachments[0].content",
    ),
    "attachment with a path": (
        {"attachments": [{"filename": "../etc/passwd", "contentBase64": base64.b64encode(b"x").decode()}]},
        "INVALID",
        "attachments[0].filename",
    ),
    "bad disposition": (
        {"attachments": [{"filename": "a", "contentBase64": "eA==", "disposition": "evil"}]},
        "INVALID",
        "attachments[0].disposition",
    ),
    "phone that is not digits": ({"channel": "SMS", "receivers": ["12ab34"]}, "INVALID", "receivers"),
    "too long a title": ({"title": "x" * 513}, "INVALID", "title"),
    "extra that is not flat": ({"extra": {"a": {"b": 1}}}, "INVALID", "extra"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_input_is_refused_and_records_nothing(gql: GraphQLClient, mail_channel: SmtpSink, case: str) -> None:
    change, code, field = REFUSED[case]
    before = message_count(gql)
    payload = gql.ok(SEND, {"input": {**GOOD, **change}})["sendMessage"]
    assert payload["messageId"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], payload["errors"]
    assert payload["errors"][0]["message"]
    assert message_count(gql) == before
    mail_channel.assert_empty(wait=0.2)


def test_an_unknown_channel_is_a_validation_error(gql: GraphQLClient) -> None:
    response = gql.execute(SEND, {"input": {**GOOD, "channel": "PIGEON"}})
    assert response.errors
    assert "PIGEON" in response.errors[0]["message"]


def test_an_unconfigured_channel_refuses_before_recording(gql: GraphQLClient, people: People) -> None:
    reset = gql.ok(CONFIGURE, {"input": {"channel": "VOICE", "reset": True}})["configureMessageChannel"]
    assert reset["channel"]["active"] is False
    before = message_count(gql)
    payload = gql.ok(SEND, {"input": {"channel": "VOICE", "content": "x", "receiverUsernames": [people.alice]}})
    errors = payload["sendMessage"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("CHANNEL_UNAVAILABLE", "channel")]
    assert message_count(gql) == before


def test_a_business_without_the_role_is_refused_alike_whether_it_exists_or_not(
    server: Server, gql: GraphQLClient, mail_channel: SmtpSink, people: People, unique: str
) -> None:
    business = create_business(gql, f"msg-biz-{unique}")
    outsider = login(server.url, people.carol, PASSWORD)  # no role anywhere
    before = message_count(gql)

    def attempt(business_id: str) -> list[dict[str, Any]]:
        response = outsider.execute(SEND, {"input": {**GOOD, "businessId": business_id}})
        return response.errors

    missing = base64.urlsafe_b64encode(b"Business:2000000000").decode().rstrip("=")
    existing, absent = attempt(business.id), attempt(missing)
    assert existing
    assert absent
    assert existing[0]["extensions"]["code"] == absent[0]["extensions"]["code"] == "PERMISSION_DENIED"
    assert f"msg-biz-{unique}" not in existing[0]["message"]
    assert message_count(gql) == before


def test_only_superusers_configure_channels(server: Server, people: People) -> None:
    plain = login(server.url, people.carol, PASSWORD)
    response = plain.execute(CONFIGURE, {"input": {"channel": "SMS", "webhook": {"url": "http://127.0.0.1:9/x"}}})
    assert response.errors[0]["extensions"]["code"] == "PERMISSION_DENIED"
    channels = plain.ok("{ messageChannels { kind active settings hasSecret source } }")["messageChannels"]
    assert all(c["settings"] is None and c["hasSecret"] is None and c["source"] == "" for c in channels)


BAD_SETTINGS: dict[str, tuple[dict[str, Any], str]] = {
    "port out of range": ({"channel": "MAIL", "smtp": {"host": "127.0.0.1", "port": 70000}}, "port"),
    "unknown security": ({"channel": "MAIL", "smtp": {"host": "127.0.0.1", "security": "ssl3"}}, "security"),
    "host with a space": ({"channel": "MAIL", "smtp": {"host": "a b"}}, "host"),
    "missing CA file": ({"channel": "MAIL", "smtp": {"host": "h", "caFile": "/nonexistent/ca.pem"}}, "caFile"),
    "bad sender": ({"channel": "MAIL", "smtp": {"host": "h", "sender": "nobody"}}, "sender"),
    "webhook not http": ({"channel": "SMS", "webhook": {"url": "file:///etc/passwd"}}, "url"),
    "mail without smtp": ({"channel": "MAIL"}, "smtp"),
    "retry too fast": ({"channel": "SMS", "webhook": {"url": "http://h/"}, "retrySeconds": 0}, "retrySeconds"),
    "too many attempts": ({"channel": "SMS", "webhook": {"url": "http://h/"}, "maxAttempts": 1000}, "maxAttempts"),
}


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_bad_channel_settings_change_nothing(gql: GraphQLClient, case: str) -> None:
    configure_webhook(gql, "SMS", "http://127.0.0.1:9/kept")
    before = gql.ok("{ messageChannels { kind settings } }")
    change, field = BAD_SETTINGS[case]
    payload = gql.ok(CONFIGURE, {"input": change})["configureMessageChannel"]
    assert [e["field"] for e in payload["errors"]] == [field], payload["errors"]
    assert gql.ok("{ messageChannels { kind settings } }") == before
