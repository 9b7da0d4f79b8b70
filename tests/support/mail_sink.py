"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, and a real HTTP receiver
for webhook channels. Both can be stopped and started again on the same port, to play a receiver
that is down and then recovers.

Example:
    with SmtpSink() as sink:
        ...  # point the mail channel at 127.0.0.1:sink.port
        mail = sink.next_mail()   # email.message.EmailMessage, with .envelope_to
"""

from __future__ import annotations

import email
import email.policy
import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.server import free_port

# Recipients whose local part starts with this are refused for good (550), like an unknown mailbox.
REFUSED_PREFIX = "nobody-"


@dataclass
class ReceivedMail:
    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage


class _Handler:
    def __init__(self, inbox: queue.Queue[ReceivedMail]) -> None:
        self.inbox = inbox

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.startswith(REFUSED_PREFIX):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        message = email.message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.inbox.put(ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted"


class SmtpSink:
    def __init__(self, port: int | None = None, **controller_options: Any) -> None:
        self.port = port or free_port()
        self.inbox: queue.Queue[ReceivedMail] = queue.Queue()
        self._options = controller_options
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Handler(self.inbox), hostname="127.0.0.1", port=self.port, **self._options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def next_mail(self, timeout: float = 30) -> ReceivedMail:
        return self.inbox.get(timeout=timeout)

    def mails(self, count: int, timeout: float = 30) -> list[ReceivedMail]:
        return [self.next_mail(timeout) for _ in range(count)]

    def assert_empty(self, wait: float = 0.5) -> None:
        try:
            extra = self.inbox.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected mail to {extra.envelope_to}: {extra.message['Subject']}")


@dataclass
class WebhookCall:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes


@dataclass
class WebhookReceiver:
    """Answers each POST with the next status in `script` (then 200), keeping what it received."""

    port: int = field(default_factory=free_port)
    calls: queue.Queue[WebhookCall] = field(default_factory=queue.Queue)
    script: list[int] = field(default_factory=list)
    refuse_receivers: set[str] = field(default_factory=set)  # answered 400, for good
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw)
                receiver.calls.put(WebhookCall(self.path, dict(self.headers.items()), body, raw))
                if body.get("receiver") in receiver.refuse_receivers:
                    status = 400
                else:
                    status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def next_call(self, timeout: float = 30) -> WebhookCall:
        return self.calls.get(timeout=timeout)


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
