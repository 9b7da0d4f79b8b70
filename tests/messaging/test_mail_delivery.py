"""Mail through the outbox to a real SMTP server (aiosmtpd): users resolved to their addresses, To
and Cc, attachments, text and HTML, a partial failure, a server that is down and then recovers, and
STARTTLS verified against the test's own CA."""

from __future__ import annotations

import base64
import datetime
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.messaging.conftest import People
from tests.messaging.support import by_receiver, configure_mail, finished, send, wait_message
from tests.support.mail_sink import SmtpSink
from tests.support.server import GraphQLClient

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_mail_reaches_users_addresses_and_cc_with_attachments(
    gql: GraphQLClient, mail_channel: SmtpSink, people: People, unique: str
) -> None:
    ops = f"ops-{unique}@example.com"
    report = f"disk report {unique}\n".encode()
    sent = send(
        gql,
        channel="MAIL",
        title=f"Disk full on web-{unique}",
        content="<p>/var is at <b>97%</b></p>",
        receiverUsernames=[people.alice],
        receivers=[ops],
        ccUsernames=[people.bob],
        attachments=[
            {"filename": "report.txt", "contentBase64": base64.b64encode(report).decode()},
            {"filename": "chart.png", "contentBase64": base64.b64encode(PNG).decode()},
        ],
        origin="tests.mail",
    )
    assert sent["errors"] == []
    assert [(r["receiver"], r["ok"], r["role"]) for r in sent["receivers"]] == [
        (ops, True, "TO"),
        (people.alice, True, "TO"),
        (people.bob, True, "CC"),
    ]

    mail = mail_channel.next_mail()
    alice_mail, bob_mail = f"{people.alice}@example.com", f"{people.bob}@example.com"
    assert sorted(mail.envelope_to) == sorted([ops, alice_mail, bob_mail])
    assert mail.envelope_from == "opsgraph@example.com"
    headers = mail.message
    assert headers["Subject"] == f"Disk full on web-{unique}"
    assert sorted(a.strip() for a in str(headers["To"]).split(",")) == sorted([ops, alice_mail])
    assert str(headers["Cc"]) == bob_mail
    body = headers.get_body(preferencelist=("html",))
    assert body is not None
    assert "<b>97%</b>" in body.get_content()
    parts = {part.get_filename(): part for part in headers.iter_attachments()}
    assert parts["report.txt"].get_content() == report.decode()
    chart = parts["chart.png"]
    assert chart.get_content_type() == "image/png"
    assert chart.get_content_disposition() == "inline"
    assert chart["Content-ID"] == "<chart.png>"
    assert chart.get_content() == PNG

    record = wait_message(gql, sent["messageId"], finished, what="finished")
    assert record["status"] == "SENT"
    assert record["requestedBy"] == "admin"
    assert record["origin"] == "tests.mail"
    assert [(a["filename"], a["mimeType"], a["size"]) for a in record["attachments"]] == [
        ("report.txt", "text/plain", len(report)),
        ("chart.png", "image/png", len(PNG)),
    ]
    receivers = by_receiver(record)
    assert receivers[people.alice]["address"] == alice_mail
    assert {(r["status"], r["attempts"]) for r in record["receivers"]} == {("SENT", 1)}
    mail_channel.assert_empty()


def test_one_bad_receiver_does_not_stop_the_others(
    gql: GraphQLClient, mail_channel: SmtpSink, people: People, unique: str
) -> None:
    ghost, refused, fine = f"ghost{unique}", f"nobody-{unique}@example.com", f"fine-{unique}@example.com"
    sent = send(
        gql,
        channel="MAIL",
        title="partial",
        content="hello",
        receiverUsernames=[people.alice, people.carol, ghost],
        receivers=[refused, fine],
    )
    outcomes = {r["receiver"]: (r["ok"], r["problem"]) for r in sent["receivers"]}
    assert outcomes == {
        people.alice: (True, ""),
        people.carol: (False, "no_address"),
        ghost: (False, "not_a_user"),
        refused: (True, ""),  # accepted for delivery; the SMTP server refuses it later
        fine: (True, ""),
    }

    mail = mail_channel.next_mail()
    assert sorted(mail.envelope_to) == sorted([f"{people.alice}@example.com", fine])
    record = wait_message(gql, sent["messageId"], finished, what="finished")
    assert record["status"] == "PARTIAL"
    receivers = by_receiver(record)
    assert receivers[refused]["status"] == "FAILED"
    assert receivers[refused]["attempts"] == 1, "a 550 is final: not retried"
    assert "550" in receivers[refused]["lastError"]
    assert (receivers[people.carol]["status"], receivers[ghost]["status"]) == ("REJECTED", "REJECTED")
    assert receivers[people.carol]["lastError"] == "the user has no email address"
    assert (receivers[people.alice]["status"], receivers[fine]["status"]) == ("SENT", "SENT")
    mail_channel.assert_empty()


def test_text_mail_from_a_named_sender(gql: GraphQLClient, mail_channel: SmtpSink, unique: str) -> None:
    to = f"plain-{unique}@example.com"
    sent = send(
        gql,
        channel="MAIL",
        title="plain",
        content="line one\nline two",
        bodyFormat="TEXT",
        sender="Ops Team <ops-team@example.com>",
        receivers=[to],
    )
    mail = mail_channel.next_mail()
    assert mail.envelope_from == "ops-team@example.com"
    assert str(mail.message["From"]) == "Ops Team <ops-team@example.com>"
    assert mail.message.get_content_type() == "text/plain"
    assert mail.message.get_content().replace("\r\n", "\n").strip() == "line one\nline two"
    assert wait_message(gql, sent["messageId"], finished)["bodyFormat"] == "TEXT"


def test_a_server_that_is_down_gets_the_mail_once_it_is_back(gql: GraphQLClient, unique: str) -> None:
    sink = SmtpSink()  # not started: connections are refused
    configure_mail(gql, sink.port)
    to = f"later-{unique}@example.com"
    sent = send(gql, channel="MAIL", title="retry me", content="still here", receivers=[to])
    assert sent["receivers"][0]["ok"]

    def retried(record: dict) -> bool:
        delivery = record["receivers"][0]
        return delivery["attempts"] >= 2 and "cannot reach the SMTP server" in delivery["lastError"]

    waiting = wait_message(gql, sent["messageId"], retried, what="retried")
    assert waiting["status"] == "PENDING"
    with sink:
        mail = sink.next_mail()
        assert mail.envelope_to == [to]
        record = wait_message(gql, sent["messageId"], finished, what="finished")
    assert record["status"] == "SENT"
    assert record["receivers"][0]["status"] == "SENT"
    assert record["receivers"][0]["attempts"] >= 3


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp.crt", directory / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_starttls_is_verified_against_the_configured_ca(gql: GraphQLClient, unique: str, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with SmtpSink(tls_context=context, require_starttls=True) as sink:
        # Without the CA the server's certificate is refused: the mail waits in the outbox.
        configure_mail(gql, sink.port, security="starttls")
        untrusted = send(gql, channel="MAIL", title="tls", content="x", receivers=[f"untrusted-{unique}@example.com"])

        def refused(record: dict) -> bool:
            return "certificate" in record["receivers"][0]["lastError"].lower()

        assert wait_message(gql, untrusted["messageId"], refused, what="refused")["status"] == "PENDING"

        configure_mail(gql, sink.port, security="starttls", caFile=str(cert))
        trusted = f"trusted-{unique}@example.com"
        send(gql, channel="MAIL", title="tls", content="over TLS", receivers=[trusted])
        received = {tuple(mail.envelope_to) for mail in sink.mails(2)}
        assert received == {(trusted,), (f"untrusted-{unique}@example.com",)}
