"""cmsi through the unmodified `bkapi-component-open` client: mail to a real SMTP server, sms / weixin /
voice to a real webhook receiver, upstream's partial-failure answer with every receiver's outcome in
`data`, get_msg_type, and refusals that record nothing."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from bkapi_component.open.client import Client

from tests.compat.cc_host_support import ok, refused
from tests.compat.open_client import open_client
from tests.messaging.conftest import People
from tests.messaging.support import PROFILE, global_message_id, message, message_count
from tests.support.mail_sink import SmtpSink, WebhookReceiver
from tests.support.server import APP_CODE, APP_SECRET, GraphQLClient, Server

COMPONENT_FAILED, PARAMETER_ERROR = 1306000, 1306406


@pytest.fixture
def client(server: Server) -> Client:
    return open_client(server.url)


def _outcomes(data: dict[str, Any]) -> dict[str, bool]:
    return {item["receiver"]: item["ok"] for item in data["receivers"]}


def test_send_mail_to_users_with_cc_and_base64_content(
    client: Client, mail_channel: SmtpSink, people: People, unique: str
) -> None:
    report = base64.b64encode(b"numbers\n").decode()
    response = client.cmsi.send_mail(
        {
            "receiver__username": f"{people.alice},{people.bob}",
            "cc__username": people.bob,  # already a receiver: mailed once
            "title": f"weekly {unique}",
            "content": base64.b64encode("<p>été</p>".encode()).decode(),
            "is_content_base64": True,
            "attachments": [{"filename": "numbers.csv", "content": report}],
        }
    )
    assert response["message"] == "OK"
    data = ok(response)
    assert _outcomes(data) == {people.alice: True, people.bob: True}
    mail = mail_channel.next_mail()
    assert sorted(mail.envelope_to) == sorted([f"{people.alice}@example.com", f"{people.bob}@example.com"])
    assert mail.message["Subject"] == f"weekly {unique}"
    html = mail.message.get_body(preferencelist=("html",))
    assert html is not None
    assert "<p>été</p>" in html.get_content()
    assert [part.get_filename() for part in mail.message.iter_attachments()] == ["numbers.csv"]
    mail_channel.assert_empty()


def test_partial_failure_keeps_upstreams_answer_and_adds_the_outcomes(
    client: Client, gql: GraphQLClient, mail_channel: SmtpSink, people: People, unique: str
) -> None:
    ghost = f"ghost{unique}"
    response = client.cmsi.send_mail(
        {"receiver__username": f"{people.alice};{ghost} {people.carol}", "title": "t", "content": "c"}
    )
    assert response["result"] is False
    assert response["code"] == COMPONENT_FAILED
    assert response["message"].startswith("Some users failed to send email.")
    assert f"The following users are not blueking users: {ghost}" in response["message"]
    assert people.carol in response["message"]
    assert _outcomes(response["data"]) == {people.alice: True, ghost: False, people.carol: False}
    # Sent to the valid receiver all the same, and recorded.
    assert mail_channel.next_mail().envelope_to == [f"{people.alice}@example.com"]
    record = message(gql, global_message_id(response["data"]["message_id"]))
    assert record is not None
    assert record["origin"] == "cmsi.send_mail"
    assert record["appCode"] == APP_CODE

    everyone_failed = client.cmsi.send_mail({"receiver__username": ghost, "title": "t", "content": "c"})
    assert everyone_failed["result"] is False
    assert everyone_failed["message"].startswith("All users message failed to be sent")
    assert _outcomes(everyone_failed["data"]) == {ghost: False}
    mail_channel.assert_empty()


def test_receiver_wins_over_receiver_username(
    client: Client, mail_channel: SmtpSink, people: People, unique: str
) -> None:
    address = f"direct-{unique}@example.com"
    data = ok(
        client.cmsi.send_mail({"receiver": address, "receiver__username": people.alice, "title": "t", "content": "c"})
    )
    assert _outcomes(data) == {address: True}
    assert mail_channel.next_mail().envelope_to == [address]


REFUSALS: dict[str, tuple[dict[str, Any], int, str]] = {
    "malformed address": ({"receiver": "a@@b", "title": "t", "content": "c"}, PARAMETER_ERROR, "contact format"),
    "no receiver": ({"title": "t", "content": "c"}, PARAMETER_ERROR, "shall not be empty"),
    "no title": ({"receiver": "x@example.com", "content": "c"}, PARAMETER_ERROR, "title"),
    "no content": ({"receiver": "x@example.com", "title": "t"}, PARAMETER_ERROR, "content"),
    "subject injection": (
        {"receiver": "x@example.com", "title": "t\nBcc: y@example.com", "content": "c"},
        PARAMETER_ERROR,
        "single line",
    ),
    "bad body format": (
        {"receiver": "x@example.com", "title": "t", "content": "c", "body_format": "Rtf"},
        PARAMETER_ERROR,
        "body_format",
    ),
    "attachment not base64": (
        {
            "receiver": "x@example.com",
            "title": "t",
            "content": "c",
            "attachments": [{"filename": "a", "content": "%%"}],
        },
        PARAMETER_ERROR,
        "base64",
    ),
    "attachments as a bool (the doc's type)": (
        {"receiver": "x@example.com", "title": "t", "content": "c", "attachments": True},
        PARAMETER_ERROR,
        "attachments",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_mail_records_nothing(client: Client, gql: GraphQLClient, mail_channel: SmtpSink, case: str) -> None:
    body, code, words = REFUSALS[case]
    before = message_count(gql)
    assert words in refused(client.cmsi.send_mail(body), code)
    assert message_count(gql) == before
    mail_channel.assert_empty(wait=0.2)


def test_sms_weixin_and_voice_reach_the_webhook(
    client: Client, gql: GraphQLClient, webhooks: WebhookReceiver, people: People, unique: str
) -> None:
    sms = ok(
        client.cmsi.send_sms(
            {"receiver": "13900000003", "content": base64.b64encode(b"sms!").decode(), "is_content_base64": True}
        )
    )
    call = webhooks.next_call()
    assert (call.path, call.body["receiver"], call.body["content"]) == ("/sms", "13900000003", "sms!")
    assert _outcomes(sms) == {"13900000003": True}

    weixin = ok(
        client.cmsi.send_weixin(
            {
                "receiver__username": people.alice,
                "data": {"heading": "alarm", "message": f"cpu {unique}", "remark": "see dashboard"},
                "wx_qy_agentid": "1000002",
                "wx_qy_corpsecret": "corp-secret-value",
            }
        )
    )
    call = webhooks.next_call()
    assert call.path == "/weixin"
    assert (call.body["title"], call.body["content"]) == ("alarm", f"cpu {unique}")
    assert call.body["extra"]["remark"] == "see dashboard"
    assert call.body["extra"]["wx_qy_corpsecret"] == "corp-secret-value"  # handed to the provider only
    assert call.body["extra"]["date"]  # upstream's default: now
    record = message(gql, global_message_id(weixin["message_id"]))
    assert record is not None
    assert "corp-secret-value" not in str(record)
    assert "wx_qy_corpsecret" not in str(record["extra"])

    voice = ok(
        client.cmsi.send_voice_msg(
            {
                "auto_read_message": f"disk {unique}",
                "user_list_information": [
                    {"username": people.alice},
                    {"username": "oncall", "mobile_phone": "13711112222"},
                ],
                "receiver__username": people.bob,  # ignored: user_list_information wins
            }
        )
    )
    assert voice["instance_id"] == str(voice["message_id"])
    phones = {webhooks.next_call().body["receiver"] for _ in range(2)}
    assert phones == {"13800000001", "13711112222"}
    assert _outcomes(voice) == {people.alice: True, "oncall": True}


def test_send_msg_routes_by_msg_type(
    client: Client, mail_channel: SmtpSink, webhooks: WebhookReceiver, people: People, unique: str
) -> None:
    # The doc's example spells the receivers "receiver_username".
    mail = ok(client.cmsi.send_msg({"msg_type": "mail", "receiver_username": people.bob, "title": "m", "content": "x"}))
    assert isinstance(mail, list)
    assert [(item["receiver"], item["ok"]) for item in mail] == [(people.bob, True)]
    assert mail_channel.next_mail().envelope_to == [f"{people.bob}@example.com"]

    voice = ok(
        client.cmsi.send_msg({"msg_type": "voice", "receiver__username": people.alice, "title": "v", "content": "call"})
    )
    assert voice[0]["ok"] is True
    assert webhooks.next_call().body["content"] == "call"

    unsupported = client.cmsi.send_msg(
        {"msg_type": "pigeon", "receiver__username": people.alice, "title": "t", "content": "c"}
    )
    assert "Unsupported type of msg type" in refused(unsupported, COMPONENT_FAILED)


def test_get_msg_type_speaks_the_callers_language(
    server: Server, gql: GraphQLClient, mail_channel: SmtpSink, webhooks: WebhookReceiver, people: People
) -> None:
    english = ok(open_client(server.url, username=people.bob).cmsi.get_msg_type())
    assert [item["type"] for item in english] == ["weixin", "mail", "sms", "voice"]
    assert {item["type"]: item["label"] for item in english}["mail"] == "Mail"
    assert all(item["is_active"] for item in english)
    gql.ok(PROFILE, {"input": {"username": people.carol, "language": "zh-CN"}})
    chinese = ok(open_client(server.url, username=people.carol).cmsi.get_msg_type())
    assert {item["type"]: item["label"] for item in chinese} == {
        "weixin": "微信",
        "mail": "邮件",
        "sms": "短信",
        "voice": "语音",
    }


def test_the_documented_path_without_v2_and_credentials_in_the_body(
    server: Server, mail_channel: SmtpSink, unique: str
) -> None:
    to = f"legacy-{unique}@example.com"
    body = {
        "bk_app_code": APP_CODE,
        "bk_app_secret": APP_SECRET,
        "bk_username": "admin",
        "receiver": to,
        "title": "t",
        "content": "c",
    }
    response = httpx.post(f"{server.url}/api/c/compapi/cmsi/send_mail/", json=body, timeout=30).json()
    assert ok(response)["receivers"][0]["receiver"] == to
    assert mail_channel.next_mail().envelope_to == [to]
