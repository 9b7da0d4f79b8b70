"""Mail over SMTP (aiosmtplib): building the MIME message and sending a batch over one connection
(kept open between batches by an SmtpPool when the caller has one).

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
from opsgraph.executors.smtp_pool import SmtpPool, close_quietly, connect

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


async def send_mails(
    settings: MailSettings, batch: Sequence[Envelope], pool: SmtpPool | None = None
) -> list[dict[str, AttemptResult]]:
    """Each envelope's outcome per recipient, in order, over one connection (from `pool` when given,
    and given back to it). Never raises for a transport failure."""
    results: list[dict[str, AttemptResult]] = []
    try:
        smtp, reused = await pool.acquire(settings) if pool is not None else (await connect(settings), False)
    except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
        # No connection, TLS refused, bad login: retried, the site may fix its server or settings.
        return [dict.fromkeys(recipients, retry(_unreachable(settings, exc))) for _, _, recipients in batch]
    broken = ""
    try:
        for mail, sender, recipients in batch:
            if broken:
                results.append(dict.fromkeys(recipients, retry(broken)))
                continue
            outcome = await _send_one(smtp, mail, sender, recipients)
            if reused and not smtp.is_connected and not any(r.ok or r.permanent for r in outcome.values()):
                # The server dropped the connection while it was idle in the pool: once, on a new one.
                smtp.close()
                try:
                    smtp = await connect(settings)
                except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
                    broken = _unreachable(settings, exc)
                    results.append(dict.fromkeys(recipients, retry(broken)))
                    continue
                outcome = await _send_one(smtp, mail, sender, recipients)
            reused = False
            results.append(outcome)
            if not smtp.is_connected:
                broken = "the SMTP server closed the connection"
    finally:
        if pool is not None and smtp.is_connected and not broken:
            pool.release(settings, smtp)
        else:
            await close_quietly(smtp)
    return results


def _unreachable(settings: MailSettings, exc: BaseException) -> str:
    return f"cannot reach the SMTP server {settings.host}:{settings.port}: {_describe(exc)}"


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
