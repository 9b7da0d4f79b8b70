"""Mail over SMTP (aiosmtplib): building the MIME message and sending a batch over one connection.

One message is one SMTP transaction whose envelope holds the receivers still to be served; the
headers name every To and Cc receiver, so a retry to one receiver delivers the same mail. The
server's answer is read per recipient: 5xx is a refusal for good, 4xx and lost connections are
retried by the outbox.

Example:
    mail = build_mail(title="disk full", content="<b>/var</b> at 97%", html=True,
                      from_address="ops@example.com", to=["alice@example.com"], cc=[], attachments=[])
    results = await send_mails(settings, [(mail, "ops@example.com", ["alice@example.com"])])
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

import aiosmtplib

from opsgraph.executors.message_channels import MailSettings
from opsgraph.executors.message_outcomes import SENT, AttemptResult, refused, retry

# (the mail, the envelope sender, the envelope recipients)
Envelope = tuple[EmailMessage, str, list[str]]


def build_mail(
    *,
    title: str,
    content: str,
    html: bool,
    from_address: str,
    to: Sequence[str],
    cc: Sequence[str],
    attachments: Sequence[Mapping[str, Any]],
    message_id: str = "",
) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = title
    mail["From"] = from_address
    if to:
        mail["To"] = ", ".join(to)
    if cc:
        mail["Cc"] = ", ".join(cc)
    mail["Date"] = format_datetime(datetime.now(tz=UTC))
    if message_id:
        # The same id on every retry: a receiver's mail system can tell a repeat from a new mail.
        mail["Message-ID"] = message_id
    mail.set_content(content, subtype="html" if html else "plain")
    for attachment in attachments:
        maintype, _, subtype = str(attachment["mime_type"]).partition("/")
        mail.add_attachment(
            base64.b64decode(attachment["content"]),
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment["filename"],
            disposition=attachment.get("disposition") or "attachment",
            cid=attachment.get("content_id") or None,
        )
    return mail


def attachment_mime_type(filename: str, declared: str) -> str:
    """cmsi's `type` is a file suffix ("png") or a MIME type; by default the filename's suffix."""
    declared = declared.strip().lower()
    if "/" in declared:
        return declared
    guess = mimetypes.guess_type(f"x.{declared}" if declared else filename)[0]
    return guess or "application/octet-stream"


def envelope_address(address: str) -> str:
    """The bare address of `Name <addr>` (the SMTP envelope takes no display names)."""
    return parseaddr(address)[1] or address


def _by_code(code: int, text: str) -> AttemptResult:
    detail = f"SMTP {code} {text}".strip()
    return refused(detail) if code >= 500 else retry(detail)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


async def _connect(settings: MailSettings) -> aiosmtplib.SMTP:
    smtp = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.security == "tls",
        start_tls=settings.security == "starttls",
        validate_certs=settings.validate_certs,
        cert_bundle=settings.ca_file or None,
        timeout=settings.timeout,
    )
    await smtp.connect()
    if settings.username:
        await smtp.login(settings.username, settings.password)
    return smtp


async def send_mails(settings: MailSettings, batch: Sequence[Envelope]) -> list[dict[str, AttemptResult]]:
    """Each envelope's outcome per recipient, in order. Never raises for a transport failure."""
    results: list[dict[str, AttemptResult]] = []
    try:
        smtp = await _connect(settings)
    except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
        # No connection, TLS refused, bad login: retried, the site may fix its server or settings.
        error = f"cannot reach the SMTP server {settings.host}:{settings.port}: {_describe(exc)}"
        return [dict.fromkeys(recipients, retry(error)) for _, _, recipients in batch]
    broken = ""
    try:
        for mail, sender, recipients in batch:
            if broken:
                results.append(dict.fromkeys(recipients, retry(broken)))
                continue
            results.append(await _send_one(smtp, mail, sender, recipients))
            if not smtp.is_connected:
                broken = "the SMTP server closed the connection"
    finally:
        try:
            await smtp.quit()
        except (aiosmtplib.SMTPException, OSError):
            smtp.close()
    return results


async def _send_one(
    smtp: aiosmtplib.SMTP, mail: EmailMessage, sender: str, recipients: list[str]
) -> dict[str, AttemptResult]:
    try:
        errors, _ = await smtp.send_message(mail, sender=envelope_address(sender), recipients=recipients)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        refusals = {refusal.recipient: _by_code(refusal.code, refusal.message) for refusal in exc.recipients}
        return {rcpt: refusals.get(rcpt, retry("refused by the SMTP server")) for rcpt in recipients}
    except aiosmtplib.SMTPResponseException as exc:  # sender refused, data refused, …
        return dict.fromkeys(recipients, _by_code(exc.code, exc.message))
    except (aiosmtplib.SMTPException, OSError) as exc:
        return dict.fromkeys(recipients, retry(_describe(exc)))
    except ValueError as exc:  # an address aiosmtplib will not put on the wire (checked before, so rare)
        return dict.fromkeys(recipients, refused(_describe(exc)))
    outcome: dict[str, AttemptResult] = {}
    for rcpt in recipients:
        failure = errors.get(rcpt)
        outcome[rcpt] = SENT if failure is None else _by_code(failure.code, failure.message)
    return outcome
