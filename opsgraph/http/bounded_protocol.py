"""uvicorn's httptools protocol with a cap on the request head (request line and headers).

uvicorn's h11 protocol bounds an unfinished head (`h11_max_incomplete_event_size`); its httptools
protocol, the fast one `uvicorn[standard]` picks, does not: it buffers a request line or header of
any size, so one client streaming an endless header holds unbounded memory and never gets an answer
(measured: 130 MB accepted without a reply). This subclass counts what arrives while a head is
incomplete and, past `max_head_bytes`, answers 431 and closes the connection. The application's own
header limit (RequestLimits, in the caller's dialect) still applies to heads that fit.

Example:
    uvicorn.run(app, http=bounded_http_protocol(settings.max_header_bytes + HEAD_ALLOWANCE_BYTES))
"""

from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Beyond the headers the application checks (RequestLimits): the request line, the CRLFs.
HEAD_ALLOWANCE_BYTES = 8192


class BoundedHeadProtocol(HttpToolsProtocol):
    max_head_bytes = 24 * 1024
    _in_head = True
    _head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._in_head, self._head_bytes = True, 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Counted after parsing: a chunk that completes the head (and carries body bytes) is fine.
        if self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._refuse_head()

    def _refuse_head(self) -> None:
        body = json.dumps({"error": f"request line and headers are larger than {self.max_head_bytes} bytes"}).encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body
        )
        self.transport.close()


def bounded_http_protocol(max_head_bytes: int) -> type[BoundedHeadProtocol]:
    return type("BoundedHeadProtocol", (BoundedHeadProtocol,), {"max_head_bytes": max_head_bytes})
